"""``python run.py serve``: migrate the database, then serve the API with uvicorn."""

from __future__ import annotations

import argparse
import errno
import re
import socket
import sys
from typing import Any

ENVIRONMENT_HELP = """\
environment (or an optional .env file in the working directory):
  DATABASE_URL  SQLAlchemy URL of the database (default sqlite:///./digital_twin.db); created and
                migrated at every start; e.g. postgresql+psycopg://user:password@host/db with the driver installed
  DATA_DIR      default ./data: pki/ (the OPC UA client certificate, shared with run.py simulate and test,
                and the trusted and rejected PLC certificates) and secret.key
  OPCUA_TRUST_ON_FIRST_USE  true: trust a PLC certificate never seen before (default false: refuse it)
  SECRET_KEY    encrypts stored PLC passwords (default: DATA_DIR/secret.key, created 0600)
  SESSION_HOURS how long a sign-in lasts (default 12)
  ALLOWED_HOSTS host names clients reach the server by (default localhost,127.0.0.1,[::1] and --host)
  CORS_ORIGINS  origins allowed to call the API from other sites (default none: CORS off)

Without users the server runs in local single-user mode and only on a loopback address; create the first
admin with `run.py users create NAME --admin` to listen on the network.
"""


def _tcp_port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a TCP port number 1..65535, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port number 1..65535, got {port}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ENVIRONMENT_HELP
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_tcp_port, default=7777, help="TCP port (default 7777)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="text lines, or JSON lines with time, level, message, request id, run id, user and "
                        "project (default text)")


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None if it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use; stop the other program or pick one with --port"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, also when SQLAlchemy cannot parse it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def database_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be used (one line, password masked), or None if it can be opened."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    shown = masked_url(url)
    try:
        engine = create_engine(url)
    except NoSuchModuleError:
        scheme = url.partition(":")[0]
        return (f"DATABASE_URL {shown}: unknown database scheme {scheme!r}; "
                "use e.g. sqlite:///./digital_twin.db or postgresql+psycopg://user:password@host/db")
    except ArgumentError:
        return f"DATABASE_URL {shown}: not a database URL; use e.g. sqlite:///./digital_twin.db"
    except ImportError as exc:
        return f"DATABASE_URL {shown}: the database driver is not installed ({exc}); pip install it"
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"DATABASE_URL {shown}: cannot connect: {reason[0] if reason else type(exc).__name__}"
    finally:
        engine.dispose()
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare_security(settings: Any) -> bool:
    """Encrypt PLC passwords stored before encryption existed; returns whether users exist (multi-user mode)."""
    from app.db.session import get_session_factory
    from app.services import auth, secrets

    with get_session_factory(settings.database_url)() as session:
        session.info[secrets.SETTINGS_KEY] = settings
        secrets.encrypt_leftovers(session)
        session.commit()
        return auth.users_exist(session, settings.database_url)


def run(args: argparse.Namespace) -> int:
    """Check the port and the database, apply migrations, serve until interrupted; returns the exit code."""
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.config import get_settings
    from app.core.logs import uvicorn_log_config
    from app.db.migrate import upgrade_to_head

    allow_serve_host(args.host)
    settings = get_settings()
    problem = database_problem(settings.database_url)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        upgrade_to_head(settings.database_url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"error: DATABASE_URL {masked_url(settings.database_url)}: cannot migrate: {reason}", file=sys.stderr)
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    multi_user = prepare_security(settings)
    if not multi_user and not is_loopback(args.host):
        print(
            f"error: refusing to listen on {args.host}: no user exists, so anyone reaching the port could do anything "
            "(including writing to PLCs). Create an admin first: python run.py users create NAME --admin",
            file=sys.stderr,
        )
        return 2
    print(f"Digital twin platform on http://{args.host}:{args.port}  (API docs: /docs)", flush=True)
    if multi_user:
        print("Multi-user mode: sign in (POST /api/v1/auth/login) or send an API token.", flush=True)
    else:
        print("Local single-user mode: no user exists, so no sign-in is asked and the server stays on loopback. "
              "`python run.py users create NAME --admin` ends it.", flush=True)
    # On SIGTERM open requests and streams get a few seconds, then the lifespan stops every run and writes it
    # (README "Hardening": the whole shutdown stays within 10 s).
    uvicorn.run("app.main:app", host=args.host, port=args.port, reload=args.reload, log_level="info",
                log_config=uvicorn_log_config(args.log_format), timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    return 0


GRACEFUL_SHUTDOWN_SECONDS = 2


def allow_serve_host(host: str) -> None:
    """Add the --host the server listens on to ALLOWED_HOSTS (a wildcard address names no host)."""
    import os

    from app.core.config import DEFAULT_ALLOWED_HOSTS, get_settings

    if host in ("0.0.0.0", "::", ""):
        return
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    configured = os.environ.get("ALLOWED_HOSTS")
    hosts = [h.strip() for h in configured.split(",") if h.strip()] if configured else list(DEFAULT_ALLOWED_HOSTS)
    if name.lower() not in {h.lower() for h in hosts}:
        os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, name])
        get_settings.cache_clear()
