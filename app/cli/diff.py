"""``python run.py diff A.yaml B.yaml``: what changed between two model documents, for reviews and CI.

Exit codes: 0 the two simulate the same model, 1 they differ (each change printed), 2 a file cannot be read or is
not a valid model (every problem listed, located).
"""

from __future__ import annotations

import argparse
import json
import sys

from app.engine import SimulationError, read_document_file
from app.engine.diff import diff_documents

EXIT_SAME, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Compares the models, not the text: order, formatting, comments and parameters written out at their\n"
        "defaults make no difference; a component that only changed its name is reported as renamed.\n"
        "exit codes: 0 same model, 1 different, 2 a file is unreadable or invalid"
    )
    parser.add_argument("old", metavar="A", help="the model document before (JSON or YAML)")
    parser.add_argument("new", metavar="B", help="the model document after")
    parser.add_argument("--json", action="store_true", help="print the changes as a JSON list instead of text")


def run(args: argparse.Namespace) -> int:
    documents = []
    for path in (args.old, args.new):
        try:
            documents.append(read_document_file(path))
        except SimulationError as exc:
            print(f"error: invalid model {path}: {exc.message}" if exc.problems else f"error: {exc.message}",
                  file=sys.stderr)
            for problem in exc.problems:
                loc = problem.get("loc") or ""
                print(f"  - {loc + ': ' if loc else ''}{problem.get('message', '')}", file=sys.stderr)
            return EXIT_USAGE
    changes = diff_documents(*documents)
    if args.json:
        print(json.dumps([c.to_dict() for c in changes], indent=2))
    elif changes:
        for change in changes:
            print(change.describe())
        print(f"{len(changes)} change{'s' * (len(changes) != 1)}")
    else:
        print("no changes: the two documents describe the same model")
    return EXIT_DIFFERENT if changes else EXIT_SAME
