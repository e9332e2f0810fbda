"""Breaker transitions as Prometheus metrics, kept per process (the sidecar's `/metrics`
renders them beside its own counters).

- `railguard_breaker_state{policy,tool}`: 0 closed, 1 half-open, 2 open; the state of the
  tool's breaker after the last transition this process made or saw. For `per tenant` and
  `per session` breakers it is the last transition of any tenant or session.
- `railguard_breaker_transitions_total{policy,tool,from,to}`: transitions made here.

Label sets are bounded by the tools the policies name.
"""

from __future__ import annotations

import threading
from collections import Counter

from railguard.engine.breakers.state import CLOSED, HALF_OPEN, OPEN

STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


class BreakerMetrics:
    def __init__(self) -> None:
        self.states: dict[tuple[str, str], str] = {}
        self.transitions: Counter[tuple[str, str, str, str]] = Counter()
        self._lock = threading.Lock()

    def transition(self, policy: str, tool: str, old: str, new: str) -> None:
        with self._lock:
            self.states[(policy, tool)] = new
            self.transitions[(policy, tool, old, new)] += 1

    def state(self, policy: str, tool: str) -> str:
        return self.states.get((policy, tool), CLOSED)

    def lines(self) -> list[str]:
        """The metrics in Prometheus text format; nothing before the first breaker acts."""
        with self._lock:
            states = sorted(self.states.items())
            transitions = sorted(self.transitions.items())
        if not states:
            return []
        out = [
            "# HELP railguard_breaker_state Circuit breaker state per tool: 0 closed, 1 half-open, 2 open.",
            "# TYPE railguard_breaker_state gauge",
        ]
        for (policy, tool), state in states:
            out.append(
                f'railguard_breaker_state{{policy="{_esc(policy)}",tool="{_esc(tool)}"}} '
                f"{STATE_VALUES[state]}"
            )
        out += [
            "# HELP railguard_breaker_transitions_total Circuit breaker transitions by tool.",
            "# TYPE railguard_breaker_transitions_total counter",
        ]
        for (policy, tool, old, new), n in transitions:
            out.append(
                f'railguard_breaker_transitions_total{{policy="{_esc(policy)}",tool="{_esc(tool)}",'
                f'from="{old}",to="{new}"}} {n}'
            )
        return out

    def reset(self) -> None:
        with self._lock:
            self.states.clear()
            self.transitions.clear()


METRICS = BreakerMetrics()


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
