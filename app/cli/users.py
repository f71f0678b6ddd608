"""``python run.py users create NAME [--admin] | list | passwd NAME``: bootstrap and script user accounts.

Passwords come from standard input (one line) when it is not a terminal, else from a prompt (asked twice);
they never go on the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli._accounts import CliError, database, run_guarded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a user (the first user ends local single-user mode)")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="platform admin: sees every project, manages users")
    sub.add_parser("list", help="list users")
    passwd = sub.add_parser("passwd", help="set a user's password (ends their sessions)")
    passwd.add_argument("name")


def read_password(prompt: str = "Password: ") -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CliError("no password on standard input")
        return line.rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat: ") != first:
        raise CliError("the passwords differ")
    return first


def _create(args: argparse.Namespace) -> int:
    from app.services import auth

    password = read_password()
    with database() as session:
        user = auth.create_user(session, args.name, password, is_admin=args.admin)
        print(f"created user {user.username} (id {user.id}){' as platform admin' if user.is_admin else ''}")
    return 0


def _list(_args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.db.auth import User

    with database() as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        print(f"{'ID':>4}  {'USERNAME':<24} {'ADMIN':<6} {'ACTIVE':<6} CREATED")
        for u in users:
            print(f"{u.id:>4}  {u.username:<24} {'yes' if u.is_admin else 'no':<6} "
                  f"{'yes' if u.is_active else 'no':<6} {u.created_at:%Y-%m-%d %H:%M}")
        if not users:
            print("(no users: the server runs in local single-user mode, on loopback only)")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from app.services import auth

    password = read_password("New password: ")
    with database() as session:
        auth.set_password(session, auth.user_by_name(session, args.name), password)
        print(f"password of {args.name} changed; their sessions have ended")
    return 0


def run(args: argparse.Namespace) -> int:
    action = {"create": _create, "list": _list, "passwd": _passwd}[args.action]
    return run_guarded(lambda: action(args))
