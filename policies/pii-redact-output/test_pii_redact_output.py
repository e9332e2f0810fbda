"""policies/pii-redact-output: government ids deny an answer, cards and social security
numbers sent to tools escalate, and contact details and cards are masked where they are
read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

HERE = Path(__file__).parent
P = "pii_redact_output."
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(HERE)


def output(content: Any) -> dict[str, Any]:
    return {"kind": "output", "content": content}


def result(content: Any) -> dict[str, Any]:
    return {"kind": "result", "tool": "crm_lookup", "content": content}


def call(**args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": "send_email", "args": args}


# (event, decision, violated rules, rewritten content or args, or None when unchanged)
ROWS = [
    pytest.param(output("Your order shipped on Monday."), "allow", [], None, id="nothing"),
    pytest.param(
        output("Write to jane.roe@example.com or call +1 415-555-0132."),
        "allow",
        [],
        "Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>.",
        id="contacts masked",
    ),
    pytest.param(
        output(f"The card on file is {CARD}."),
        "allow",
        [],
        "The card on file is **** **** **** 1111.",
        id="card keeps its last four",
    ),
    pytest.param(
        output("card 4111\u200b1111\u200b1111\u200b1111 ok"),
        "allow",
        [],
        "card ****\u200b****\u200b****\u200b1111 ok",
        id="zero-width card masked in place",
    ),
    pytest.param(
        output({"iban": "DE89 3704 0044 0532 0130 00", "n": 1}),
        "allow",
        [],
        {"iban": "<IBAN_CODE>", "n": 1},
        id="JSON answer",
    ),
    pytest.param(
        output("Her SSN is 536-22-8741."), "deny", [P + "no_government_ids"], None, id="ssn"
    ),
    pytest.param(
        output("ssn \uff15\uff13\uff16-\uff12\uff12-\uff18\uff17\uff14\uff11"),
        "deny",
        [P + "no_government_ids"],
        None,
        id="full-width ssn",
    ),
    pytest.param(
        result({"rows": [{"email": "a.b@example.org", "card": CARD}]}),
        "allow",
        [],
        {"rows": [{"email": "<EMAIL_ADDRESS>", "card": "<CREDIT_CARD>"}]},
        id="tool result masked",
    ),
    pytest.param(call(to="a@acme.com", body="hello"), "allow", [], None, id="plain call"),
    pytest.param(
        call(to="a@acme.com", body=f"pay with {CARD}"),
        "escalate",
        [P + "cards_leaving"],
        None,
        id="card sent out",
    ),
]


@pytest.mark.parametrize(("event", "decision", "rules", "rewritten"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str], rewritten: Any
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules
    got = verdict.args if event["kind"] == "call" else verdict.content
    assert got == rewritten, verdict.explain()


def test_messages_and_details_name_the_entity_not_the_value(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(output("Her SSN is 536-22-8741."))
    (violation,) = verdict.violations
    assert violation.message == 'the answer holds a government id: {"US_SSN"}'
    assert violation.details is not None
    assert violation.details["pii"] == [
        {"entity": "US_SSN", "score": 0.85, "start": 11, "end": 22, "path": ""}
    ]
    assert "536-22-8741" not in verdict.to_json()
    verdict = guard.evaluate(call(body=f"pay with {CARD}"))
    assert verdict.violations[0].message == 'send_email would receive {"CREDIT_CARD"}'


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(HERE)] == []
