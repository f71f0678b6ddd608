"""The assertion expression language: a small tokenizer and recursive-descent parser, never ``eval``.

Grammar (lowest precedence first)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?      # not chained
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | "true" | "false" | PORT | "(" expr ")"
                | ("rising" | "falling" | "abs") "(" expr ")"
    PORT       := component "." port          e.g. tank.level, line-1.current (write 'a.x - b.y' with spaces)

An expression has at most ``MAX_TOKENS`` tokens (numbers, ports, operators, parentheses) and nests at most
``MAX_DEPTH`` levels (parentheses, function calls, ``not`` and unary minus), so neither parsing nor evaluation
can run out of stack or take long per sample.

Expressions are evaluated over whole recorded series (one value per tick), so ``rising(x)`` is true at
the tick where ``x`` turns truthy (never at the first tick). Division by zero gives ±inf (0/0 gives nan),
like IEEE floats, instead of stopping the run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ._errors import ExpressionError

__all__ = ["MAX_DEPTH", "MAX_TOKENS", "Expression", "Node", "parse_expression"]

MAX_TOKENS = 256
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<port>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*\.[A-Za-z_][A-Za-z0-9_]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\))
    """,
    re.VERBOSE,
)
KEYWORDS = ("true", "false", "and", "or", "not")
FUNCTIONS = ("rising", "falling", "abs")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Token:
    kind: str  # number | port | word | op | end
    text: str
    pos: int  # 0-based offset in the source


@dataclass(frozen=True)
class Node:
    """One node of the syntax tree: kind is num | bool | port | unary | binary | call."""

    kind: str
    value: Any = None  # number, bool, port name, operator or function name
    args: tuple[Node, ...] = ()


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; ExpressionError at the first character that fits no token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise ExpressionError(f"unexpected character {source[pos]!r}", source, pos)
        kind = m.lastgroup or ""
        if kind != "space":
            if len(tokens) == MAX_TOKENS:
                raise ExpressionError(f"longer than the limit of {MAX_TOKENS} tokens (numbers, ports, operators "
                                      "and parentheses); split it into several assertions", source, pos)
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    def nested(self, token: Token) -> None:
        """Enter one more level (a parenthesis, call, ``not`` or unary minus); refuse beyond ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested deeper than the limit of {MAX_DEPTH} levels", self.source, token.pos)

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.tok
        found = "end of expression" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"{message}, found {found}", self.source, token.pos)

    def accept(self, *texts: str) -> Token | None:
        tok = self.tok
        if tok.kind in ("op", "word") and tok.text in texts:
            self.i += 1
            return tok
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            raise self.error(f"expected {text!r}")

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("empty expression")
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.error("expected an operator or the end of the expression")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.accept("or"):
            node = Node("binary", "or", (node, self.and_expr()))
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.accept("and"):
            node = Node("binary", "and", (node, self.not_expr()))
        return node

    def not_expr(self) -> Node:
        if (tok := self.accept("not")) is not None:
            self.nested(tok)
            node = Node("unary", "not", (self.not_expr(),))
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        op = self.accept(*COMPARISONS)
        if op is None:
            return node
        node = Node("binary", op.text, (node, self.sum()))
        if self.tok.kind == "op" and self.tok.text in COMPARISONS:
            raise self.error("comparisons cannot be chained; combine them with 'and'")
        return node

    def sum(self) -> Node:
        node = self.product()
        while (op := self.accept("+", "-")) is not None:
            node = Node("binary", op.text, (node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while (op := self.accept("*", "/")) is not None:
            node = Node("binary", op.text, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if (tok := self.accept("-")) is not None:
            self.nested(tok)
            node = Node("unary", "-", (self.unary(),))
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            value = float(tok.text)
            return Node("num", int(value) if value.is_integer() and re.fullmatch(r"\d+", tok.text) else value)
        if tok.kind == "port":
            self.i += 1
            return Node("port", tok.text)
        if tok.kind == "word":
            if tok.text in ("true", "false"):
                self.i += 1
                return Node("bool", tok.text == "true")
            if tok.text in FUNCTIONS:
                self.i += 1
                if self.accept("(") is None:
                    raise self.error(f"expected '(' after {tok.text}")
                self.nested(tok)
                arg = self.or_expr()
                self.expect(")")
                self.depth -= 1
                return Node("call", tok.text, (arg,))
            if tok.text in KEYWORDS:
                raise self.error("expected a value")
            raise ExpressionError(
                f"unknown name {tok.text!r}: a port is written 'component.port'; functions are "
                f"{', '.join(FUNCTIONS)}; constants are true, false and numbers", self.source, tok.pos)
        if self.accept("("):
            self.nested(tok)
            node = self.or_expr()
            self.expect(")")
            self.depth -= 1
            return node
        raise self.error("expected a number, true, false, a port 'component.port', a function or '('")


# ------------------------------------------------------------------------------------------ evaluation


def _div(a: Any, b: Any) -> float:
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.inf if (a > 0) == (math.copysign(1.0, b) > 0) else -math.inf
    return a / b  # type: ignore[no-any-return]


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _series(node: Node, columns: Mapping[str, Sequence[Any]], n: int) -> list[Any]:
    kind = node.kind
    if kind in ("num", "bool"):
        return [node.value] * n
    if kind == "port":
        return list(columns[node.value])
    if kind == "unary":
        a = _series(node.args[0], columns, n)
        return [not x for x in a] if node.value == "not" else [-x for x in a]
    if kind == "call":
        a = _series(node.args[0], columns, n)
        if node.value == "abs":
            return [abs(x) for x in a]
        truthy = [bool(x) for x in a]
        if node.value == "rising":
            return [False] + [b and not p for p, b in zip(truthy, truthy[1:])]
        return [False] + [p and not b for p, b in zip(truthy, truthy[1:])]
    a = _series(node.args[0], columns, n)
    b = _series(node.args[1], columns, n)
    if node.value == "and":
        return [bool(x) and bool(y) for x, y in zip(a, b)]
    if node.value == "or":
        return [bool(x) or bool(y) for x, y in zip(a, b)]
    fn = _BINARY[node.value]
    return [fn(x, y) for x, y in zip(a, b)]


def _text(node: Node) -> str:
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind in ("num", "port"):
        return str(node.value)
    if node.kind == "call":
        return f"{node.value}({_text(node.args[0])})"
    if node.kind == "unary":
        inner = _text(node.args[0])
        return f"not ({inner})" if node.value == "not" else f"-({inner})"
    return f"({_text(node.args[0])} {node.value} {_text(node.args[1])})"


class Expression:
    """A parsed expression: the ports it reads and its value over recorded series."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = _Parser(source).parse()
        ports: list[str] = []
        self._collect(self.tree, ports)
        self.ports: list[str] = ports  # in order of first mention

    def _collect(self, node: Node, out: list[str]) -> None:
        if node.kind == "port" and node.value not in out:
            out.append(node.value)
        for arg in node.args:
            self._collect(arg, out)

    def evaluate(self, columns: Mapping[str, Sequence[Any]], n: int) -> list[Any]:
        """One value per sample; ``columns`` maps every port in ``self.ports`` to its samples."""
        return _series(self.tree, columns, n)

    def canonical(self) -> str:
        """Fully parenthesised form: shows how precedence grouped the source."""
        return _text(self.tree)

    def comparison(self) -> tuple[str, str, float] | None:
        """(port, operator, constant) when the expression is 'port OP number' (either side); for plots."""
        t = self.tree
        if t.kind != "binary" or t.value not in COMPARISONS:
            return None
        left, right = t.args
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}

        def number(node: Node) -> float | None:
            if node.kind == "num":
                return float(node.value)
            if node.kind == "unary" and node.value == "-" and node.args[0].kind == "num":
                return -float(node.args[0].value)
            return None

        if left.kind == "port" and (c := number(right)) is not None:
            return left.value, t.value, c
        if right.kind == "port" and (c := number(left)) is not None:
            return right.value, flip[t.value], c
        return None

    def thresholds(self) -> list[float]:
        """Numeric constants compared directly with a port (drawn as threshold lines next to that port)."""
        found: list[float] = []

        def number(node: Node) -> float | None:
            if node.kind == "num":
                return float(node.value)
            if node.kind == "unary" and node.value == "-" and node.args[0].kind == "num":
                return -float(node.args[0].value)
            return None

        def walk(node: Node) -> None:
            if node.kind == "binary" and node.value in COMPARISONS:
                left, right = node.args
                for side, other in ((left, right), (right, left)):
                    c = number(other)
                    if side.kind == "port" and c is not None:
                        found.append(c)
            for arg in node.args:
                walk(arg)

        walk(self.tree)
        return found

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def parse_expression(source: str) -> Expression:
    """Parse an expression; ExpressionError (with the 0-based position) when it is not valid."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be a string", str(source), 0)
    return Expression(source)
