"""Write the published JSON Schemas to ``examples/schemas/`` (run after changing the document formats)."""

from __future__ import annotations

import json
from pathlib import Path

from app.engine import document_json_schema
from app.engine.scenarios import scenario_json_schema

TARGET = Path(__file__).resolve().parents[2] / "examples" / "schemas"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, schema in (("model", document_json_schema()), ("scenario", scenario_json_schema())):
        (TARGET / f"{name}.schema.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
