from __future__ import annotations

import pytest

from app.engine.scenarios import ExpressionError, parse_expression


def value(source: str, **columns: list) -> list:
    cols = {k.replace("__", "."): v for k, v in columns.items()}
    n = len(next(iter(cols.values()))) if cols else 1
    return parse_expression(source).evaluate(cols, n)


def test_multiplication_binds_tighter_than_addition() -> None:
    assert value("1 + 2 * 3 == 7") == [True]
    assert parse_expression("1 + 2 * 3").canonical() == "(1 + (2 * 3))"


def test_subtraction_and_division_associate_left() -> None:
    assert value("10 - 4 - 3") == [3]
    assert value("8 / 4 / 2") == [1.0]


def test_unary_minus_binds_tighter_than_multiplication() -> None:
    assert parse_expression("-2 * a.x").canonical() == "(-(2) * a.x)"


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    e = parse_expression("not a.x and b.y or c.z")
    assert e.canonical() == "((not (a.x) and b.y) or c.z)"


def test_comparison_binds_looser_than_arithmetic() -> None:
    assert parse_expression("a.x + 1 > b.y * 2").canonical() == "((a.x + 1) > (b.y * 2))"


def test_parentheses_override_precedence() -> None:
    assert value("(1 + 2) * 3") == [9]


def test_ports_are_collected_in_order_of_mention() -> None:
    assert parse_expression("b.y > 1 and a.x < b.y or line-1.level == 0").ports == ["b.y", "a.x", "line-1.level"]


def test_ports_compare_over_series() -> None:
    assert value("tank.level >= 0.8", tank__level=[0.5, 0.8, 0.9]) == [False, True, True]


def test_true_false_literals_compare_with_booleans() -> None:
    assert value("t.overflow == false", t__overflow=[False, True]) == [True, False]


def test_rising_is_true_where_the_value_turns_true() -> None:
    assert value("rising(c.x)", c__x=[True, False, True, True, False, True]) == [False, False, True, False, False, True]


def test_falling_is_true_where_the_value_turns_false() -> None:
    assert value("falling(c.x)", c__x=[True, False, True, True, False]) == [False, True, False, False, True]


def test_rising_of_a_comparison() -> None:
    assert value("rising(a.x > 1)", a__x=[0, 2, 3, 0, 5]) == [False, True, False, False, True]


def test_abs() -> None:
    assert value("abs(a.x - 1) <= 0.5", a__x=[0.4, 0.6, 1.4, 1.6]) == [False, True, True, False]


def test_division_by_zero_gives_infinity_not_an_error() -> None:
    assert value("a.x / 0", a__x=[1.0, -1.0]) == [float("inf"), float("-inf")]


def test_scientific_numbers() -> None:
    assert value("1e-3 * 2 == 0.002") == [True]


def test_error_reports_the_position_of_a_missing_operand() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("tank.level >= ")
    assert info.value.position == 14
    assert "column 15" in info.value.message


def test_error_on_an_unexpected_character() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("tank.level >= 0.8 ; 1")
    assert info.value.position == 18


def test_import_call_is_a_parse_error_not_evaluated() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("__import__('os').system('true')")
    assert info.value.position == 11  # strings are not part of the language
    assert "unexpected character" in info.value.message


def test_python_names_are_not_callable() -> None:
    with pytest.raises(ExpressionError, match="unknown name '__import__'") as info:
        parse_expression("__import__(a.x)")
    assert info.value.position == 0


def test_attribute_chains_are_not_ports() -> None:
    with pytest.raises(ExpressionError):
        parse_expression("a.b.c > 1")


def test_bare_names_are_rejected_with_a_hint() -> None:
    with pytest.raises(ExpressionError, match="component.port"):
        parse_expression("level > 1")


def test_comparisons_cannot_be_chained() -> None:
    with pytest.raises(ExpressionError, match="chained") as info:
        parse_expression("0 < a.x < 1")
    assert info.value.position == 8


def test_unbalanced_parenthesis() -> None:
    with pytest.raises(ExpressionError, match="expected '\\)'"):
        parse_expression("(a.x > 1")


def test_unknown_function() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'max'"):
        parse_expression("max(a.x) > 1")


def test_empty_expression() -> None:
    with pytest.raises(ExpressionError, match="empty"):
        parse_expression("   ")


def test_comparison_form_is_recognised_for_plots() -> None:
    assert parse_expression("0.8 <= tank.level").comparison() == ("tank.level", ">=", 0.8)
    assert parse_expression("m.current <= 4.0").thresholds() == [4.0]
