"""Tool errors on result events, and what breakers leave behind: decision-log records of
every transition (the log still verifies), Prometheus metrics, shadow policies that change
nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.engine.auditread import verify
from railguard.engine.events import EventError, ToolResult, event_from_dict
from railguard.engine.guard import Guard
from railguard.engine.metrics import Metrics

POLICY = """
policy flaky {
  breaker run_sql: open after 2 failures within "60s" for "30s"
}
"""
CALL = {"kind": "call", "tool": "run_sql", "args": {}, "session": "s-1"}
FAIL = {"kind": "result", "tool": "run_sql", "content": "", "error": {"kind": "server_error"}}


def test_result_events_carry_an_optional_error() -> None:
    plain = event_from_dict({"kind": "result", "tool": "t", "content": "ok"})
    assert isinstance(plain, ToolResult) and plain.error is None
    assert "error" not in plain.to_dict()  # existing events serialize as before
    failed = event_from_dict(
        {**FAIL, "error": {"kind": "rate_limited", "retry_after": 12, "message": "slow down"}}
    )
    assert failed.to_dict()["error"] == {
        "kind": "rate_limited",
        "retry_after": 12.0,
        "message": "slow down",
    }
    assert event_from_dict({**FAIL, "error": None}).error is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("error", "field"),
    [
        ({"kind": "exploded"}, "error.kind"),
        ({"kind": "timeout", "retry_after": -1}, "error.retry_after"),
        ({"kind": "timeout", "extra": 1}, "error.extra"),
        ("timeout", "error"),
    ],
)
def test_bad_errors_are_refused(error: Any, field: str) -> None:
    with pytest.raises(EventError) as caught:
        event_from_dict({**FAIL, "error": error})
    assert f"`{field}" in str(caught.value)


def test_an_error_on_a_call_is_not_an_event_field() -> None:
    with pytest.raises(EventError):
        event_from_dict({**CALL, "error": {"kind": "timeout"}})


def test_transitions_are_decision_log_records(
    make_guard: Callable[..., Guard], clock: Any, tmp_path: Path
) -> None:
    log = tmp_path / "decisions.jsonl"
    guard = make_guard(POLICY, audit=str(log))
    for _ in range(2):
        guard.evaluate(FAIL)
    guard.evaluate(CALL)
    clock.advance(30)
    guard.evaluate(CALL)
    guard.evaluate({**FAIL, "error": None})
    assert guard.audit is not None
    guard.audit.close()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    moves = [(r["from"], r["to"]) for r in records if r["kind"] == "breaker"]
    assert moves == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    opened = next(r for r in records if r["kind"] == "breaker")
    assert opened["breaker"] == "flaky.breaker.run_sql"
    assert opened["failures"] == 2 and opened["last_error"] == "server_error"
    assert opened["cool_down"] == 30.0
    assert len(records) == 5 + 3  # every verdict, and every transition
    assert verify([log]).ok


def test_metrics_show_state_and_transitions(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY)
    for _ in range(2):
        guard.evaluate(FAIL)
    text = Metrics().render("sha256:x", True)
    assert 'railguard_breaker_state{policy="flaky",tool="run_sql"} 2' in text
    assert (
        'railguard_breaker_transitions_total{policy="flaky",tool="run_sql",from="closed",to="open"} 1'
        in text
    )


def test_a_shadow_breaker_only_warns(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY.replace("breaker", "mode shadow\n  breaker"))
    for _ in range(2):
        guard.evaluate(FAIL)
    verdict = guard.evaluate(CALL)
    assert verdict.allowed  # a shadow policy records nothing, so nothing opens


def test_a_shadow_candidate_reads_but_never_writes_breakers(
    make_guard: Callable[..., Guard],
) -> None:
    active = make_guard(POLICY)
    candidate = railguard.loads(POLICY.replace("2 failures", "1 failure"))
    guard = active.with_shadow(candidate)
    guard.evaluate(FAIL)
    verdict = guard.evaluate(CALL)
    assert verdict.allowed and verdict.shadow is not None and verdict.shadow.allowed
    guard.evaluate(FAIL)
    verdict = guard.evaluate(CALL)
    assert verdict.denied and verdict.shadow is not None and verdict.shadow.denied


def test_store_failure_fails_closed(tmp_path: Path) -> None:
    guard = railguard.loads(POLICY, sessions="redis://127.0.0.1:1/0?timeout=0.05")
    verdict = guard.evaluate(CALL)
    assert verdict.denied and verdict.violations[0].error is not None
    result = guard.evaluate(FAIL)
    assert result.allowed and result.warnings[0].error is not None
    lenient = railguard.loads(
        POLICY.replace("breaker", "on_error allow\n  breaker"),
        sessions="redis://127.0.0.1:1/0?timeout=0.05",
    )
    assert lenient.evaluate(CALL).allowed
