"""Shadow rollout in-process: a candidate set decides every event beside the active one; its
verdicts are logged and counted, never enforced, and it changes no session."""

from __future__ import annotations

import json
from pathlib import Path

import railguard
from railguard.engine.auditfile import JsonlFile
from railguard.engine.auditlog import DecisionLog

ACTIVE = """
policy pay {
  default allow
  rule big:
    deny call pay when args.amount > 1000
}
"""
CANDIDATE = ACTIVE.replace("> 1000", "> 500")
LIMITED = ACTIVE.replace(
    "  rule big:",
    '  rule rate:\n    deny call pay when session.count("pay", within: "1m") >= 2\n  rule big:',
)


def pay(amount: int) -> dict[str, object]:
    return {"kind": "call", "tool": "pay", "args": {"amount": amount}, "session": "s1"}


def test_the_candidate_decides_but_never_enforces(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog([JsonlFile(path)])
    guard = railguard.loads(ACTIVE, audit=log).with_shadow(railguard.loads(CANDIDATE))
    verdicts = [guard.evaluate(pay(a)) for a in (100, 700, 1500)]
    log.close()
    assert [v.decision for v in verdicts] == ["allow", "allow", "deny"]  # the active set's
    assert [v.shadow.decision for v in verdicts if v.shadow] == ["allow", "deny", "deny"]
    assert guard.shadow_counts == {"agree": 2, "disagree": 1}
    assert "shadow" not in verdicts[1].to_dict()  # the caller sees the enforced verdict only
    records = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["shadow"]["agree"] for r in records] == [True, False, True]
    assert records[1]["shadow"]["rules"] == ["pay.big"] and records[1]["decision"] == "allow"


def test_the_candidate_reads_sessions_and_writes_none() -> None:
    active = railguard.loads(LIMITED)
    guard = active.with_shadow(railguard.loads(LIMITED.replace(">= 2", ">= 1")))
    first, second, third = (guard.evaluate(pay(1)) for _ in range(3))
    # the active set records two calls then denies; the shadow denies from the second on,
    # seeing the active set's calls, and never adds its own
    assert [first.decision, second.decision, third.decision] == ["allow", "allow", "deny"]
    assert [first.shadow.decision, second.shadow.decision, third.shadow.decision] == [  # type: ignore[union-attr]
        "allow",
        "deny",
        "deny",
    ]


def test_a_failing_candidate_is_counted_not_fatal() -> None:
    broken = railguard.loads(CANDIDATE)

    def fail(event: object) -> railguard.Verdict:
        raise RuntimeError("boom")

    broken.evaluate = fail  # type: ignore[method-assign]
    guard = railguard.loads(ACTIVE).with_shadow(broken)
    verdict = guard.evaluate(pay(5))
    assert verdict.allowed and verdict.shadow is None
    assert guard.shadow_counts["error"] == 1
