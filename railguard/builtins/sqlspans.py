"""Where things stand in a query's text: the spans that SQL violations point at.

Only a matched rule asks for them, so the text is parsed again here, with positions, rather
than slowing down the analysis that every evaluation runs. Offsets are Python string
indexes into the query as the agent sent it, `end` exclusive.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Located:
    """Spans by statement (one per statement, none when the split is unclear), and the
    (statement, span) of every table and function by name."""

    statements: tuple[Span, ...]
    tables: dict[str, list[tuple[int, Span]]] = field(default_factory=dict)
    functions: dict[str, list[tuple[int, Span]]] = field(default_factory=dict)

    def statement(self, index: int) -> Span | None:
        """The span of statement `index` (counted from 1)."""
        return self.statements[index - 1] if 0 < index <= len(self.statements) else None


@functools.lru_cache(maxsize=256)
def locate(text: str, dialect: str) -> Located:
    """The spans of the statements, tables and functions of `text`, which parses."""
    from sqlglot import exp

    from railguard.builtins.sql import fold_names, function_names, parse_statements

    parsed, tokens = parse_statements(dialect, text)
    spans = statement_spans(tokens)
    out = Located(spans if len(spans) == len(parsed) else ())
    fold = fold_names(dialect)  # as the analysis folds them, so the names match
    for index, statement in enumerate(parsed, start=1):
        for node in statement.walk():
            if isinstance(node, exp.Table) and node.name:
                parts = [node_span(p, text) for p in node.parts]  # not its alias
                where = _cover([s for s in parts if s is not None])
                if where is not None:
                    name = ".".join(fold(p) for p in node.parts)
                    out.tables.setdefault(name, []).append((index, where))
            elif isinstance(node, exp.Func):
                where = node_span(node, text, call=True)
                if where is not None:
                    for name in function_names(node, exp):
                        out.functions.setdefault(name, []).append((index, where))
    return out


@functools.cache
def _semicolon() -> Any:
    from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

    return TokenType.SEMICOLON


def split_statements(tokens: list[Any]) -> list[list[Any]]:
    """The tokens of each statement: split at semicolons, as the parser splits them."""
    semicolon = _semicolon()
    chunks: list[list[Any]] = [[]]
    for token in tokens:
        if token.token_type is semicolon:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [c for c in chunks if c]


def statement_spans(tokens: list[Any]) -> tuple[Span, ...]:
    """The span of each statement, from its first token to its last."""
    semicolon = _semicolon()
    spans = []
    start = end = -1
    for token in tokens:
        if token.token_type is semicolon:
            if start >= 0:
                spans.append((start, end))
                start = -1
        else:
            if start < 0:
                start = token.start
            end = token.end + 1
    if start >= 0:
        spans.append((start, end))
    return tuple(spans)


def node_span(node: Any, text: str, call: bool = False) -> Span | None:
    """The span of `node` in `text`: from the tokens under it that carry positions (names
    and literals), widened to a function's closing parenthesis and a statement's leading
    keywords (`DELETE FROM`), which carry none."""
    starts, ends = [], []
    for n in node.walk():
        meta = n._meta  # not `.meta`, which would give every node an empty dict
        if meta and "start" in meta:
            starts.append(meta["start"])
            ends.append(meta["end"] + 1)
    if not starts:
        return None
    start, end = min(starts), max(ends)
    lead = _LEADING_KEYWORDS.search(text, 0, start)
    if lead is not None and node.key in ("insert", "update", "delete", "merge"):
        start = lead.start()
    close = _CLOSING_PAREN.match(text, end) if call else None
    if close is not None:
        end = close.end()
    return start, end


_LEADING_KEYWORDS = re.compile(
    r"\b(?:delete\s+from|delete|insert\s+into|insert|update|merge\s+into)\s+$", re.IGNORECASE
)
_CLOSING_PAREN = re.compile(r"\s*\)")


def _cover(spans: list[Span]) -> Span | None:
    return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None


def excerpt(text: str, span: Span, limit: int = 120) -> str:
    piece = text[span[0] : span[1]]
    return piece if len(piece) <= limit else piece[: limit - 3] + "..."
