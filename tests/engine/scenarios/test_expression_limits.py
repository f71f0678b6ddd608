"""Assertion expressions nested or repeated beyond a limit are refused naming it, never a RecursionError."""

from __future__ import annotations

import pytest

from app.engine.scenarios._errors import ExpressionError
from app.engine.scenarios._expr import MAX_DEPTH, MAX_TOKENS, parse_expression


def refusal(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    return info.value


@pytest.mark.parametrize(
    "source",
    [
        "(" * 100 + "a.x" + ")" * 100,
        "-" * 100 + "a.x",
        "not " * 100 + "a.x",
        "abs(" * 60 + "a.x" + ")" * 60,
        "(" * (MAX_DEPTH + 1) + "a.x" + ")" * (MAX_DEPTH + 1),
    ],
)
def test_nesting_beyond_the_limit_names_it(source: str) -> None:
    error = refusal(source)
    assert f"nested deeper than the limit of {MAX_DEPTH} levels" in error.reason


@pytest.mark.parametrize("source", ["(" * 50_000 + "a.x" + ")" * 50_000, "-" * 50_000 + "a.x"])
def test_very_deep_nesting_stops_at_a_limit_without_recursing(source: str) -> None:
    assert "limit of" in refusal(source).reason


def test_nesting_at_the_limit_parses_and_evaluates() -> None:
    expression = parse_expression("(" * MAX_DEPTH + "a.x" + ")" * MAX_DEPTH + " > 1")
    assert expression.evaluate({"a.x": [0.0, 2.0]}, 2) == [False, True]


def test_a_repeated_expression_beyond_the_token_limit_names_it() -> None:
    error = refusal(" + ".join(["a.x"] * 100_000))
    assert f"limit of {MAX_TOKENS} tokens" in error.reason
    assert error.position < 2000  # stopped at the limit, not after tokenizing everything


def test_a_long_flat_expression_within_the_limit_evaluates() -> None:
    count = (MAX_TOKENS + 1) // 2
    expression = parse_expression(" + ".join(["a.x"] * count))
    assert expression.evaluate({"a.x": [1.0]}, 1) == [float(count)]
