"""What the engine remembers of a session, and the view of it that `session.*` builtins read.

A session's state is small and immutable: the calls the engine let through (time, tool and a
fingerprint of the tool and its canonicalized arguments), the cost and tokens that events
reported, and the labels rules attached. Stores keep it as one JSON document per session,
so both stores share this one definition of what is recorded and how it is trimmed.

The view is set for the length of one evaluation in a context variable (`CURRENT`): the
builtins read it, the engine sets it, and nothing else needs to pass it around.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from railguard.engine.rules import glob_match

# An idle session is forgotten after a day, and calls older than that are dropped.
DEFAULT_TTL_S = 86_400.0
DEFAULT_MAX_CALLS = 1_000  # calls kept per session (the newest)

# Encoders built once: `json.dumps` with options builds a new one on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
).encode


class Call(NamedTuple):
    """One call the engine allowed."""

    at: float  # seconds since the epoch
    tool: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class SessionState:
    calls: tuple[Call, ...] = ()  # oldest first
    usd: float = 0.0
    tokens: float = 0.0
    labels: tuple[str, ...] = ()

    def to_json(self) -> str:
        """Compact JSON; times as integer milliseconds (cheaper to encode than floats)."""
        return _COMPACT(
            {
                "c": [(round(at * 1000), tool, fp) for at, tool, fp in self.calls],
                "u": self.usd,
                "t": self.tokens,
                "l": self.labels,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionState:
        data = json.loads(text)
        return cls(
            calls=tuple(Call(ms / 1000, tool, fp) for ms, tool, fp in data.get("c", ())),
            usd=float(data.get("u", 0.0)),
            tokens=float(data.get("t", 0.0)),
            labels=tuple(str(x) for x in data.get("l", ())),
        )


EMPTY = SessionState()


@dataclass(frozen=True, slots=True)
class Settings:
    """How much history a store keeps: idle sessions expire after `ttl_s`, and calls older
    than `ttl_s` or beyond the newest `max_calls` are dropped."""

    ttl_s: float = DEFAULT_TTL_S
    max_calls: int = DEFAULT_MAX_CALLS


# ---- what one event adds -------------------------------------------------------------------


def fingerprint(tool: str, args: Any) -> str:
    """The same tool with the same arguments (key order aside) gives the same fingerprint."""
    canonical = _CANONICAL([tool, args]).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


class Cost(NamedTuple):
    usd: float
    tokens: float
    problem: str | None = None  # why `context.cost` could not be read


NO_COST = Cost(0.0, 0.0)


def cost_of(context: Mapping[str, Any]) -> Cost:
    """The cost an event reports in `context.cost`: `{"usd": 0.02, "tokens": 1800}`, what the
    step that produced this event cost. Negative, non-finite or non-numeric values are a
    problem, never subtracted from a budget."""
    cost = context.get("cost")
    if cost is None:
        return NO_COST
    if not isinstance(cost, dict):
        return Cost(0.0, 0.0, '`context.cost` must be an object such as {"usd": 0.02}')
    values = []
    for unit in ("usd", "tokens"):
        value = cost.get(unit, 0)
        if type(value) not in (int, float) or not math.isfinite(value) or value < 0:
            return Cost(0.0, 0.0, f"`context.cost.{unit}` must be a number, zero or more")
        values.append(float(value))
    return Cost(values[0], values[1])


def record(
    state: SessionState,
    now: float,
    settings: Settings,
    call: Call | None,
    cost: Cost,
    labels: tuple[str, ...],
) -> SessionState:
    """The state after one event: its allowed call, its cost and its labels added, and the
    calls that fell out of the history dropped."""
    horizon = now - settings.ttl_s
    calls = [c for c in state.calls if c.at > horizon]
    if call is not None:
        calls.append(call)
    if len(calls) > settings.max_calls:
        calls = calls[-settings.max_calls :]
    new_labels = state.labels + tuple(x for x in labels if x not in state.labels)
    return SessionState(tuple(calls), state.usd + cost.usd, state.tokens + cost.tokens, new_labels)


# ---- what builtins read -----------------------------------------------------------------------


@dataclass(slots=True)
class SessionView:
    """One session as an evaluation sees it, at the time `now`.

    The calls are those before this event; `cost` is this event's own. `windows` collects
    the windows builtins asked about, so that a denial can say when the window frees.
    """

    state: SessionState
    now: float
    tool: str | None = None
    fingerprint: str | None = None
    cost: Cost = NO_COST
    unavailable: str | None = None  # why there is no state to read (no session id, store down)
    windows: set[float] = field(default_factory=set)

    def calls(self, within: float | None = None) -> Iterator[Call]:
        """The calls in the window back from now. A call stamped later than now still
        counts: another evaluator, or another host's clock, recorded it first."""
        if within is None:
            return iter(self.state.calls)
        self.windows.add(within)
        start = self.now - within
        return (c for c in self.state.calls if c.at > start)

    def at(self, now: float) -> SessionView:
        return SessionView(self.state, now, self.tool, self.fingerprint, self.cost)

    def frees(self) -> list[float]:
        """The times, after now, at which a call leaves one of the windows asked about."""
        return sorted(
            {c.at + w for c in self.state.calls for w in self.windows if c.at + w > self.now}
        )


CURRENT: contextvars.ContextVar[SessionView | None] = contextvars.ContextVar(
    "railguard_session", default=None
)


def tool_matches(pattern: str, tool: str) -> bool:
    if "*" in pattern or "?" in pattern:
        return glob_match(pattern, tool)
    return pattern == tool


# ---- durations --------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float | None:
    """`"500ms"`, `"30s"`, `"5m"`, `"1.5h"`, `"7d"` in seconds; None when it is not one."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        return None
    seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    return seconds if seconds > 0 else None
