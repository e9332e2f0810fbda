"""The common policies loaded beside policies/finance: every policy applies to every event."""

from __future__ import annotations

from pathlib import Path

import pytest

import railguard

POLICIES = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load([POLICIES / "finance", POLICIES / "common"])


def test_they_load_together(guard: railguard.Guard) -> None:
    assert sorted(p.name for p in guard.policies) == ["files", "finance", "secrets", "web"]


def test_a_call_finance_allows_is_still_denied_for_a_credential(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(
        railguard.ToolCall(
            tool="send_email",
            args={"to": "ana@acme.com", "subject": "keys", "body": "AKIAIOSFODNN7EXAMPLE"},
        )
    )
    assert verdict.decision == "deny"
    assert [v.rule for v in verdict.violations] == ["secrets.credential_in_body"]


def test_a_tool_web_allows_still_needs_an_allow_from_finance(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(railguard.ToolCall(tool="fetch", args={"url": "https://acme.com/"}))
    assert verdict.decision == "deny"
    assert [v.rule for v in verdict.violations] == ["finance.default"]


def test_redactions_of_both_policies_apply_to_one_result(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(
        railguard.ToolResult(
            tool="get_invoice",
            content="card 4111 1111 1111 1111, vendor key sk-live-0123456789abcdefghijKLMN",
        )
    )
    assert verdict.decision == "allow"
    assert verdict.content == "card <CARD>, vendor key <SECRET>"
    assert sorted({r.rule for r in verdict.redactions}) == [
        "finance.cards_in_results",
        "secrets.mask_results",
    ]
