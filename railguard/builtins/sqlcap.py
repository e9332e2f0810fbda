"""The row cap of `sql.limit_rows`: edit the query's own text where it can.

A query is capped by inserting `LIMIT n` after a read statement's last token (`TOP n` after
`SELECT` in T-SQL), or by lowering the number of an existing `LIMIT`/`TOP`/`FETCH FIRST`.
The rest of the text is left exactly as the agent wrote it: regenerating the whole query
with sqlglot can change what it means in the dialect (functions renamed, options dropped).
Only a statement the text edit cannot handle (`WITH TIES`, `PERCENT`, a limit that is an
expression, an `OFFSET` without `LIMIT`, a T-SQL set operation) is regenerated, and the
caller checks every capped query by analysing it again.
"""

from __future__ import annotations

import itertools
from typing import Any

from railguard.builtins.sqlspans import split_statements

# Dialects where `LIMIT n` after the statement caps it.
_LIMIT_DIALECTS = frozenset(
    "postgres mysql sqlite duckdb snowflake bigquery redshift clickhouse databricks spark "
    "hive presto trino athena doris starrocks materialize risingwave".split()
)


def cap_rows(text: str, dialect: str, limit_to: int) -> str | None:
    """`text` with every read statement capped at `limit_to` rows, or None when none needs it."""
    from sqlglot import exp
    from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

    from railguard.builtins.sql import parse_statements

    statements, tokens = parse_statements(dialect, text)
    chunks = split_statements(tokens)
    if len(chunks) != len(statements):
        return _regenerate(statements, dialect, limit_to)

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in text order
    for statement, chunk in zip(statements, chunks, strict=True):
        if not isinstance(statement, exp.Query):
            continue
        edit = _edit(statement, chunk, dialect, limit_to, exp, TokenType)
        if edit is _REGENERATE:
            edit = _wrap(text, statement, chunk, dialect, limit_to)
            if edit is None:
                return _regenerate(statements, dialect, limit_to)
        if edit is not None:
            edits.append(edit)
    if not edits:
        return None
    out = []
    at = 0
    for start, end, replacement in edits:
        out.append(text[at:start])
        out.append(replacement)
        at = end
    out.append(text[at:])
    return "".join(out)


_REGENERATE: tuple[int, int, str] = (-1, -1, "")  # a sentinel: compared with `is`


def _edit(
    statement: Any, chunk: list[Any], dialect: str, limit_to: int, exp: Any, token_type: Any
) -> tuple[int, int, str] | None:
    """The text edit that caps one read statement, None when it needs none, or
    `_REGENERATE` when a text edit cannot do it."""
    capped = statement.args.get("limit") or statement.args.get("fetch")
    if capped is not None:
        options = capped.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            return _REGENERATE
        count = capped.args.get("count") if isinstance(capped, exp.Fetch) else capped.expression
        if isinstance(count, exp.Var) and count.name.upper() == "ALL":  # `LIMIT ALL`: no cap
            for before, token in itertools.pairwise(chunk):
                if before.token_type == token_type.LIMIT and token.text.upper() == "ALL":
                    return int(token.start), int(token.end) + 1, str(limit_to)
            return _REGENERATE
        meta = count._meta if isinstance(count, exp.Literal) and not count.is_string else None
        if not meta or "start" not in meta:
            return _REGENERATE
        try:
            current = int(count.this)
        except ValueError:
            return _REGENERATE
        if current <= limit_to:
            return None
        return int(meta["start"]), int(meta["end"]) + 1, str(limit_to)
    if statement.args.get("offset") is not None:
        return _REGENERATE
    if dialect in _LIMIT_DIALECTS:
        end = int(chunk[-1].end) + 1
        return end, end, f" LIMIT {limit_to}"
    if dialect == "tsql" and isinstance(statement, exp.Select):
        first = chunk[0]
        if first.token_type != token_type.SELECT:
            return _REGENERATE  # a parenthesized or CTE query: let sqlglot place the TOP
        after = chunk[1] if len(chunk) > 1 and chunk[1].token_type == token_type.DISTINCT else first
        at = int(after.end) + 1
        return at, at, f" TOP {limit_to}"
    return _REGENERATE


def _wrap(
    text: str, statement: Any, chunk: list[Any], dialect: str, limit_to: int
) -> tuple[int, int, str] | None:
    """The statement's own text as a subquery under a cap (`SELECT * FROM (...) LIMIT n`),
    which keeps `WITH TIES`, `PERCENT` and set operations as written; None where the
    dialect does not take it."""
    start, end = int(chunk[0].start), int(chunk[-1].end) + 1
    body = text[start:end]
    if dialect in _LIMIT_DIALECTS:
        return start, end, f"SELECT * FROM ({body}) AS railguard_capped LIMIT {limit_to}"
    if dialect == "tsql" and not statement.args.get("with_"):  # T-SQL takes no CTE in a subquery
        return start, end, f"SELECT TOP {limit_to} * FROM ({body}) AS railguard_capped"
    return None


def regenerate(text: str, dialect: str, limit_to: int) -> str | None:
    """`text` parsed and written anew by sqlglot, with every read statement capped."""
    from railguard.builtins.sql import parse_statements

    return _regenerate(parse_statements(dialect, text)[0], dialect, limit_to)


def _regenerate(statements: list[Any], dialect: str, limit_to: int) -> str | None:
    """The whole query written anew by sqlglot, with every read statement capped."""
    from sqlglot import exp

    from railguard.builtins.sql import statement_limit

    changed = False
    out = []
    for statement in statements:
        current = statement_limit(statement, exp) if isinstance(statement, exp.Query) else None
        if isinstance(statement, exp.Query) and (current is None or current > limit_to):
            statement = statement.limit(limit_to, copy=False)
            changed = True
        out.append(statement.sql(dialect=dialect))
    return "; ".join(out) if changed else None
