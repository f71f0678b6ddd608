"""``python run.py serve``: migrate the database, then serve the API with uvicorn."""

from __future__ import annotations

import argparse
import errno
import socket
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7777, help="TCP port (default 7777)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes (development)")


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


def run(args: argparse.Namespace) -> int:
    """Check the port, apply migrations, serve until interrupted; returns the process exit code."""
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    import uvicorn

    from app.core.config import get_settings
    from app.db.migrate import upgrade_to_head

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.database_url)
    print(f"Digital twin platform on http://{args.host}:{args.port}  (API docs: /docs)", flush=True)
    uvicorn.run("app.main:app", host=args.host, port=args.port, reload=args.reload, log_level="info")
    return 0
