"""What an indicator reports: one `Hit` per match, and the combined score of a set of hits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KINDS = ("instruction", "hidden", "exfiltration")
THRESHOLD = 0.5  # the default threshold of `injection.flagged`


@dataclass(frozen=True, slots=True)
class Hit:
    """One indicator match: its kind, the indicator's id, where, how much it weighs, why.

    `start` and `end` are character offsets into the original string (the JSON leaf named
    by `path`; empty for a plain string)."""

    kind: str
    rule: str
    start: int
    end: int
    weight: float
    reason: str
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "start": self.start,
            "end": self.end,
            "path": self.path,
            "weight": self.weight,
            "reason": self.reason,
        }


def combined(hits: Iterable[Hit]) -> float:
    """The combined score in [0, 1]: a noisy-or over the indicators that fired, each counted
    once at its highest weight (`1 - prod(1 - w)`), rounded to three decimals."""
    best: dict[str, float] = {}
    for h in hits:
        if h.weight > best.get(h.rule, 0.0):
            best[h.rule] = h.weight
    miss = 1.0
    for w in best.values():
        miss *= 1.0 - w
    return round(1.0 - miss, 3)
