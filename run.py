"""One command to run the platform: ``python run.py`` (same as ``python run.py serve``).

Each subcommand lives in ``app/cli/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``;
register it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module under app.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("app.cli.serve", "migrate the database and serve the API (default)"),
    "simulate": ("app.cli.simulate", "run a model file headless and write telemetry.csv and summary.json"),
    "test": ("app.cli.test", "run test scenarios; JUnit and HTML reports; exit 0 pass, 1 fail, 2 invalid file"),
    "users": ("app.cli.users", "create and list users, set passwords (the first user ends local single-user mode)"),
    "tokens": ("app.cli.tokens", "create (printed once), list and revoke API tokens for CI and scripts"),
    "diff": ("app.cli.diff", "what changed between two model documents; exit 0 same, 1 different, 2 invalid file"),
}
DEFAULT_COMMAND = "serve"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="Digital twin platform")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, DEFAULT_COMMAND)  # `python run.py --port 8000` means `serve --port 8000`
    args = build_parser().parse_args(argv)
    module_name, _ = COMMANDS[args.command]
    return int(importlib.import_module(module_name).run(args))


if __name__ == "__main__":
    sys.exit(main())
