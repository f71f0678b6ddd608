"""``python run.py tokens create --user NAME [--project ID] [--role ROLE] [--expires DAYS] | list | revoke ID``.

``create`` prints the token once (only its hash is stored): copy it into the CI secret store.
"""

from __future__ import annotations

import argparse

from app.cli._accounts import CliError, database, run_guarded
from app.db.auth import ROLES


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of days, got {text!r}") from None
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3650 days, got {text}")
    return days


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create an API token and print it once")
    create.add_argument("--user", required=True, help="the user the token acts as")
    create.add_argument("--project", type=int, help="limit the token to this project id")
    create.add_argument("--role", choices=ROLES, help="limit the token to this role (never above the user's)")
    create.add_argument("--expires", type=_days, metavar="DAYS", help="expire after this many days")
    create.add_argument("--name", default="", help="a note saying what the token is for")
    listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--user", help="only this user's tokens")
    revoke = sub.add_parser("revoke", help="revoke a token: it stops working at once")
    revoke.add_argument("id", type=int)


def _create(args: argparse.Namespace) -> int:
    from app.db.models import Project
    from app.services import auth

    with database() as session:
        user = auth.user_by_name(session, args.user)
        if args.project is not None and session.get(Project, args.project) is None:
            raise CliError(f"project {args.project} not found")
        token, row = auth.create_token(session, user, args.name, args.project, args.role, args.expires)
        print(token)
        limits = [f"project {row.project_id}" if row.project_id else "", f"role {row.role}" if row.role else "",
                  f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ""]
        shown = ", ".join(x for x in limits if x) or "no limits"
        import sys

        print(f"token {row.id} for {user.username} ({shown}); it is shown only this once", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.db.auth import ApiToken, User
    from app.services import auth

    with database() as session:
        stmt = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if args.user:
            stmt = stmt.where(User.username == args.user)
        print(f"{'ID':>4}  {'USER':<16} {'PREFIX':<11} {'PROJECT':<8} {'ROLE':<9} {'STATE':<8} NAME")
        for token, username in session.execute(stmt):
            print(f"{token.id:>4}  {username:<16} {token.prefix:<11} {token.project_id or '-':<8} "
                  f"{token.role or '-':<9} {auth.token_state(token):<8} {token.name}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from app.db.auth import ApiToken
    from app.services import auth

    with database() as session:
        token = session.get(ApiToken, args.id)
        if token is None:
            raise CliError(f"token {args.id} not found")
        auth.revoke_token(session, token)
        print(f"token {args.id} revoked")
    return 0


def run(args: argparse.Namespace) -> int:
    action = {"create": _create, "list": _list, "revoke": _revoke}[args.action]
    return run_guarded(lambda: action(args))
