"""Evaluation with session state: load the session, decide, record, and retry on a race.

Check and record are one atomic step: the engine loads the session with its version,
decides on the event against it, and saves what the decision adds (the allowed call, the
reported cost, the labels) only if no other evaluation saved in between; otherwise it loads
again and decides again. So when fifty calls race for a limit of ten, exactly ten see a
count under the limit, whichever sidecar they reach.

What the engine records: a `call` it allowed (time, tool, fingerprint of tool and
arguments); the cost in any event's `context.cost`; the labels of `label` rules that
matched. A denied or escalated call is not recorded: it did not run, so it neither uses up
a rate limit nor counts as a repeat.

A store that fails (Redis down, timed out) fails closed: session rules cannot be checked
(each is a fail-closed error), and a record that cannot be saved adds a deny with the
store's error, unless every enforced policy with session rules says `on_error allow`.
"""

from __future__ import annotations

import math
import random
import time
from typing import TYPE_CHECKING

from railguard.engine.events import Event
from railguard.engine.session_state import (
    CURRENT,
    EMPTY,
    Call,
    SessionState,
    SessionView,
    cost_of,
    fingerprint,
    record,
)
from railguard.engine.stores import StoreError
from railguard.engine.verdict import DENY, Verdict, Violation

if TYPE_CHECKING:
    from railguard.engine.guard import Guard, _Plan
    from railguard.engine.rules import CompiledRule

MAX_ATTEMPTS = 200  # compare-and-set rounds before giving up (each round, one racer wins)
_NO_SESSION = "the event has no `session` id, so its session cannot be checked"


def session_key(event: Event) -> str | None:
    """`tenant:session`, the tenant from `context.tenant`; None without a session id."""
    session = event.session
    if not session:
        return None
    tenant = event.context.get("tenant") if event.context else None
    tenant = tenant if isinstance(tenant, str) else ""
    return f"{len(tenant)}:{tenant}:{session}"


def evaluate_in_session(guard: Guard, event: Event, plan: _Plan, start: int) -> Verdict:
    store = guard.sessions
    assert store is not None
    key = session_key(event)
    if key is None:
        view = SessionView(EMPTY, store.clock(), unavailable=_NO_SESSION)
        return _decide(guard, event, plan, start, view)
    cost = cost_of(event.context)
    is_call = event.kind == "call"
    print_ = fingerprint(str(event.tool), event.args) if is_call else None
    reads = plan.reads_session
    verdict: Verdict | None = None
    if not reads:
        # The decision does not depend on the session: make it once, and touch the store
        # only when it adds something to record.
        verdict = guard._decide(event, plan, start)
        if not _adds(verdict, is_call, cost.usd or cost.tokens):
            return verdict
    for attempt in range(MAX_ATTEMPTS):
        now = round(store.clock(), 3)  # milliseconds, as the Redis store keeps them
        try:
            version, state = store.load(key)
        except StoreError as exc:
            if reads:
                verdict = _decide(
                    guard, event, plan, start, SessionView(EMPTY, now, unavailable=str(exc))
                )
                if not _adds(verdict, is_call, cost.usd or cost.tokens):
                    return verdict
            assert verdict is not None
            return _unrecorded(guard, verdict, str(exc), start)
        state = state or EMPTY
        view = SessionView(state, now, event.tool, print_, cost)
        if reads:
            verdict = _decide(guard, event, plan, start, view)
        assert verdict is not None
        call = Call(now, str(event.tool), print_ or "") if is_call and verdict.allowed else None
        if call is None and not (cost.usd or cost.tokens) and not _new_labels(verdict, state):
            return _finish(guard, event, verdict, view, start)
        try:
            if store.save(
                key, version, record(state, now, store.settings, call, cost, verdict.labels)
            ):
                return _finish(guard, event, verdict, view, start)
        except StoreError as exc:
            return _unrecorded(guard, verdict, str(exc), start)
        if attempt >= 2:  # a crowd: spread the retries out a little
            time.sleep(random.uniform(0, 0.0002 * min(attempt, 20)))
    assert verdict is not None
    return _unrecorded(
        guard, verdict, f"the session stayed contended over {MAX_ATTEMPTS} attempts", start
    )


def _decide(guard: Guard, event: Event, plan: _Plan, start: int, view: SessionView) -> Verdict:
    token = CURRENT.set(view)
    try:
        return guard._decide(event, plan, start)
    finally:
        CURRENT.reset(token)


def _adds(verdict: Verdict, is_call: bool, cost: float) -> bool:
    return bool((is_call and verdict.allowed) or cost or verdict.labels)


def _new_labels(verdict: Verdict, state: SessionState) -> bool:
    return any(label not in state.labels for label in verdict.labels)


def _finish(guard: Guard, event: Event, verdict: Verdict, view: SessionView, start: int) -> Verdict:
    if verdict.decision == DENY and view.windows:
        _retry_after(guard, event, verdict, view)
    verdict.elapsed_us = (time.perf_counter_ns() - start) / 1000
    return verdict


def _unrecorded(guard: Guard, verdict: Verdict, why: str, start: int) -> Verdict:
    """The decision stands, but what it adds to the session could not be saved."""
    message = f"the session state could not be recorded: {why}"
    if guard.sessions_fail_open:
        v = Violation("railguard.session", "railguard", "warn", message, "<engine>", error=why)
        verdict.warnings = (*verdict.warnings, v)
    else:
        v = Violation("railguard.session", "railguard", "deny", message, "<engine>", error=why)
        verdict.violations = (*verdict.violations, v)
        if verdict.decision != DENY:
            _deny(verdict)
    verdict.elapsed_us = (time.perf_counter_ns() - start) / 1000
    return verdict


def _deny(verdict: Verdict) -> None:
    verdict.decision = DENY
    verdict.redactions = ()
    verdict.args = None
    verdict.content = None


# ---- when may the agent retry ---------------------------------------------------------------


def _retry_after(guard: Guard, event: Event, verdict: Verdict, view: SessionView) -> None:
    """Add `retry_after` (seconds) to each denial a session window will lift, and to the
    verdict when every denial will lift: the earliest time at which a call leaving a window
    makes the rule stop matching."""
    frees = view.frees()
    # Another evaluator may have stamped a counted call a moment after this one's `now`; the
    # answer leaves after every stamp it read, so the wait runs from the latest of them and
    # never exceeds the window.
    since = max([view.now, *(c.at for c in view.state.calls)])
    waits: list[float] = []
    every = True
    out = []
    for v in verdict.violations:
        rule = guard.rules_by_id.get(v.rule)
        if v.effect != DENY:
            out.append(v)
            continue
        when = None
        if rule is not None and rule.reads_session and v.error is None:
            when = _first_free(rule, event, view, frees)
        if when is None:
            every = False
            out.append(v)
            continue
        wait = max(math.ceil((when - since) * 1000) / 1000, 0.001)
        waits.append(wait)
        out.append(v._replace(details={**(v.details or {}), "retry_after": wait}))
    verdict.violations = tuple(out)
    if every and waits:
        verdict.retry_after = max(waits)


def _first_free(
    rule: CompiledRule, event: Event, view: SessionView, frees: list[float]
) -> float | None:
    """The first of `frees` at which the rule no longer matches (counts in a window only
    fall as time passes, so a binary search finds it); None when none does."""

    def matches(t: float) -> bool:
        token = CURRENT.set(view.at(t + 1e-6))
        try:
            assert rule.condition is not None
            return bool(rule.condition(event)) != rule.negate
        except Exception:
            return True
        finally:
            CURRENT.reset(token)

    lo, hi = 0, len(frees)
    while lo < hi:
        mid = (lo + hi) // 2
        if matches(frees[mid]):
            lo = mid + 1
        else:
            hi = mid
    if lo == len(frees) or matches(frees[lo]):
        return None
    return frees[lo]
