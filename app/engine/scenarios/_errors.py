"""Errors of the scenario engine; both are ``DocumentError``s, so callers that render located problems work."""

from __future__ import annotations

from typing import Any

from .._exceptions import DocumentError


class ScenarioError(DocumentError):
    """A scenario document (or its fit to the model) is not acceptable; ``problems`` carry locations."""

    code = "invalid_scenario"

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None, scenario: Any = None) -> None:
        super().__init__(message, problems)
        # What could be parsed despite the problems (the items without any), so the parts that are fine
        # can still be checked against the model in the same pass; None when nothing usable was read.
        self.scenario = scenario


class ExpressionError(ScenarioError):
    """An assertion expression does not parse; ``position`` is the 0-based offset of the problem."""

    code = "invalid_expression"

    def __init__(self, message: str, source: str, position: int) -> None:
        self.reason = message
        self.source = source
        self.position = position
        pointer = f"{source}\n{' ' * position}^"
        super().__init__(f"column {position + 1}: {message}",
                         [{"loc": "", "message": f"column {position + 1}: {message}", "column": position + 1,
                           "expression": source, "pointer": pointer}])
