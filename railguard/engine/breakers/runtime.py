"""Breakers and fallbacks around the guard's decision.

For a `call` to a tool with a breaker: a closed breaker costs one lookup and the decision
runs as usual. An open one denies at once (the rules do not run, so the call uses up no
rate limit), naming the breaker, the failures that opened it, the last error kind and
`retry_after`. A half-open one admits the call as a trial (one compare-and-set) and gives
the trial back if the policy then denies the call.

For a `result`: the tool's `error` (of a kind the breaker counts) is a failure, anything
else a success; the breaker's state moves accordingly. Every transition is counted in
`metrics.METRICS` and written to the guard's decision log.

A denied call whose rule (`fallback` on a rule) or breaker names fallbacks carries
`verdict.fallback`: those the same policies would allow now for the same arguments,
evaluated without recording anything and without looking for fallbacks of fallbacks.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from railguard.engine.breakers.backends import Backend, backend_for
from railguard.engine.breakers.metrics import METRICS
from railguard.engine.breakers.spec import FLEET, CompiledBreaker
from railguard.engine.breakers.state import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    Admission,
    BreakerState,
    admit,
    outcome,
    phase,
    release,
)
from railguard.engine.events import Event, ToolCall
from railguard.engine.stateful import evaluate_in_session
from railguard.engine.stores import ReadOnlyStore, SessionStore, StoreError
from railguard.engine.verdict import ALLOW, DENY, Verdict, Violation

if TYPE_CHECKING:
    from railguard.engine.guard import Guard, _Plan
    from railguard.engine.rules import CompiledPolicy

_perf_ns = time.perf_counter_ns
_MAX_TOOLS = 4096
_RUN = os.urandom(4).hex()
Bound = tuple[CompiledBreaker, str]  # a breaker with its fleet-wide key for one tool


class Breakers:
    """The breakers and fallbacks of one policy set. `probe` is the read-only twin that
    evaluates fallbacks: it admits no trial, records nothing and offers no fallbacks."""

    def __init__(self, policies: tuple[CompiledPolicy, ...], probe: bool = False) -> None:
        self.specs = tuple(b for p in policies for b in p.breakers)
        self.rule_fallbacks = any(r.fallback for p in policies for r in p.rules)
        self.probe = probe
        self._bound: dict[str, tuple[Bound, ...]] = {}
        self._store: SessionStore | None = None
        self._backend: Backend | None = None
        self._twin: Breakers | None = None

    def __bool__(self) -> bool:
        return bool(self.specs) or self.rule_fallbacks

    def for_tool(self, tool: str) -> tuple[Bound, ...]:
        """The breakers on `tool`: the first declaration naming it in each policy."""
        found = self._bound.get(tool)
        if found is None:
            seen: set[str] = set()
            out = []
            for spec in self.specs:
                if spec.policy not in seen and spec.targets(tool):
                    seen.add(spec.policy)
                    out.append((spec, f"{len(spec.policy)}:{spec.policy}:{tool}"))
            found = tuple(out)
            if len(self._bound) < _MAX_TOOLS:
                self._bound[tool] = found
        return found

    def backend(self, store: SessionStore) -> Backend:
        if store is not self._store:
            self._backend = backend_for(store)
            self._store = store
        assert self._backend is not None
        return self._backend

    # ---- evaluation ------------------------------------------------------------------------

    def evaluate(self, guard: Guard, event: Event, plan: _Plan, start: int) -> Verdict:
        """The guard's verdict on `event`, with its breakers and fallbacks applied."""
        kind = event.kind
        if kind == "call" and self.specs:
            return self._call(guard, event, plan, start)
        verdict = _decide(guard, event, plan, start)
        if kind == "call":
            if verdict.decision == DENY and self.rule_fallbacks:
                self.offer(guard, event, verdict, ())
        elif kind == "result" and self.specs:
            self._result(guard, event, verdict)
        return verdict

    def _call(self, guard: Guard, event: Event, plan: _Plan, start: int) -> Verdict:
        tool = str(event.tool)
        bound = self._bound.get(tool)
        if bound is None:
            bound = self.for_tool(tool)
        if not bound:
            verdict = _decide(guard, event, plan, start)
            if verdict.decision == DENY and self.rule_fallbacks:
                self.offer(guard, event, verdict, ())
            return verdict
        store = guard.sessions
        assert store is not None
        backend = self._backend if store is self._store else self.backend(store)
        assert backend is not None
        claims: list[tuple[CompiledBreaker, str]] = []
        warnings: list[Violation] = []
        for spec, fleet_key in bound:
            key = fleet_key if spec.scope == FLEET else spec.key(tool, event)
            if key is None:
                continue
            try:
                state = backend.peek(key)
                if state is None or state.phase == CLOSED:
                    continue  # the hot path
                now = store.clock()
                read_only = self.probe or spec.shadow or isinstance(store, ReadOnlyStore)
                if read_only:
                    admission = admit(spec, state, now)
                else:
                    old, new, admission = backend.update(key, _admitting(spec, now))
                    if new is not None and new.phase != old.phase:
                        _transition(guard, spec, tool, key, old, new, event, warnings)
                    state = new or old
            except StoreError as exc:
                refusal = _store_failed(spec, tool, str(exc))
                if spec.fail_open or spec.shadow:
                    warnings.append(refusal._replace(effect="warn"))
                    continue
                self._give_back(guard, backend, claims, event)
                return self._deny(guard, event, spec, refusal, None, warnings, start)
            if admission.admitted:
                if admission.trial and not read_only:
                    claims.append((spec, key))
                continue
            refusal = _refusal(spec, tool, state, phase(state, now), admission)
            if spec.shadow:
                warnings.append(
                    refusal._replace(effect="warn", message="would deny: " + refusal.message)
                )
                continue
            self._give_back(guard, backend, claims, event)
            return self._deny(guard, event, spec, refusal, admission.retry_after, warnings, start)
        verdict = _decide(guard, event, plan, start)
        if claims and verdict.decision == DENY:
            self._give_back(guard, backend, claims, event)
        if warnings:
            verdict.warnings = (*verdict.warnings, *warnings)
        if verdict.decision == DENY and self.rule_fallbacks:
            self.offer(guard, event, verdict, ())
        return verdict

    def _deny(
        self,
        guard: Guard,
        event: Event,
        spec: CompiledBreaker,
        refusal: Violation,
        retry_after: float | None,
        warnings: list[Violation],
        start: int,
    ) -> Verdict:
        verdict = Verdict(DENY, (refusal,), tuple(warnings), guard.digest, 0.0, "call", event.tool)
        verdict.retry_after = retry_after
        self.offer(guard, event, verdict, spec.fallback)
        verdict.elapsed_us = (_perf_ns() - start) / 1000
        return verdict

    def _give_back(
        self,
        guard: Guard,
        backend: Backend,
        claims: list[tuple[CompiledBreaker, str]],
        event: Event,
    ) -> None:
        """Return the trials admitted for a call that will not run."""
        for _spec, key in claims:
            with contextlib.suppress(StoreError):  # else its lease runs out after a cool-down
                backend.update(key, _releasing)
        claims.clear()

    def _result(self, guard: Guard, event: Event, verdict: Verdict) -> None:
        tool = str(event.tool)
        bound = self._bound.get(tool)
        if bound is None:
            bound = self.for_tool(tool)
        if not bound or self.probe:
            return
        store = guard.sessions
        assert store is not None
        if isinstance(store, ReadOnlyStore):
            return  # a shadow set changes no state
        backend = self.backend(store)
        error = getattr(event, "error", None)
        kind = error.get("kind") if isinstance(error, dict) else None
        reported = error.get("retry_after") if isinstance(error, dict) else None
        warnings: list[Violation] = []
        for spec, fleet_key in bound:
            if spec.shadow:
                continue
            key = fleet_key if spec.scope == FLEET else spec.key(tool, event)
            if key is None:
                continue
            failed = kind in spec.kinds
            try:
                if not failed and not spec.rate:
                    state = backend.peek(key)
                    if state is None or state.phase != HALF_OPEN:
                        continue  # a success while closed: the count form has nothing to count
                change = _recording(spec, store.clock(), failed, kind, reported)
                old, new, _ = backend.update(key, change)
            except StoreError as exc:
                warnings.append(
                    _store_failed(spec, tool, str(exc))._replace(
                        effect="warn",
                        message=f"the health of `{tool}` could not be recorded: {exc}",
                    )
                )
                continue
            if new is not None and new.phase != old.phase:
                _transition(guard, spec, tool, key, old, new, event, warnings)
        if warnings:
            verdict.warnings = (*verdict.warnings, *warnings)

    # ---- fallbacks ---------------------------------------------------------------------------

    def offer(self, guard: Guard, event: Event, verdict: Verdict, extra: tuple[str, ...]) -> None:
        """Set `verdict.fallback` to the fallbacks named by the breaker (`extra`) and by the
        denying rules that the policies allow for the same arguments."""
        if self.probe:
            return  # no fallbacks of fallbacks
        names = list(extra)
        for v in verdict.violations:
            if v.effect == DENY:
                rule = guard.rules_by_id.get(v.rule)
                if rule is not None:
                    names.extend(rule.fallback)
        candidates = [n for n in dict.fromkeys(names) if n != event.tool]
        if not candidates:
            return
        probe = self._probe_guard(guard)
        allowed = []
        for name in candidates:
            trial = ToolCall(
                tool=name, args=event.args or {}, session=event.session, context=event.context
            )
            if probe._evaluate(trial, _perf_ns()).decision == ALLOW:
                allowed.append(name)
        verdict.fallback = tuple(allowed)

    def _probe_guard(self, guard: Guard) -> Guard:
        """The guard as a fallback sees it: reads the sessions and breakers, writes nothing,
        logs nothing."""
        if self._twin is None:
            twin = copy.copy(self)
            twin.probe = True
            twin._twin = None
            self._twin = twin
        probe = copy.copy(guard)
        probe.audit = None
        probe.shadow = None
        probe.breakers = self._twin
        if guard.sessions is not None and not isinstance(guard.sessions, ReadOnlyStore):
            probe.sessions = ReadOnlyStore(guard.sessions)
        return probe


def _decide(guard: Guard, event: Event, plan: _Plan, start: int) -> Verdict:
    if guard._stateful:
        return evaluate_in_session(guard, event, plan, start)
    return guard._decide(event, plan, start)


def _releasing(state: BreakerState) -> tuple[BreakerState | None, None]:
    return release(state), None


def _recording(
    spec: CompiledBreaker, now: float, failed: bool, kind: Any, reported: Any
) -> Callable[[BreakerState], tuple[BreakerState | None, None]]:
    def change(state: BreakerState) -> tuple[BreakerState | None, None]:
        return outcome(spec, state, now, failed, kind, reported), None

    return change


def _admitting(
    spec: CompiledBreaker, now: float
) -> Callable[[BreakerState], tuple[BreakerState | None, Admission]]:
    def change(state: BreakerState) -> tuple[BreakerState | None, Admission]:
        admission = admit(spec, state, now)
        return admission.state, admission

    return change


# ---- what a refusal says ---------------------------------------------------------------------


def _refusal(
    spec: CompiledBreaker, tool: str, state: BreakerState, now_phase: str, admission: Admission
) -> Violation:
    retry = admission.retry_after
    failures, calls = state.tripped
    error = state.last_error or "an error"
    if state.trial_failed:
        why = f"a trial call failed again (last error: {error})"
    elif spec.rate:
        why = f"{failures} of {calls} calls failed within {spec.window_text} (last error: {error})"
    else:
        noun = "failure" if failures == 1 else "failures"
        why = f"{failures} {noun} within {spec.window_text} (last error: {error})"
    if now_phase == HALF_OPEN:
        trials = f"{spec.trials} trial call{'s' if spec.trials != 1 else ''}"
        message = (
            f"`{tool}` is recovering: its circuit breaker opened after {why} and lets "
            f"{trials} through at a time; try again in {retry:g} s"
        )
    else:
        message = (
            f"`{tool}` is unavailable: its circuit breaker opened after {why}; "
            f"try again in {retry:g} s"
        )
    details: dict[str, Any] = {
        "breaker": spec.id(tool),
        "tool": tool,
        "state": now_phase,
        "failures": failures,
        "last_error": state.last_error,
        "opened_at": state.opened_at,
        "cool_down": state.cool_down,
        "retry_after": retry,
        "scope": spec.scope,
    }
    if spec.rate:
        details["calls"] = calls
    return Violation(spec.id(tool), spec.policy, DENY, message, spec.location, details)


def _store_failed(spec: CompiledBreaker, tool: str, why: str) -> Violation:
    return Violation(
        spec.id(tool),
        spec.policy,
        DENY,
        f"the circuit breaker of `{tool}` could not be checked: {why}",
        spec.location,
        error=why,
    )


# ---- transitions -----------------------------------------------------------------------------


def _transition(
    guard: Guard,
    spec: CompiledBreaker,
    tool: str,
    key: str,
    old: BreakerState,
    new: BreakerState,
    event: Event,
    warnings: list[Violation],
) -> None:
    """Count a transition, and write it to the guard's decision log."""
    before = old.phase
    METRICS.transition(spec.policy, tool, before, new.phase)
    log = guard.audit
    if log is None:
        return
    now = log.clock()
    record: dict[str, Any] = {
        "id": f"{_RUN}-breaker-{time.time_ns():x}",
        "time": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="microseconds"),
        "ts": now,
        "kind": "breaker",
        "policy_digest": guard.digest,
        "breaker": spec.id(tool),
        "location": spec.location,
        "tool": tool,
        "scope": spec.scope,
        "session": event.session if spec.scope != FLEET else None,
        "from": before,
        "to": new.phase,
        "cause": event.kind,
    }
    if new.phase == OPEN:
        record.update(
            failures=new.tripped[0],
            last_error=new.last_error,
            cool_down=new.cool_down,
            open_until=new.open_until,
            trial_failed=new.trial_failed,
        )
        if spec.rate:
            record["calls"] = new.tripped[1]
    try:
        for sink in log.sinks:
            sink.write(record)
    except Exception as exc:
        warnings.append(
            Violation(
                "railguard.audit",
                "railguard",
                "warn",
                f"the breaker transition could not be logged: {exc}",
                "<engine>",
                error=str(exc),
            )
        )
