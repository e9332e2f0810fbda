"""policies/loop-and-budget: repeated calls, bursts, per-tool rates and cost budgets, each
denied with a reason and, for windows, when the agent may retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.engine.stores import MemoryStore
from railguard.policylang.lint import lint

HERE = Path(__file__).parent
P = "loop_and_budget."


class Session:
    """One agent session on a clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.guard = railguard.load(HERE).with_sessions(MemoryStore(clock=lambda: self.now))

    def call(self, tool: str, cost: float = 0.0, tokens: int = 0, **args: Any) -> railguard.Verdict:
        context = {"cost": {"usd": cost, "tokens": tokens}}
        return self.guard.evaluate(
            {"kind": "call", "tool": tool, "args": args, "session": "s1", "context": context}
        )


@pytest.fixture
def session() -> Session:
    return Session()


def test_the_fourth_identical_call_is_a_loop(session: Session) -> None:
    for _ in range(3):
        assert session.call("search", q="invoices").allowed
        session.now += 60
    verdict = session.call("search", q="invoices")
    assert verdict.denied
    assert [v.rule for v in verdict.violations] == [P + "same_call_loop"]
    assert "search already ran 3 times" in verdict.violations[0].message
    assert (
        verdict.retry_after == 420
    )  # the first call, at 0 s, leaves the 10-minute window at 600 s
    assert session.call("search", q="other terms").allowed  # other arguments are another call


def test_a_burst_of_calls_is_slowed_down(session: Session) -> None:
    for i in range(60):
        assert session.call("lookup", id=i).allowed
        session.now += 0.5
    verdict = session.call("lookup", id=60)
    assert [v.rule for v in verdict.violations] == [P + "call_burst"]
    assert verdict.retry_after == 30  # 60 calls over 30 s: the first leaves the minute at 60 s


def test_costly_tools_have_an_hourly_limit(session: Session) -> None:
    for i in range(20):
        assert session.call("run_sql", query=f"SELECT {i}").allowed
        session.now += 90
    verdict = session.call("run_sql", query="SELECT 20")
    assert [v.rule for v in verdict.violations] == [P + "costly_tool_rate"]
    assert verdict.violations[0].message == "run_sql ran 20 times in the last hour, its limit"
    assert session.call("lookup", id=1).allowed  # other tools are not limited by it


def test_the_usd_budget_warns_then_denies(session: Session) -> None:
    assert session.call("plan", cost=3.5).allowed
    verdict = session.call("plan", cost=0.75, step=2)
    assert verdict.allowed
    assert [w.rule for w in verdict.warnings] == [P + "budget_warning"]
    verdict = session.call("plan", cost=1.0, step=3)
    assert verdict.denied
    assert [v.rule for v in verdict.violations] == [P + "usd_budget"]
    assert verdict.violations[0].message == ("the session spent 5.25 USD, over its budget of 5 USD")
    assert verdict.retry_after is None  # a budget does not free with time


def test_the_token_budget(session: Session) -> None:
    assert session.call("summarize", tokens=1_500_000).allowed
    verdict = session.call("summarize", tokens=600_000, part=2)
    assert [v.rule for v in verdict.violations] == [P + "token_budget"]


def test_a_session_without_an_id_fails_closed() -> None:
    guard = railguard.load(HERE)
    verdict = guard.evaluate({"kind": "call", "tool": "search", "args": {}})
    assert verdict.denied
    assert all(v.error for v in verdict.violations)


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(HERE)] == []
