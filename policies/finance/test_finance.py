"""policies/finance: each row is an event, the decision it must get and the rules behind it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(HERE)


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": tool, "args": args, "session": "s-test"}


def sql(query: str) -> dict[str, Any]:
    return call("run_sql", query=query)


def mail(to: Any, **extra: Any) -> dict[str, Any]:
    return call("send_email", to=to, subject="Invoice INV-004217", body="Paid today.", **extra)


def pay(**args: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"invoice_id": "INV-004217", "amount": 1250.5, "currency": "USD"}
    return call("send_payment", **{**base, **args})


def row(name: str, event: dict[str, Any], decision: str, *rules: str) -> Any:
    return pytest.param(event, decision, sorted("finance." + r for r in rules), id=name)


# (event, decision, rule ids of the violations, without the `finance.` prefix)
ROWS = [
    # -- ordinary work ------------------------------------------------------------
    row("search", call("search_invoices", query="Globex"), "allow"),
    row(
        "search with filters",
        call("search_invoices", query="Globex", status="overdue", limit=20),
        "allow",
    ),
    row("get invoice", call("get_invoice", invoice_id="INV-004217"), "allow"),
    row("select", sql("SELECT id, amount FROM invoices WHERE status = 'open'"), "allow"),
    row("select lower case", sql("select id from invoices limit 5"), "allow"),
    row("select, trailing semicolon", sql("SELECT count(*) FROM invoices;"), "allow"),
    row(
        "with query",
        sql(
            "WITH o AS (SELECT * FROM invoices WHERE status = 'overdue') SELECT sum(amount) FROM o"
        ),
        "allow",
    ),
    row(
        "keywords inside names",
        sql("SELECT updated_at, last_update, created_by FROM invoices"),
        "allow",
    ),
    row("internal mail", mail("ana@acme.com"), "allow"),
    row("internal mail, upper case", mail("Ana.Lopez@ACME.com"), "allow"),
    row("payment", pay(), "allow"),
    row("payment with memo", pay(memo="Globex October"), "allow"),
    row("smallest payment", pay(amount=0.01), "allow"),
    row("payment in EUR", pay(currency="EUR", amount=5000), "allow"),
    row("user input", {"kind": "input", "content": "Pay the overdue Globex invoice."}, "allow"),
    row("model output", {"kind": "output", "content": "Done: INV-004217 is paid."}, "allow"),
    # -- approvals ----------------------------------------------------------------
    row("outside mail", mail("billing@globex.example"), "escalate", "outside_mail"),
    row("lookalike domain", mail("bob@acme.com.evil.io"), "escalate", "outside_mail"),
    row("lookalike prefix", mail("bob@evilacme.com"), "escalate", "outside_mail"),
    row("subdomain is not acme.com", mail("bob@mail.acme.com"), "escalate", "outside_mail"),
    row("second recipient", mail("bob@acme.com, eve@evil.io"), "escalate", "outside_mail"),
    row("display name", mail("Bob <eve@evil.io> bob@acme.com"), "escalate", "outside_mail"),
    row("newline after address", mail("bob@acme.com\n"), "escalate", "outside_mail"),
    row("header injection", mail("bob@acme.com\nBcc: eve@evil.io"), "escalate", "outside_mail"),
    row("recipient list fails closed", mail(["bob@acme.com"]), "escalate", "outside_mail"),
    row(
        "missing recipient fails closed",
        call("send_email", subject="s", body="b"),
        "escalate",
        "outside_mail",
    ),
    row("large payment", pay(amount=9000), "escalate", "large_payment"),
    row("largest payment", pay(amount=50000), "escalate", "large_payment"),
    # -- tools outside the allowlist ------------------------------------------------
    row("unknown tool", call("delete_invoice", invoice_id="INV-004217"), "deny", "default"),
    row(
        "tool name in other case", call("Send_Payment", invoice_id="INV-004217"), "deny", "default"
    ),
    row("tool name with space", call("send_payment ", invoice_id="INV-004217"), "deny", "default"),
    row("shell", call("run_shell", command="rm -rf /"), "deny", "default"),
    # -- invoice ids ----------------------------------------------------------------
    row("short id", call("get_invoice", invoice_id="INV-4217"), "deny", "invoice_id_format"),
    row("lower-case id", call("get_invoice", invoice_id="inv-004217"), "deny", "invoice_id_format"),
    row(
        "id with trailing newline",
        call("get_invoice", invoice_id="INV-004217\n"),
        "deny",
        "invoice_id_format",
    ),
    row(
        "id with injection",
        call("get_invoice", invoice_id="INV-004217' OR '1'='1"),
        "deny",
        "invoice_id_format",
    ),
    row(
        "id with non-ASCII digits",
        call("get_invoice", invoice_id="INV-٠٠٤٢١٧"),
        "deny",
        "invoice_id_format",
    ),
    row("id as a number", call("get_invoice", invoice_id=4217), "deny", "invoice_id_format"),
    row("missing id", call("get_invoice"), "deny", "invoice_id_format"),
    row("payment for a bad id", pay(invoice_id="INV-00421"), "deny", "invoice_id_format"),
    # -- search arguments -----------------------------------------------------------
    row(
        "search limit too high",
        call("search_invoices", query="x", limit=5000),
        "deny",
        "search_limit",
    ),
    row("search limit zero", call("search_invoices", query="x", limit=0), "deny", "search_limit"),
    row(
        "search limit as string",
        call("search_invoices", query="x", limit="10"),
        "deny",
        "search_limit",
    ),
    row(
        "unknown status",
        call("search_invoices", query="x", status="deleted"),
        "deny",
        "search_status",
    ),
    # -- SQL ------------------------------------------------------------------------
    row(
        "delete",
        sql("DELETE FROM invoices WHERE status = 'void'"),
        "deny",
        "sql_select_only",
        "sql_write_keyword",
    ),
    row("drop", sql("DROP TABLE invoices"), "deny", "sql_select_only", "sql_write_keyword"),
    row(
        "update",
        sql("update invoices set amount = 0"),
        "deny",
        "sql_select_only",
        "sql_write_keyword",
    ),
    row(
        "stacked drop",
        sql("SELECT 1; DROP TABLE invoices"),
        "deny",
        "sql_write_keyword",
        "sql_one_statement",
    ),
    row(
        "mixed case",
        sql("SeLeCt * FrOm invoices; dRoP tAbLe vendors"),
        "deny",
        "sql_write_keyword",
        "sql_one_statement",
    ),
    row(
        "write after a block comment",
        sql("SELECT * FROM invoices /* monthly report */;DELETE/**/FROM vendors"),
        "deny",
        "sql_write_keyword",
        "sql_one_statement",
    ),
    row(
        "write inside a block comment",
        sql("SELECT * FROM invoices /*; TRUNCATE invoices */"),
        "deny",
        "sql_write_keyword",
        "sql_one_statement",
    ),
    row(
        "write after a line comment",
        sql("SELECT * FROM invoices -- totals\nUPDATE invoices SET status = 'paid'"),
        "deny",
        "sql_write_keyword",
    ),
    row(
        "data-modifying CTE",
        sql("WITH gone AS (DELETE FROM invoices RETURNING *) SELECT count(*) FROM gone"),
        "deny",
        "sql_write_keyword",
    ),
    row(
        "select into",
        sql("SELECT * INTO backup_invoices FROM invoices"),
        "deny",
        "sql_write_keyword",
    ),
    row("row locks", sql("SELECT * FROM invoices FOR UPDATE"), "deny", "sql_write_keyword"),
    row(
        "write keyword after tab",
        sql("SELECT 1\tUNION SELECT 1\tINSERT"),
        "deny",
        "sql_write_keyword",
    ),
    row("sleep", sql("SELECT pg_sleep(3600)"), "deny", "sql_side_effects"),
    row("file read", sql("select PG_READ_FILE('/etc/passwd')"), "deny", "sql_side_effects"),
    row("set_config", sql("SELECT set_config('role', 'admin', false)"), "deny", "sql_side_effects"),
    row(
        "leading comment (crude guard refuses)",
        sql("/* report */ SELECT 1"),
        "deny",
        "sql_select_only",
    ),
    row(
        "missing query fails closed",
        call("run_sql"),
        "deny",
        "sql_select_only",
        "sql_write_keyword",
        "sql_side_effects",
        "sql_one_statement",
    ),
    # -- email arguments ------------------------------------------------------------
    row("hidden bcc", mail("ana@acme.com", bcc="eve@evil.io"), "deny", "mail_fields"),
    row(
        "bcc and outside mail",
        mail("eve@evil.io", cc="x@acme.com"),
        "deny",
        "mail_fields",
        "outside_mail",
    ),
    # -- payments -------------------------------------------------------------------
    row("amount as a string", pay(amount="1250.50"), "deny", "payment_amount"),
    row("negative amount", pay(amount=-1250), "deny", "payment_amount"),
    row("zero amount", pay(amount=0), "deny", "payment_amount"),
    row("sub-cent amount", pay(amount=0.001), "deny", "payment_amount"),
    row("amount over the cap", pay(amount=50000.01), "deny", "payment_amount", "large_payment"),
    row("amount as a boolean", pay(amount=True), "deny", "payment_amount"),
    row("amount as a list", pay(amount=[100]), "deny", "payment_amount"),
    # JSON has no NaN or infinity: the engine refuses them before any rule runs
    pytest.param(pay(amount=float("nan")), "deny", ["railguard.limits"], id="amount is NaN"),
    pytest.param(pay(amount=float("inf")), "deny", ["railguard.limits"], id="amount is infinite"),
    row(
        "missing amount",
        call("send_payment", invoice_id="INV-004217", currency="USD"),
        "deny",
        "payment_amount",
    ),
    row("lower-case currency", pay(currency="usd"), "deny", "payment_currency"),
    row("unknown currency", pay(currency="BTC"), "deny", "payment_currency"),
    row("currency as a list", pay(currency=["USD"]), "deny", "payment_currency"),
    row(
        "missing currency",
        call("send_payment", invoice_id="INV-004217", amount=100),
        "deny",
        "payment_currency",
    ),
    row("known payee IBAN", pay(iban="GB29NWBK60161331926819"), "allow"),
    row("new IBAN", pay(iban="NL91ABNA0417164300"), "escalate", "new_payee"),
    row(
        "large payment to a new IBAN",
        pay(amount=9000, iban="NL91ABNA0417164300"),
        "escalate",
        "large_payment",
        "new_payee",
    ),
    row(
        "IBAN with spaces",
        pay(iban="GB29 NWBK 6016 1331 9268 19"),
        "deny",
        "iban_format",
        "new_payee",
    ),
    row(
        "IBAN in lower case", pay(iban="gb29nwbk60161331926819"), "deny", "iban_format", "new_payee"
    ),
    row(
        "IBAN with full-width letters",
        pay(iban="\uff27\uff22" + "29NWBK60161331926819"),
        "deny",
        "iban_format",
        "new_payee",
    ),
    row("IBAN as a number", pay(iban=2960161331926819), "deny", "iban_format", "new_payee"),
    row("redirected payee", pay(to_account="GB00EVIL00000000"), "deny", "payment_fields"),
    row(
        "everything wrong at once",
        call("send_payment", invoice_id="x", amount="all", currency="XMR", payee="eve"),
        "deny",
        "invoice_id_format",
        "payment_fields",
        "payment_amount",
        "payment_currency",
    ),
]


@pytest.mark.parametrize(("event", "decision", "rules"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str]
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules, verdict.explain()


@pytest.mark.parametrize(
    ("event", "rule"),
    [
        pytest.param(pay(amount="1250.50"), "finance.payment_amount", id="string amount"),
        pytest.param(call("get_invoice"), "finance.invoice_id_format", id="missing id"),
        pytest.param(mail(["bob@acme.com"]), "finance.outside_mail", id="recipient list"),
    ],
)
def test_checks_that_cannot_run_fail_closed_and_say_why(
    guard: railguard.Guard, event: dict[str, Any], rule: str
) -> None:
    verdict = guard.evaluate(event)
    assert not verdict.allowed
    (violation,) = [v for v in verdict.violations if v.rule == rule]
    assert violation.error, verdict.explain()
    assert "could not be checked" in violation.message


CARD = "4111 1111 1111 1111"

REDACTIONS = [
    pytest.param(
        {"kind": "result", "tool": "get_invoice", "content": f"Paid with card {CARD}."},
        "Paid with card <CARD>.",
        ["finance.cards_in_results"],
        id="result text",
    ),
    pytest.param(
        {
            "kind": "result",
            "tool": "get_invoice",
            "content": {
                "id": "INV-004217",
                "amount": 1250.5,
                "payment": {"card": "4111-1111-1111-1111", "holder": "Globex Ltd"},
                "notes": ["backup card 5500005555555559", "call +1 415 555 0100"],
            },
        },
        {
            "id": "INV-004217",
            "amount": 1250.5,
            "payment": {"card": "<CARD>", "holder": "Globex Ltd"},
            "notes": ["backup card <CARD>", "call +1 415 555 0100"],
        },
        ["finance.cards_in_results", "finance.cards_in_results"],
        id="result JSON",
    ),
    pytest.param(
        {"kind": "result", "tool": "some_other_tool", "content": f"{CARD}"},
        "<CARD>",
        ["finance.cards_in_results"],
        id="result of any tool",
    ),
    pytest.param(
        {"kind": "output", "content": f"Charged 378282246310005 and {CARD} for INV-004217."},
        "Charged <CARD> and <CARD> for INV-004217.",
        ["finance.cards_in_output", "finance.cards_in_output"],
        id="model output",
    ),
]


@pytest.mark.parametrize(("event", "content", "rules"), REDACTIONS)
def test_card_numbers_are_masked(
    guard: railguard.Guard, event: dict[str, Any], content: Any, rules: list[str]
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == "allow", verdict.explain()
    assert verdict.content == content
    assert [r.rule for r in verdict.redactions] == rules


def test_text_without_card_numbers_is_not_rewritten(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(
        {
            "kind": "output",
            "content": "INV-004217: 1250.50 USD paid on 2026-11-25, ref 123456789012.",
        }
    )
    assert verdict.allowed
    assert not verdict.rewritten
    assert verdict.content is None


def test_every_rule_is_exercised(guard: railguard.Guard) -> None:
    fired = {"finance.default"}
    for param in [*ROWS, *REDACTIONS]:
        fired.update(param.values[2])
    (policy,) = guard.policies
    checked = {r.id for r in policy.rules if r.effect != "allow"}
    assert checked - fired == set()


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(HERE)] == []


def test_the_sample_trace_gets_the_decisions_make_demo_shows(guard: railguard.Guard) -> None:
    trace = HERE.parent.parent / "examples" / "trace.jsonl"
    lines = trace.read_text(encoding="utf-8").splitlines()
    verdicts = [guard.evaluate(json.loads(line)) for line in lines if line.strip()]
    assert [v.decision + (" redacted" if v.rewritten else "") for v in verdicts] == [
        "allow",
        "allow",
        "allow",
        "allow",
        "allow redacted",
        "allow",
        "deny",
        "allow",
        "escalate",
        "allow",
        "deny",
        "allow redacted",
    ]
    assert "4111" not in json.dumps([v.content for v in verdicts])
