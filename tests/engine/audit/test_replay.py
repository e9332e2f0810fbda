"""Replay: a 10,000-event log re-decided with a policy whose one rule changed reports exactly
the events an independent computation says change; session rules see the recorded times."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

import railguard
from railguard.cli import main
from railguard.engine.auditfile import JsonlFile
from railguard.engine.auditlog import DecisionLog
from railguard.engine.replay import replay

OLD = """
policy pay {
  version "1"
  default allow
  rule big:
    deny call pay when args.amount > 1000
  rule foreign:
    escalate call pay when args.country != "US"
  rule drop:
    deny call drop_table
}
"""
NEW = OLD.replace("args.amount > 1000", "args.amount > 500").replace('version "1"', 'version "2"')


def write_log(
    path: Path, events: list[dict[str, object]], policy: str, payloads: str = "full"
) -> None:
    log = DecisionLog([JsonlFile(path, flush="batch")], payloads=payloads)  # type: ignore[arg-type]
    guard = railguard.loads(policy, audit=log)
    for event in events:
        guard.evaluate(event)
    log.close()


def payments(n: int) -> list[dict[str, object]]:
    rng = random.Random(42)
    out: list[dict[str, object]] = []
    for i in range(n):
        if i % 50 == 0:
            out.append({"kind": "call", "tool": "drop_table", "args": {}, "session": f"s{i % 97}"})
        else:
            args = {
                "amount": rng.randrange(0, 2000),
                "country": rng.choice(["US", "US", "DE", "FR"]),
            }
            out.append({"kind": "call", "tool": "pay", "args": args, "session": f"s{i % 97}"})
    return out


def test_replay_reports_exactly_the_changed_decisions(tmp_path: Path) -> None:
    events = payments(10_000)
    log = tmp_path / "decisions.jsonl"
    write_log(log, events, OLD)
    new_policy = tmp_path / "pay.rail"
    new_policy.write_text(NEW)

    result = replay([log], railguard.load(new_policy))

    # independently: only payments over 500 and up to 1000 change, and they become denials
    expected = [
        i + 1
        for i, e in enumerate(events)
        if e["tool"] == "pay" and 500 < e["args"]["amount"] <= 1000  # type: ignore[index]
    ]
    assert result.replayed == 10_000 and result.skipped == 0
    assert [c.seq for c in result.changes] == expected
    assert {c.new for c in result.changes} == {"deny"}
    assert all(c.new_rules[0] == "pay.big" for c in result.changes)
    assert sum(n for (old, new), n in result.transitions.items() if old != new) == len(expected)

    cli = CliRunner().invoke(main, ["replay", str(log), "-p", str(new_policy), "--format", "json"])
    assert cli.exit_code == 1, cli.output
    data = json.loads(cli.output)
    assert data["changed"] == len(expected)
    assert [c["seq"] for c in data["changes"]] == expected

    old_policy = tmp_path / "old.rail"
    old_policy.write_text(OLD)
    unchanged = CliRunner().invoke(main, ["replay", str(log), "-p", str(old_policy)])
    assert unchanged.exit_code == 0, unchanged.output
    assert "10000 events replayed, 0 changed, 0 skipped" in unchanged.output


def test_replay_text_output_names_each_change(tmp_path: Path) -> None:
    events = [
        {"kind": "call", "tool": "pay", "args": {"amount": 700, "country": "US"}, "session": "a"},
        {"kind": "call", "tool": "pay", "args": {"amount": 70, "country": "US"}, "session": "a"},
    ]
    log = tmp_path / "d.jsonl"
    write_log(log, events, OLD)
    new_policy = tmp_path / "pay.rail"
    new_policy.write_text(NEW)
    out = CliRunner().invoke(main, ["replay", str(log), "-p", str(new_policy)])
    assert out.exit_code == 1
    assert f"{log}:1: record 1" in out.output
    assert "call pay: allow -> deny" in out.output
    assert "new rules: pay.big" in out.output
    assert "2 events replayed, 1 changed, 0 skipped (no payload)" in out.output


def test_hashed_payloads_cannot_be_replayed(tmp_path: Path) -> None:
    log = tmp_path / "d.jsonl"
    write_log(log, payments(20), OLD, payloads="hash")
    result = replay([log], railguard.loads(NEW))
    assert result.replayed == 0 and result.skipped == 20


def test_session_rules_replay_on_the_recorded_clock(tmp_path: Path) -> None:
    """A new rate limit, replayed: the calls it would have denied are the ones over the limit
    within each minute of recorded time."""
    log = tmp_path / "d.jsonl"
    now = [1_700_000_000.0]
    sink = JsonlFile(log)
    guard = railguard.loads(OLD, audit=DecisionLog([sink], payloads="full", clock=lambda: now[0]))
    for t in [0, 10, 20, 30, 65, 68, 130]:
        now[0] = 1_700_000_000.0 + t
        event = {"kind": "call", "tool": "pay", "args": {"amount": 1, "country": "US", "t": t}}
        guard.evaluate({**event, "session": "a"})
    sink.close()
    limited = OLD.replace(
        "  rule drop:",
        '  rule rate:\n    deny call pay when session.count("pay", within: "1m") >= 3\n  rule drop:',
    )
    result = replay([log], railguard.loads(limited))
    # at 30: 0, 10, 20 in the minute -> deny; at 65: 10, 20 (30 was denied) -> allow;
    # at 68: 10, 20, 65 -> deny; at 130: nothing after 70 -> allow
    assert [c.seq for c in result.changes] == [4, 6]
