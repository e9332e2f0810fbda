"""A breaker's state and its transitions, as pure functions of (spec, state, now).

States, as resilience libraries name them:

- **closed**: calls pass; failures are counted (the count form keeps the times of the last
  `threshold` failures in the window; the rate form keeps ten buckets of calls and failures
  spanning the window). Reaching the threshold opens it.
- **open**: calls are denied until `open_until` (the cool-down, or the `retry_after` a
  failing tool reported when that is longer, capped by `max`).
- **half-open**: after the cool-down, `admit` lets exactly `trials` calls through (each
  admission is one compare-and-set, so also across processes). When every trial succeeds
  the breaker closes; a failed trial opens it again for twice the previous cool-down, capped.
  A trial whose result never comes (the call was never run) is given up after one base
  cool-down, and a new round of trials starts.

The stores keep the state as compact JSON (`to_json`); a state equal to `CLOSED_STATE` is
not kept at all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import NamedTuple

from railguard.engine.breakers.spec import CompiledBreaker

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
BUCKETS = 10  # the rate form's window, in slices
BUSY_RETRY_S = 1.0  # what a call turned away by a running trial is told to wait, at most

_COMPACT = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class BreakerState:
    phase: str = CLOSED
    failures: tuple[float, ...] = ()  # count form: times of the recent failures, oldest first
    buckets: tuple[tuple[float, int, int], ...] = ()  # rate form: (start, calls, failures)
    last_error: str | None = None
    tripped: tuple[int, int] = (0, 0)  # the failures and calls (rate form) that opened it
    trial_failed: bool = False  # it opened again because a trial call failed
    opened_at: float = 0.0
    open_until: float = 0.0
    cool_down: float = 0.0  # the current cool-down, seconds (doubles on each failed trial)
    trials: int = 0  # trial calls admitted in this half-open round
    passed: int = 0  # trial calls of this round that succeeded
    trial_at: float = 0.0  # when this round of trials started

    def to_json(self) -> str:
        return _COMPACT(
            [
                self.phase,
                self.failures,
                self.buckets,
                self.last_error,
                self.tripped,
                self.trial_failed,
                self.opened_at,
                self.open_until,
                self.cool_down,
                self.trials,
                self.passed,
                self.trial_at,
            ]
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BreakerState:
        (phase, failures, buckets, last, tripped, trial_failed, *rest) = json.loads(text)
        opened_at, open_until, cool_down, trials, passed, trial_at = rest
        return cls(
            str(phase),
            tuple(float(t) for t in failures),
            tuple((float(s), int(c), int(f)) for s, c, f in buckets),
            None if last is None else str(last),
            (int(tripped[0]), int(tripped[1])),
            bool(trial_failed),
            float(opened_at),
            float(open_until),
            float(cool_down),
            int(trials),
            int(passed),
            float(trial_at),
        )


CLOSED_STATE = BreakerState()


def phase(state: BreakerState | None, now: float) -> str:
    """The state as a caller sees it at `now`: an open breaker past its cool-down is
    half-open (it becomes so in the store when the first trial is admitted)."""
    if state is None:
        return CLOSED
    if state.phase == OPEN and now >= state.open_until:
        return HALF_OPEN
    return state.phase


class Admission(NamedTuple):
    admitted: bool
    state: BreakerState | None  # the state to save; None: unchanged
    retry_after: float | None  # when turned away: seconds until a call may pass
    trial: bool = False  # admitted as a half-open trial


def admit(spec: CompiledBreaker, state: BreakerState, now: float) -> Admission:
    """Whether a call may pass now, and the state that admitting it leaves."""
    if state.phase == CLOSED:
        return Admission(True, None, None)
    if state.phase == OPEN:
        if now < state.open_until:
            return Admission(False, None, _seconds(state.open_until - now))
        new = replace(state, phase=HALF_OPEN, trials=1, passed=0, trial_at=now)
        return Admission(True, new, None, True)
    # half-open
    if now >= state.trial_at + spec.cool_down:  # the round's trials never reported: start over
        return Admission(True, replace(state, trials=1, passed=0, trial_at=now), None, True)
    if state.trials < spec.trials:
        return Admission(True, replace(state, trials=state.trials + 1), None, True)
    wait = min(BUSY_RETRY_S, state.trial_at + spec.cool_down - now)
    return Admission(False, None, _seconds(wait))


def release(state: BreakerState) -> BreakerState | None:
    """Give back a trial that was admitted but not run (the policy denied the call)."""
    if state.phase != HALF_OPEN or state.trials <= state.passed:
        return None
    return replace(state, trials=state.trials - 1)


def outcome(
    spec: CompiledBreaker,
    state: BreakerState,
    now: float,
    failed: bool,
    kind: str | None = None,
    reported_retry: float | None = None,
) -> BreakerState | None:
    """The state after a tool result (`failed`: an error of a kind the breaker counts); None
    when it does not change. Results that come while the breaker is open are from calls
    made before it opened and are ignored."""
    if state.phase == OPEN:
        return None
    if state.phase == HALF_OPEN:
        if failed:
            cool = min(max(state.cool_down, spec.cool_down) * 2, spec.max_cool_down)
            return _open(spec, state, now, cool, kind, reported_retry, state.tripped, True)
        passed = state.passed + 1
        if passed >= spec.trials:
            return CLOSED_STATE
        return replace(state, passed=passed)
    if spec.rate:
        return _closed_rate(spec, state, now, failed, kind, reported_retry)
    if not failed:
        return None  # the count form counts failures only
    horizon = now - spec.window
    failures = (*(t for t in state.failures if t > horizon), now)[-spec.threshold :]
    if len(failures) >= spec.threshold:
        tripped = (len(failures), 0)
        return _open(spec, state, now, spec.cool_down, kind, reported_retry, tripped, False)
    return replace(state, failures=failures, last_error=kind)


def _closed_rate(
    spec: CompiledBreaker,
    state: BreakerState,
    now: float,
    failed: bool,
    kind: str | None,
    reported_retry: float | None,
) -> BreakerState:
    width = spec.window / BUCKETS
    start = math.floor(now / width) * width
    horizon = now - spec.window
    buckets = [b for b in state.buckets if b[0] + width > horizon]
    if buckets and buckets[-1][0] == start:
        s, calls, fails = buckets[-1]
        buckets[-1] = (s, calls + 1, fails + failed)
    else:
        buckets.append((start, 1, int(failed)))
    calls = sum(b[1] for b in buckets)
    fails = sum(b[2] for b in buckets)
    if failed and calls >= spec.min_calls and fails * 100 >= spec.percent * calls:
        return _open(spec, state, now, spec.cool_down, kind, reported_retry, (fails, calls), False)
    return replace(state, buckets=tuple(buckets), last_error=kind if failed else state.last_error)


def _open(
    spec: CompiledBreaker,
    state: BreakerState,
    now: float,
    cool_down: float,
    kind: str | None,
    reported_retry: float | None,
    tripped: tuple[int, int],
    trial_failed: bool,
) -> BreakerState:
    wait = max(cool_down, min(reported_retry or 0.0, spec.max_cool_down))
    return BreakerState(
        phase=OPEN,
        last_error=kind or state.last_error,
        tripped=tripped,
        trial_failed=trial_failed,
        opened_at=now,
        open_until=now + wait,
        cool_down=cool_down,
    )


def _seconds(value: float) -> float:
    """Seconds rounded up to the millisecond, as session windows' `retry_after` are."""
    return max(0.001, math.ceil(round(value * 1000, 6)) / 1000)
