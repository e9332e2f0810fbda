"""Selectors, the per-slice counters, and the model in the decision log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard import ModelOutput, ToolCall
from railguard.engine.auditlog import DecisionLog
from railguard.engine.drift import DriftError, collect
from railguard.engine.drift.slices import SelectorError, SliceStats, parse_selector, record_model
from railguard.engine.drift.synth import write_log


def _rec(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "time": "2026-11-05T10:00:00+00:00",
        "ts": 1793872800.0,
        "policy_digest": "sha256:aa",
        "kind": "call",
        "tool": "run_sql",
        "decision": "allow",
        "rules": [],
        "violations": [],
        "warnings": [],
        "model": "gpt-4o-2024-08-06",
    }
    base.update(kw)
    return base


def test_selector_fields_and_operators() -> None:
    r = _rec()
    assert parse_selector("model=gpt-4o-2024-08-06").matches(r)
    assert parse_selector("model=gpt-4o*").matches(r)
    assert not parse_selector("model!=gpt-4o*").matches(r)
    assert parse_selector("model=gpt-4o-2024-08-06, policy_digest=sha256:aa,kind=call").matches(r)
    assert not parse_selector("model=gpt-4o-2024-08-06,tool=send_email").matches(r)
    assert parse_selector("time>=2026-11-05").matches(r)
    assert parse_selector("time<2026-11-05T10:00:01").matches(r)
    assert not parse_selector("time<2026-11-05T10:00").matches(r)
    assert parse_selector("time<=2026-11-05T10:00").matches(r)
    assert not parse_selector("time>2026-11-05T10:00").matches(r)
    assert parse_selector("time>=2026-11-05T11:00+01:00").matches(r)  # zones count
    # a record without a model matches neither = nor !=
    no_model = _rec(model=None)
    assert not parse_selector("model=x").matches(no_model)
    assert not parse_selector("model!=x").matches(no_model)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty selector"),
        ("colour=red", "`colour` is not a field"),
        ("model", "expected FIELD=VALUE"),
        ("time=2026-11-01", "compare time with"),
        ("time>=yesterday", "not an ISO 8601 time"),
        ("model>=a", "compare model with = or !="),
    ],
)
def test_selector_errors(text: str, says: str) -> None:
    with pytest.raises(SelectorError, match=says):
        parse_selector(text)


def test_model_from_the_payload_of_older_logs() -> None:
    old = _rec(model=None, payload={"kind": "call", "context": {"model": "claude-x"}})
    del old["model"]
    assert record_model(old) == "claude-x"
    assert record_model(_rec(model=None)) is None
    assert record_model(_rec(model=3)) is None


def test_slice_counters() -> None:
    s = SliceStats("all")
    s.add(
        _rec(
            decision="deny",
            rules=["p.a"],
            violations=[{"rule": "p.a", "effect": "deny", "details": {"schema": [1]}}],
        )
    )
    s.add(
        _rec(
            kind="output",
            tool=None,
            warnings=[
                {
                    "rule": "p.w",
                    "effect": "warn",
                    "details": {"pii": [1], "injection": [1]},
                    "error": "x",
                }
            ],
            payload={"kind": "output", "content": "hello"},
            redactions=[{"rule": "p.r"}],
            shadow={"decision": "deny", "agree": False},
        )
    )
    s.add(_rec(kind="output", tool=None, payload={"kind": "output", "content": {"a": 1}}))
    s.add(_rec(kind="output", tool=None))  # no payload: no length
    assert s.events == 4
    assert s.decisions == {"deny": 1, "allow": 3}
    assert s.rules == {"p.a": 1, "p.w": 1}
    assert s.tools == {"run_sql": 1}
    assert s.schema == {"call": 1}
    assert (s.pii, s.injection, s.errors, s.redacted, s.shadowed, s.shadow_disagree) == (
        1,
        1,
        1,
        1,
        1,
        1,
    )
    assert s.output_length.n == 2 and s.output_length.mean == pytest.approx((5 + 7) / 2)
    assert s.first_time == s.last_time == "2026-11-05T10:00:00+00:00"


def test_decision_log_records_the_model(tmp_path: Path) -> None:
    class Sink:
        def __init__(self) -> None:
            self.records: list[dict[str, Any]] = []

        def write(self, record: dict[str, Any]) -> None:
            self.records.append(record)

        def close(self) -> None:
            pass

    sink = Sink()
    policy = tmp_path / "p.rail"
    policy.write_text("policy p {\n  default allow\n}\n")
    guard = railguard.load(str(policy), audit=DecisionLog([sink], payloads="none"))
    guard.evaluate(ToolCall(tool="t", args={}, session="s", context={"model": "gpt-4o-2024-08-06"}))
    guard.evaluate(ModelOutput(content="hi", session="s", context={"model": 7}))
    guard.evaluate(ModelOutput(content="hi", session="s"))
    assert sink.records[0]["model"] == "gpt-4o-2024-08-06"
    assert "model" not in sink.records[1] and "model" not in sink.records[2]


def test_collect_by_model_and_by_selectors(tmp_path: Path) -> None:
    a = write_log(tmp_path / "a.jsonl", "m-old", 300, 1)
    b = write_log(tmp_path / "b.jsonl", "m-new", 200, 2, start=1_794_000_000.0, model_at_top=False)
    base, cand, notes = collect([a, b])
    assert (base.selector, base.events, cand.selector, cand.events) == (
        "model=m-old",
        300,
        "model=m-new",
        200,
    )
    assert notes == []
    base, cand, notes = collect([a, b], "time<2026-11-06", "time>=2026-11-06")
    assert (base.events, cand.events) == (300, 200)
    base, cand, notes = collect([a, b], "policy_digest=sha256:*", "model=m-new")
    assert (base.events, cand.events) == (500, 200)
    assert notes == ["200 records match both selectors and count in both slices"]


def test_collect_usage_errors(tmp_path: Path) -> None:
    a = write_log(tmp_path / "a.jsonl", "m1", 50, 1)
    with pytest.raises(
        DriftError, match="exactly two models in the log, found 1: m1 \\(50 events\\)"
    ):
        collect([a])
    b = write_log(tmp_path / "b.jsonl", "m2", 50, 2)
    c = write_log(tmp_path / "c.jsonl", "m3", 50, 3)
    with pytest.raises(DriftError, match="found 3"):
        collect([a, b, c])
    with pytest.raises(DriftError, match="both --baseline and --candidate"):
        collect([a], baseline="model=m1")
    with pytest.raises(DriftError, match="holds no records"):
        collect([a, b], "model=m1", "model=nope")


def test_rotated_segments_are_read(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    write_log(tmp_path / "decisions.jsonl.000001", "m1", 40, 1)
    write_log(log, "m2", 30, 2)
    base, cand, _ = collect([log])
    assert (base.events, cand.events) == (40, 30)
    assert json.loads(log.read_text().splitlines()[0])["model"] == "m2"
