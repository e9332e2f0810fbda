"""An agent stuck in a loop: it searches, reads the result, and searches again with the same
arguments. `policies/loop-and-budget` stops the fourth identical call, says why and when it
may retry, and lets the call through again once the window has passed."""

from __future__ import annotations

from pathlib import Path

import railguard
from railguard.engine.stores import open_store

POLICY = Path(__file__).resolve().parents[3] / "policies" / "loop-and-budget"
SEARCH = {
    "kind": "call",
    "tool": "web_search",
    "args": {"q": "Q3 invoices ACME"},
    "session": "run-7",
}
RESULT = {"kind": "result", "tool": "web_search", "content": "no results", "session": "run-7"}
THINK = {"kind": "output", "content": "Let me search again.", "session": "run-7"}


def test_a_looping_agent_is_stopped_and_told_when_to_retry(store_url: str) -> None:
    now = [1_700_000_000.0]
    store = open_store(store_url)
    store.clock = lambda: now[0]
    guard = railguard.load(POLICY, sessions=store)
    trace = [SEARCH, RESULT, THINK] * 4  # the same search, four times, 20 s apart
    decisions = []
    for event in trace:
        verdict = guard.evaluate(event)
        decisions.append(verdict.decision)
        now[0] += 20 / 3
    assert decisions == ["allow"] * 9 + ["deny", "allow", "allow"]

    now[0] = 1_700_000_000.0 + 60  # the fourth search again, as it came
    stopped = guard.evaluate(SEARCH)
    assert stopped.denied
    (violation,) = stopped.violations
    assert violation.rule == "loop_and_budget.same_call_loop"
    assert violation.message == (
        "web_search already ran 3 times with these arguments in 10 minutes: "
        "the agent looks stuck in a loop"
    )
    assert stopped.retry_after == 540  # the first search (at 0 s) leaves the window at 600 s
    assert violation.details == {"retry_after": 540}
    explained = stopped.explain()
    assert "same_call_loop" in explained and "retry after 540 s" in explained
    wire = stopped.to_dict()
    assert wire["retry_after"] == 540

    now[0] = 1_700_000_000.0 + 600  # the window frees when it said
    assert guard.evaluate(SEARCH).allowed
    assert guard.evaluate(SEARCH).denied  # and the loop is caught again at once
    store.close()
