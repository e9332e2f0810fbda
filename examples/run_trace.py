"""Run a recorded agent session through policies: one line per event, then a summary.

    .venv/bin/python examples/run_trace.py examples/trace.jsonl -p policies/finance
    .venv/bin/python examples/run_trace.py examples/trace.jsonl -p policies/finance -p policies/common

The trace holds one event per line, as JSON objects with `kind`, `tool`, `args` or
`content`, `session` and `context` (blank lines are skipped); a line may also be
`{"at": SECONDS, "event": {...}}`, which sets the clock the session state and circuit
breakers read (seconds after the trace starts), so that a recorded outage replays the same.
Circuit-breaker transitions show as `breaker ...: closed -> open` beside the event that made
them, and a denied call lists its `fallback` tools and when to `retry`. Every event is evaluated
in order against the loaded policies; each line shows the event's index, kind and tool,
the decision (`redacted` when a rule rewrote the payload) and the reasons: the rule id and
message of every violation and warning, the labels, and where text was masked.

Exit status: 0 when every event was evaluated, 1 when some event is not a valid event,
2 when the policies or the trace cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import railguard
from railguard.engine.auditlog import DecisionLog
from railguard.engine.stores import MemoryStore

INVALID = "invalid"


class Transitions:
    """A decision-log sink that keeps the circuit-breaker transitions, for the trace lines."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def write(self, record: dict[str, Any]) -> None:
        if record.get("kind") == "breaker":
            self.seen.append(f"breaker {record['breaker']}: {record['from']} -> {record['to']}")

    def close(self) -> None:
        pass

    def take(self) -> list[str]:
        out, self.seen = self.seen, []
        return out


def read_trace(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for each non-blank line; `ValueError` names a bad line."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None


def reasons(verdict: railguard.Verdict) -> list[str]:
    out = [f"{v.rule}: {v.message}" for v in verdict.violations]
    out += [f"warning {w.rule}: {w.message}" for w in verdict.warnings]
    out += [f"label {label}" for label in verdict.labels]
    masked: dict[str, list[str]] = {}
    for r in verdict.redactions:
        masked.setdefault(r.rule, [])
        if r.path not in masked[r.rule]:
            masked[r.rule].append(r.path)
    out += [f"{rule}: masked {', '.join(paths)}" for rule, paths in masked.items()]
    if verdict.fallback:
        out.append(f"fallback: {', '.join(verdict.fallback)}")
    said = any("try again in" in v.message for v in verdict.violations)
    if verdict.denied and verdict.retry_after is not None and not said:
        out.append(f"retry in {verdict.retry_after:g} s")
    return out


def evaluate(guard: railguard.Guard, event: Any) -> tuple[str, str, str, list[str]]:
    """(kind, tool, decision, reasons) for one event of the trace."""
    kind = str(event.get("kind", "?")) if isinstance(event, dict) else "?"
    tool = str(event.get("tool") or "-") if isinstance(event, dict) else "-"
    try:
        verdict = guard.evaluate(event)
    except railguard.EventError as exc:
        return kind, tool, INVALID, [d.message for d in exc.diagnostics]
    decision = verdict.decision + (" redacted" if verdict.rewritten else "")
    return kind, tool, decision, reasons(verdict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Evaluate every event of an agent trace (JSON lines) against policies."
    )
    parser.add_argument("trace", type=Path, help="the trace: one JSON event per line")
    parser.add_argument(
        "-p",
        "--policy",
        dest="policies",
        action="append",
        required=True,
        type=Path,
        help="a policy file or folder (repeatable)",
    )
    options = parser.parse_args(argv)

    start = time.time()
    now = [start]
    try:
        guard = railguard.load(options.policies, sessions=MemoryStore(clock=lambda: now[0]))
    except railguard.PolicyError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        events = list(read_trace(options.trace))
    except (OSError, ValueError) as exc:
        print(f"run_trace: {exc}", file=sys.stderr)
        return 2

    transitions = Transitions()
    guard = guard.with_audit(DecisionLog([transitions]))
    rows = []
    for i, (_, event) in enumerate(events, 1):
        if isinstance(event, dict) and set(event) == {"at", "event"}:
            now[0] = start + float(event["at"])
            event = event["event"]
        kind, tool, decision, why = evaluate(guard, event)
        rows.append((str(i), kind, tool, decision, why + transitions.take()))
    header = ("#", "kind", "tool", "decision", "reasons")
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(4)]

    def line(index: str, kind: str, tool: str, decision: str, why: str) -> str:
        cells = [index.rjust(widths[0]), kind.ljust(widths[1]), tool.ljust(widths[2])]
        cells.append(decision.ljust(widths[3]))
        return "  ".join([*cells, why]).rstrip()

    print(line(*header))
    for index, kind, tool, decision, why in rows:
        print(line(index, kind, tool, decision, "; ".join(why)))

    counts = Counter(decision.split()[0] for _, _, _, decision, _ in rows)
    redacted = sum(decision.endswith(" redacted") for _, _, _, decision, _ in rows)
    parts = [f"{counts['allow']} allowed" + (f" ({redacted} redacted)" if redacted else "")]
    parts += [f"{counts['deny']} denied", f"{counts['escalate']} escalated"]
    if counts[INVALID]:
        parts.append(f"{counts[INVALID]} invalid")
    print(f"{len(rows)} events: " + ", ".join(parts))
    return 1 if counts[INVALID] else 0


if __name__ == "__main__":
    sys.exit(main())
