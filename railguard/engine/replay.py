"""Replay: re-decide the events of a decision log with another policy set.

Records whose payload was logged (`payloads: full` or `redacted`) are re-evaluated in log
order; session rules see the same history, because a fresh in-memory session store runs on
a clock set to each record's time. Every record whose decision would change is reported;
records without a payload (`none`, `hash`) cannot be replayed and are counted as skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.engine.auditread import records
from railguard.engine.events import EventError, event_from_dict
from railguard.engine.guard import Guard
from railguard.engine.stores import MemoryStore


@dataclass(frozen=True)
class Change:
    seq: int | None
    id: str | None
    time: str | None
    kind: str
    tool: str | None
    session: str | None
    old: str
    new: str
    old_rules: tuple[str, ...]
    new_rules: tuple[str, ...]
    where: str  # file:line of the record

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "time": self.time,
            "kind": self.kind,
            "tool": self.tool,
            "session": self.session,
            "old": {"decision": self.old, "rules": list(self.old_rules)},
            "new": {"decision": self.new, "rules": list(self.new_rules)},
            "record": self.where,
        }


@dataclass
class ReplayResult:
    replayed: int = 0
    skipped: int = 0  # records without a payload, or whose payload is not an event
    changes: list[Change] = field(default_factory=list)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "skipped": self.skipped,
            "changed": len(self.changes),
            "transitions": [
                {"old": old, "new": new, "count": n}
                for (old, new), n in sorted(self.transitions.items())
            ],
            "changes": [c.to_dict() for c in self.changes],
        }


def replay(
    logs: Iterable[str | Path],
    guard: Guard,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Re-decide every replayable record of `logs` with `guard`; `progress` is called with
    the byte length of each line read."""
    now = [0.0]
    guard = guard.with_sessions(MemoryStore(clock=lambda: now[0])).with_audit(None)
    result = ReplayResult()
    for path, line, record in records(logs):
        if progress is not None:
            progress(1)
        payload = record.get("payload")
        if not isinstance(payload, dict):
            result.skipped += 1
            continue
        try:
            event = event_from_dict(payload)
        except EventError:
            result.skipped += 1
            continue
        now[0] = float(record.get("ts") or 0.0)
        verdict = guard.evaluate(event)
        result.replayed += 1
        old = str(record.get("decision"))
        result.transitions[(old, verdict.decision)] += 1
        if verdict.decision != old:
            result.changes.append(
                Change(
                    seq=record.get("seq"),
                    id=record.get("id"),
                    time=record.get("time"),
                    kind=event.kind,
                    tool=event.tool,
                    session=event.session,
                    old=old,
                    new=verdict.decision,
                    old_rules=tuple(record.get("rules") or ()),
                    new_rules=tuple(v.rule for v in verdict.violations),
                    where=f"{path}:{line}",
                )
            )
    return result
