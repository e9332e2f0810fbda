"""What a SQL violation tells the user: which statement, which table or function, and the
span of the query text at fault (`query[start:end]` is the offending text), and, for text
that does not parse, the parser's line and column in words that do not name sqlglot."""

from __future__ import annotations

from typing import Any

import pytest

import railguard

POLICY = """
policy sql_details {
  dialect "postgres"

  rule read_only:
    deny call run_sql unless sql.read_only(args.query)

  rule known_tables:
    deny call run_sql when sql.tables(args.query) - {"orders", "customers"}

  rule dangerous_functions:
    deny call run_sql when sql.denied_functions(args.query)

  rule filtered:
    deny call run_sql unless sql.has_where(args.query)

  rule one_statement:
    deny call run_sql unless sql.statement_count(args.query) == 1
}
"""


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.loads(POLICY)


def details(guard: railguard.Guard, query: str) -> dict[str, dict[str, Any]]:
    verdict = guard.evaluate({"kind": "call", "tool": "run_sql", "args": {"query": query}})
    return {v.rule.split(".")[1]: v.details or {} for v in verdict.violations}


# (query, rule, the key under details["sql"], the fields every item must have, and the text
# each item's span must cover)
CASES = [
    pytest.param(
        "SELECT 1; DELETE FROM orders",
        "read_only",
        "writes",
        [{"statement": 2, "what": "a delete statement"}],
        ["DELETE FROM orders"],
        id="stacked write: the second statement",
    ),
    pytest.param(
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
        "read_only",
        "writes",
        [{"statement": 1, "what": "a DELETE inside the statement"}],
        ["DELETE FROM orders RETURNING *"],
        id="data-modifying CTE: the DELETE inside",
    ),
    pytest.param(
        "SELECT id INTO TEMP copy FROM orders",
        "read_only",
        "writes",
        [{"statement": 1, "what": "SELECT ... INTO inside the statement"}],
        ["copy"],
        id="SELECT INTO: the new table",
    ),
    pytest.param(
        "/*!50000 DROP TABLE orders */ SELECT 1",
        "read_only",
        "writes",
        [{"statement": 0}],
        ["/*!50000 DROP TABLE orders */"],
        id="executable comment",
    ),
    pytest.param(
        "SELECT o.id FROM orders o JOIN secrets.keys k ON k.id = o.id",
        "known_tables",
        "tables",
        [{"name": "orders", "statement": 1}, {"name": "secrets.keys", "statement": 1}],
        ["orders", "secrets.keys"],
        id="tables, in text order",
    ),
    pytest.param(
        "SELECT id FROM orders WHERE pg_sleep( 10 ) IS NULL",
        "dangerous_functions",
        "functions",
        [{"name": "pg_sleep", "statement": 1}],
        ["pg_sleep( 10 )"],
        id="denylisted function, with its arguments",
    ),
    pytest.param(
        "SELECT 1;\nUPDATE orders SET total = 0",
        "filtered",
        "without_where",
        [{"statement": 2}],
        ["UPDATE orders SET total = 0"],
        id="UPDATE without WHERE",
    ),
    pytest.param(
        "SELECT 1; SELECT 2",
        "one_statement",
        "statements",
        [{"statement": 1, "kind": "select"}, {"statement": 2, "kind": "select"}],
        ["SELECT 1", "SELECT 2"],
        id="every statement",
    ),
]


@pytest.mark.parametrize(("query", "rule", "key", "items", "texts"), CASES)
def test_violation_points_at_the_text(
    guard: railguard.Guard,
    query: str,
    rule: str,
    key: str,
    items: list[dict[str, Any]],
    texts: list[str],
) -> None:
    found = details(guard, query)
    assert rule in found, found
    sql = found[rule]["sql"]
    assert sql["dialect"] == "postgres"
    got = sql[key]
    assert len(got) == len(items), got
    for item, want, text in zip(got, items, texts, strict=True):
        assert want.items() <= item.items(), item
        assert query[item["start"] : item["end"]] == text, item
        assert item["text"] == text


def test_the_matched_value_names_the_offending_table(guard: railguard.Guard) -> None:
    found = details(guard, "SELECT * FROM orders, payroll, audit.log")
    assert found["known_tables"]["matched"] == ["audit.log", "payroll"]


@pytest.mark.parametrize(
    ("query", "problem", "line", "column"),
    [
        ("SELECT * FROM orders WHERE", "an incomplete WHERE", 1, 22),
        ("SELECT id\nFROM", "expected a table name, found the end of the query", 2, 1),
        ("SELECT (1", "expected `)`", 1, 9),
        ("SELECT id FROM orders o p", "unexpected `p`", 1, 25),
    ],
)
def test_a_parse_error_gives_line_and_column(
    guard: railguard.Guard, query: str, problem: str, line: int, column: int
) -> None:
    verdict = guard.evaluate({"kind": "call", "tool": "run_sql", "args": {"query": query}})
    assert verdict.denied
    for violation in verdict.violations:
        where = violation.details["sql"] if violation.details else {}
        assert where["problem"].startswith(problem), where
        assert (where["line"], where["column"]) == (line, column), where
        assert f"line {line}, column {column}" in (violation.error or "")
        assert "sqlglot" not in (violation.error or "")
        assert "Token" not in (violation.error or "")


def test_an_allowed_query_computes_no_details(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(
        {"kind": "call", "tool": "run_sql", "args": {"query": "SELECT id FROM orders WHERE id = 1"}}
    )
    assert verdict.decision == "allow"
    assert not verdict.violations
