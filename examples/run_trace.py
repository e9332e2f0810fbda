"""Run a recorded agent session through policies: one line per event, then a summary.

    .venv/bin/python examples/run_trace.py examples/trace.jsonl -p policies/finance
    .venv/bin/python examples/run_trace.py examples/trace.jsonl -p policies/finance -p policies/common

The trace holds one event per line, as JSON objects with `kind`, `tool`, `args` or
`content`, `session` and `context` (blank lines are skipped). Every event is evaluated
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
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import railguard

INVALID = "invalid"


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

    try:
        guard = railguard.load(options.policies)
    except railguard.PolicyError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        events = list(read_trace(options.trace))
    except (OSError, ValueError) as exc:
        print(f"run_trace: {exc}", file=sys.stderr)
        return 2

    rows = [(str(i), *evaluate(guard, event)) for i, (_, event) in enumerate(events, 1)]
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
