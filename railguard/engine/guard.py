"""`Guard.evaluate()`: run the compiled rules that fit an event and combine their effects.

The combination follows DESIGN.md section 4: deny overrides escalate, which overrides
allow; a `call` event needs an allow from every enforced `default deny` policy; shadow
policies only warn; `redact` rewrites the payload for the rules after it; a rule whose
condition raises fails closed unless its policy says `on_error allow`.

Rules are indexed by (event kind, tool) on first use, so an event touches only the rules
that can apply to it.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from railguard.engine import otel as _otel
from railguard.engine.auditlog import DecisionLog
from railguard.engine.breakers.runtime import Breakers
from railguard.engine.events import BaseEvent, Event, event_from_dict
from railguard.engine.payload import apply_redactor, check_limits
from railguard.engine.rules import CompiledPolicy, CompiledRule, Limits
from railguard.engine.stateful import evaluate_in_session
from railguard.engine.stores import MemoryStore, ReadOnlyStore, SessionStore
from railguard.engine.verdict import ALLOW, DENY, ESCALATE, Replacement, Verdict, Violation
from railguard.policylang.catalog import Tool
from railguard.policylang.diagnostics import Diagnostic

_MAX_PLANS = 4096
_perf_ns = time.perf_counter_ns
_OTEL = _otel.STATE  # `recorder` is None unless OpenTelemetry records spans


@dataclass(frozen=True, slots=True)
class _Gate:
    """A `default deny` policy that a call must get an allow from."""

    bit: int
    policy: str
    location: str
    shadow: bool


_Check = tuple[CompiledRule, Callable[[Any], Any] | None, bool, bool]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an event of one (kind, tool) runs: its rules in order, and the allow gates."""

    checks: tuple[_Check, ...]  # (rule, condition, negate, timed)
    gates: tuple[_Gate, ...]
    static_allow: int  # the allow bits of unconditional, enforced allow rules
    reads_session: bool  # a rule calls `session.*` builtins


class Guard:
    """A compiled policy set. Build it with `railguard.load()`; it is safe to share."""

    def __init__(
        self,
        policies: list[CompiledPolicy],
        digest: str,
        limits: Limits,
        catalog: Mapping[str, Tool] | None = None,
        diagnostics: list[Diagnostic] | None = None,
        files: list[str] | None = None,
        sessions: SessionStore | None = None,
    ) -> None:
        self.policies = tuple(policies)
        self.digest = digest
        self.limits = limits
        self.catalog = dict(catalog or {})
        self.diagnostics = list(diagnostics or [])
        self.files = list(files or [])
        self._by_kind: dict[str, tuple[CompiledRule, ...]] = {
            kind: tuple(r for p in self.policies for r in p.rules if r.kind == kind)
            for kind in ("input", "call", "result", "output")
        }
        self._gates = tuple(
            _Gate(1 << p.index, p.name, p.location, p.shadow)
            for p in self.policies
            if p.default == "deny"
        )
        self._plans: dict[tuple[str, str | None], _Plan] = {}
        self._budget_ns = limits.checker_ms * 1_000_000
        self.rules_by_id = {r.id: r for p in self.policies for r in p.rules}
        # Session state is kept only when a rule reads it; a store that fails fails closed
        # unless every enforced policy with session rules says `on_error allow`.
        readers = [p for p in self.policies if any(r.reads_session for r in p.rules)]
        self.sessions: SessionStore | None = None
        # Circuit breakers keep tool health beside the session state (docs/breakers.md).
        breakers = Breakers(self.policies)
        self.breakers: Breakers | None = breakers if breakers else None
        self._stateful = bool(readers)  # events go through the session store
        if readers or breakers.specs:
            self.sessions = sessions if sessions is not None else MemoryStore()
        self.sessions_fail_open = all(p.fail_open for p in readers if not p.shadow)
        self.audit: DecisionLog | None = None
        self.shadow: Guard | None = None
        self.shadow_counts: Counter[str] = Counter()  # agree, disagree, error
        self.traced = True  # a shadow set's verdicts ride on the active set's span
        _otel.refresh()

    def with_shadow(self, candidate: Guard | None) -> Guard:
        """The same policies, with `candidate` deciding every event in shadow: its verdicts
        are attached (`verdict.shadow`), logged and counted as agreements and disagreements
        (`shadow_counts`), never enforced. It reads this set's sessions and writes none."""
        twin = copy.copy(self)
        twin.shadow_counts = Counter()
        if candidate is not None:
            candidate = candidate.with_audit(None).with_shadow(None)
            if self.sessions is not None:
                candidate = candidate.with_sessions(ReadOnlyStore(self.sessions))
            candidate.traced = False
        twin.shadow = candidate
        return twin

    def with_audit(self, log: DecisionLog | None) -> Guard:
        """The same compiled policies, recording every verdict in `log`."""
        twin = copy.copy(self)
        twin.audit = log
        return twin

    def with_sessions(self, store: SessionStore) -> Guard:
        """The same compiled policies, keeping session state in `store`."""
        twin = copy.copy(self)
        twin.sessions = store if self.sessions is not None else None
        return twin

    @property
    def version(self) -> str | None:
        """The `version` of each policy that declares one: `name=1.2, other=3`."""
        found = [f"{p.name}={p.version}" for p in self.policies if p.version]
        return ", ".join(found) or None

    @property
    def rule_count(self) -> int:
        return sum(len(p.rules) for p in self.policies)

    def _plan(self, kind: str, tool: str | None) -> _Plan:
        rules = [r for r in self._by_kind.get(kind, ()) if r.any_tool or r.targets(tool)]
        static = [r for r in rules if r.effect == "allow" and r.condition is None and not r.shadow]
        plan = _Plan(
            checks=tuple((r, r.condition, r.negate, r.timed) for r in rules if r not in static),
            gates=self._gates if kind == "call" else (),
            static_allow=sum({1 << r.policy_index for r in static}),
            reads_session=any(r.reads_session for r in rules),
        )
        if len(self._plans) < _MAX_PLANS:
            self._plans[(kind, tool)] = plan
        return plan

    def evaluate(self, event: Event | Mapping[str, Any]) -> Verdict:
        """Decide on one event.

        An event dict is validated first (`EventError` when it is not an event). An event
        whose payload cannot be checked (not JSON, over a limit) is a fail-closed deny.
        With a decision log, the verdict is recorded before it is returned; a log that
        cannot be written turns it into a deny.
        """
        start = _perf_ns()
        if not isinstance(event, BaseEvent):
            event = event_from_dict(event)
        if self.shadow is None:
            verdict = self._evaluate(event, start)
        else:  # first, so that it sees the session as the active set does
            shadow = self._run_shadow(event)
            verdict = self._evaluate(event, _perf_ns())
            verdict.shadow = shadow
            if shadow is not None:
                self.shadow_counts[
                    "agree" if shadow.decision == verdict.decision else "disagree"
                ] += 1
        if self.audit is not None:
            self._log(event, verdict)
        if _OTEL.recorder is not None and self.traced:
            _OTEL.recorder(self, event, verdict)
        return verdict

    def _run_shadow(self, event: Event) -> Verdict | None:
        """The shadow set's verdict: logged and counted, never enforced."""
        assert self.shadow is not None
        try:
            return self.shadow.evaluate(event)
        except Exception:
            self.shadow_counts["error"] += 1
            return None

    def _log(self, event: Event, verdict: Verdict) -> None:
        assert self.audit is not None
        try:
            self.audit.record(event, verdict, self.redacted, self.version)
        except Exception as exc:
            cause = _cause(exc)
            verdict.violations = (
                *verdict.violations,
                Violation(
                    "railguard.audit",
                    "railguard",
                    DENY,
                    f"the decision could not be logged: {cause}",
                    "<engine>",
                    error=cause,
                ),
            )
            if verdict.decision != DENY:
                verdict.decision = DENY
                verdict.redactions = ()
                verdict.args = verdict.content = None

    def redacted(self, event: Event) -> Event:
        """The event with every redaction of the policies applied, whatever the decision:
        what a decision log in `redacted` mode stores of a denied event."""
        plan = self._plans.get((event.kind, event.tool)) or self._plan(event.kind, event.tool)
        done: list[Replacement] = []
        for rule, cond, negate, _ in plan.checks:
            if rule.effect != "redact":
                continue
            try:
                if cond is not None and (not cond(event)) != negate:
                    continue
                event = _redact(rule, event, done)
            except Exception:
                continue
        return event

    def _evaluate(self, event: Event, start: int) -> Verdict:
        kind = event.kind
        tool = event.tool
        if type(tool) is not str and (tool is not None or kind == "call" or kind == "result"):
            # Before the plan lookup: a list is unhashable, a number breaks glob matching.
            return self._refuse(event, "`tool` must be a string", start)
        plan = self._plans.get((kind, tool)) or self._plan(kind, tool)
        problem = self._check(event)
        if problem is not None:
            return self._refuse(event, problem, start)
        if self.breakers is not None:
            return self.breakers.evaluate(self, event, plan, start)
        if self._stateful:
            return evaluate_in_session(self, event, plan, start)
        return self._decide(event, plan, start)

    def _decide(self, event: Event, plan: _Plan, start: int) -> Verdict:
        """Run the plan's rules on a checked event and combine their effects."""
        kind = event.kind
        tool = event.tool
        violations: list[Violation] = []
        warnings: list[Violation] = []
        redactions: list[Replacement] = []
        labels: list[str] = []
        allowed = plan.static_allow
        escalate = denied = False
        for rule, cond, negate, timed in plan.checks:
            if cond is not None:
                try:
                    matched = self._timed(cond, event) if timed else cond(event)
                except Exception as exc:
                    allowed |= self._on_error(rule, event, exc, violations, warnings, labels)
                    escalate = escalate or (
                        rule.effect == "escalate" and not rule.fail_open and not rule.shadow
                    )
                    continue
                if (not matched) != negate:
                    continue
            else:
                matched = None
            effect = rule.effect
            if rule.shadow:
                warnings.append(_violation(rule, event, matched, f"would {effect}: "))
                if effect == "allow":  # only the shadow policy's own (shadow) gate reads this bit
                    allowed |= 1 << rule.policy_index
            elif effect == "allow":
                allowed |= 1 << rule.policy_index
            elif effect == "deny":
                denied = True
                violations.append(_violation(rule, event, matched))
            elif effect == "escalate":
                escalate = True
                violations.append(_violation(rule, event, matched))
            elif effect == "warn":
                warnings.append(_violation(rule, event, matched))
            elif effect == "redact":
                if denied or any(v.effect == DENY for v in violations):
                    continue  # a denied event is not rewritten: spare the work
                try:
                    event = _redact(rule, event, redactions)
                except Exception as exc:
                    self._on_error(rule, event, exc, violations, warnings, labels)
            elif effect == "label" and rule.label not in labels:
                labels.append(str(rule.label))

        for gate in plan.gates:
            if not allowed & gate.bit:
                v = Violation(
                    rule=f"{gate.policy}.default",
                    policy=gate.policy,
                    effect="deny",
                    message=f"no rule in policy `{gate.policy}` allows tool `{tool}`",
                    location=gate.location,
                )
                if gate.shadow:
                    warnings.append(v._replace(message="would deny: " + v.message))
                else:
                    denied = True
                    violations.append(v)

        if denied or (violations and any(v.effect == "deny" for v in violations)):
            decision = DENY
        elif escalate:
            decision = ESCALATE
        else:
            decision = ALLOW
        verdict = Verdict(
            decision,
            tuple(violations) if violations else (),
            tuple(warnings) if warnings else (),
            self.digest,
            0.0,
            kind,
            tool,
        )
        if labels:
            verdict.labels = tuple(labels)
        if redactions and decision != DENY:
            verdict.redactions = tuple(redactions)
            if kind == "call":
                verdict.args = event.args
            else:
                verdict.content = event.content
        verdict.elapsed_us = (_perf_ns() - start) / 1000
        return verdict

    def _timed(self, cond: Callable[[Any], Any], event: Event) -> Any:
        """Run a condition that calls builtins; a run over `checker_ms` counts as an error."""
        t0 = _perf_ns()
        matched = cond(event)
        spent = _perf_ns() - t0
        if spent > self._budget_ns:
            raise _TooSlow(spent / 1e6, self.limits.checker_ms)
        return matched

    # -- failures

    def _check(self, event: Event) -> str | None:
        limits = self.limits
        if event.kind == "call":
            if type(event.args) is not dict:
                return "`args` must be an object"
            problem = check_limits(event.args, limits, "args")
        else:
            problem = check_limits(event.content, limits, "content")
        context = event.context
        if type(context) is not dict:
            return "`context` must be an object"
        if problem is None and context:
            problem = check_limits(context, limits, "context")
        return problem

    def _refuse(self, event: Event, problem: str, start: int) -> Verdict:
        """An event no rule can safely read: deny, unless every enforced policy fails open."""
        fail_open = all(p.fail_open for p in self.policies if not p.shadow)
        v = Violation(
            rule="railguard.limits",
            policy="railguard",
            effect="warn" if fail_open else "deny",
            message=f"the event cannot be checked: {problem}",
            location="<engine>",
            error=problem,
        )
        return Verdict(
            ALLOW if fail_open else DENY,
            () if fail_open else (v,),
            (v,) if fail_open else (),
            self.digest,
            (_perf_ns() - start) / 1000,
            event.kind,
            event.tool if type(event.tool) is str else None,
        )

    def _on_error(
        self,
        rule: CompiledRule,
        event: Event,
        exc: Exception,
        violations: list[Violation],
        warnings: list[Violation],
        labels: list[str],
    ) -> int:
        """Record a failed check; return the allow bit it grants (only allow rules that fail open)."""
        effect = rule.effect
        cause = _cause(exc)
        details = getattr(exc, "details", None)
        message = f"`{rule.id}` could not be checked: {cause}"
        if rule.fail_open or rule.shadow or effect == "warn":
            warnings.append(_error(rule, "warn", message, cause, details))
            return (1 << rule.policy_index) if effect == "allow" and rule.fail_open else 0
        if effect in ("deny", "escalate"):
            violations.append(_error(rule, effect, message, cause, details))
        elif effect == "redact":
            violations.append(
                _error(
                    rule, "deny", message + " (the payload could not be redacted)", cause, details
                )
            )
        elif effect == "label":
            if rule.label not in labels:
                labels.append(str(rule.label))
            warnings.append(_error(rule, "label", message, cause, details))
        else:  # allow: fail closed means it does not match
            warnings.append(_error(rule, "allow", message, cause, details))
        return 0


class _TooSlow(Exception):
    def __init__(self, elapsed_ms: float, limit_ms: int) -> None:
        super().__init__(f"the check took {elapsed_ms:.1f} ms, over the limit of {limit_ms} ms")


def _cause(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _violation(rule: CompiledRule, event: Event, matched: Any, prefix: str = "") -> Violation:
    return Violation(
        rule=rule.id,
        policy=rule.policy,
        effect=rule.effect,
        message=prefix + rule.message(event),
        location=rule.location,
        details=rule.details(event, matched) if rule.details is not None else None,
    )


def _error(
    rule: CompiledRule,
    effect: str,
    message: str,
    cause: str,
    details: dict[str, Any] | None = None,
) -> Violation:
    return Violation(
        rule=rule.id,
        policy=rule.policy,
        effect=effect,
        message=message,
        location=rule.location,
        details=details,
        error=cause,
    )


def _redact(rule: CompiledRule, event: Event, redactions: list[Replacement]) -> Event:
    assert rule.redactor is not None
    if event.kind == "call":
        new, done = apply_redactor(event.args, rule.redactor, "args", rule.redact_target)
        changed: dict[str, Any] = {"args": new}
    else:
        new, done = apply_redactor(event.content, rule.redactor, "content", rule.redact_target)
        changed = {"content": new}
    if not done:
        return event
    redactions.extend(Replacement(rule.id, path, s, e, r) for path, s, e, r in done)
    return dataclasses.replace(event, **changed)
