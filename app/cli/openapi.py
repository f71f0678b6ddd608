"""Write the platform's OpenAPI document to ``web/openapi.json`` (the web app generates its client from it).

``python -m app.cli.openapi`` writes the file; ``python -m app.cli.openapi -`` prints it instead.
Run it (then ``npm run gen`` in ``web/``) after changing a route or schema.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def short_operation_ids(document: dict[str, Any]) -> dict[str, Any]:
    """Name each operation after its route function (``force_port``), not FastAPI's path-derived id.

    FastAPI's default id is ``<function><path with non-word characters as _>_<method>``; the generated
    client's function names come from these ids. A name used by two routes keeps it for the first and adds
    the path's last word to the others (``get_simulation_status_status``).
    """
    seen: set[str] = set()
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            name = operation["operationId"]
            suffix = re.sub(r"\W", "_", path) + "_" + method
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
            if name in seen:
                last_word = re.sub(r"\W+", "_", path.rsplit("/", 1)[-1]).strip("_")
                name = f"{name}_{last_word}"
            seen.add(name)
            operation["operationId"] = name
    return document


def openapi_text() -> str:
    """The OpenAPI document as stable, indented JSON (keys in the application's order)."""
    from app.main import app

    document = short_operation_ids(copy.deepcopy(app.openapi()))
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = openapi_text()
    if args == ["-"]:
        sys.stdout.write(text)
    else:
        target = Path(args[0]) if args else TARGET
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
