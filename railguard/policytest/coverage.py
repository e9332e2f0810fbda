"""Rule coverage: which rules the test cases exercised, and why each other one was missed.

A rule is covered when, in at least one case, the case's event (not its session history)
matched it: the event fits the rule's target (kind and tool) and its condition held (an
`unless` condition did not), without an error. A `redact` rule must also have rewritten
something the verdict lists in `redactions`. Rules are counted by file and rule id, so two
test files of one policy add up.

The engine is not changed for this: `traced()` copies a compiled guard with each rule's
condition wrapped in a recorder, which only the test runner uses. Decisions are the same.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from railguard.engine.guard import Guard
from railguard.engine.rules import CompiledPolicy, CompiledRule

# How far a rule got, worst to best; a rule keeps the best state any test file gave it.
UNTESTED, UNREACHED, REACHED, ERRORED, MATCHED, COVERED = range(6)


@dataclass(slots=True)
class Recorder:
    """What the rules of one traced guard did while `active` (rule ids)."""

    active: bool = False
    reached: set[str] = field(default_factory=set)
    matched: set[str] = field(default_factory=set)
    errored: set[str] = field(default_factory=set)
    rewrote: set[str] = field(default_factory=set)

    def state(self, rule: CompiledRule) -> int:
        if rule.id in self.matched:
            return COVERED if rule.effect != "redact" or rule.id in self.rewrote else MATCHED
        if rule.id in self.errored:
            return ERRORED
        return REACHED if rule.id in self.reached else UNREACHED


def traced(guard: Guard) -> tuple[Guard, Recorder]:
    """A copy of `guard` whose rules report to a recorder; decisions are unchanged."""
    recorder = Recorder()
    policies = [
        dataclasses.replace(p, rules=tuple(_wrap(r, recorder) for r in p.rules))
        for p in guard.policies
    ]
    twin = Guard(
        policies,
        guard.digest,
        guard.limits,
        catalog=guard.catalog,
        diagnostics=guard.diagnostics,
        files=guard.files,
        sessions=guard.sessions,
    )
    return twin, recorder


def _wrap(rule: CompiledRule, recorder: Recorder) -> CompiledRule:
    condition = rule.condition
    rule_id = rule.id
    negate = rule.negate

    def recorded(event: Any) -> Any:
        if not recorder.active:
            return condition(event) if condition is not None else True
        recorder.reached.add(rule_id)
        try:
            value = condition(event) if condition is not None else True
        except Exception:
            recorder.errored.add(rule_id)
            raise
        if bool(value) != negate:
            recorder.matched.add(rule_id)
        return value

    recorded_condition: Callable[[Any], Any] = recorded
    return dataclasses.replace(rule, condition=recorded_condition)


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    """One rule: where it is, and whether (or why not) a case exercised it."""

    rule: str
    effect: str
    location: str
    state: int
    reason: str | None  # why it is not covered

    @property
    def covered(self) -> bool:
        return self.state == COVERED

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "effect": self.effect,
            "location": self.location,
            "covered": self.covered,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


class Coverage:
    """Rule coverage summed over every test file of a run."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str], RuleCoverage] = {}

    def add(self, policies: Iterable[CompiledPolicy], recorder: Recorder | None) -> None:
        """Count the rules of a compiled policy set, with what a recorder saw them do."""
        for policy in policies:
            for rule in policy.rules:
                state = recorder.state(rule) if recorder is not None else UNTESTED
                self._put(rule, state)

    def add_file(self, file: str, reason: str) -> None:
        """Count a policy file whose rules cannot be listed (it does not compile) as one
        uncovered entry."""
        key = (file_key(file), "")
        self._rules[key] = RuleCoverage("(the whole file)", "-", f"{file}:1:1", UNTESTED, reason)

    def files(self) -> set[str]:
        """The policy files (normalized) whose rules are counted."""
        return {key[0] for key in self._rules}

    def _put(self, rule: CompiledRule, state: int) -> None:
        key = (file_key(_split_location(rule.location)[0]), rule.id)
        old = self._rules.get(key)
        if old is not None and old.state >= state:
            return
        self._rules[key] = RuleCoverage(
            rule.id, rule.effect, rule.location, state, _reason(rule, state)
        )

    @property
    def rules(self) -> list[RuleCoverage]:
        return sorted(self._rules.values(), key=lambda r: _location_key(r.location))

    @property
    def uncovered(self) -> list[RuleCoverage]:
        return [r for r in self.rules if not r.covered]

    @property
    def total(self) -> int:
        return len(self._rules)

    @property
    def covered(self) -> int:
        return sum(1 for r in self._rules.values() if r.covered)

    @property
    def percent(self) -> float:
        """Covered rules over all rules, in percent (100 when there is no rule)."""
        return 100.0 * self.covered / self.total if self.total else 100.0

    def to_dict(self, minimum: float | None = None) -> dict[str, Any]:
        return {
            "rules": self.total,
            "covered": self.covered,
            "percent": round(self.percent, 2),
            "min": minimum,
            "ok": minimum is None or self.percent >= minimum,
            "uncovered": [r.to_dict() for r in self.uncovered],
        }


def _reason(rule: CompiledRule, state: int) -> str | None:
    if state == COVERED:
        return None
    if state == UNTESTED:
        return "no test file loads its policy"
    if state == UNREACHED:
        return f"no case sends {_target(rule)}"
    if state == MATCHED:
        return "it matched but never rewrote anything (or every case it matched was denied)"
    if state == ERRORED:
        return "its condition failed with an error in every case that reached it"
    if rule.negate:
        return "its `unless` condition held in every case that reached it"
    return "its condition never held in the cases that reached it"


def _target(rule: CompiledRule) -> str:
    event = (
        f"an `{rule.kind}` event" if rule.kind in ("input", "output") else f"a `{rule.kind}` event"
    )
    if rule.any_tool:
        return event
    tools = sorted(rule.names) + list(rule.globs)
    shown = ", ".join(f"`{t}`" for t in tools[:4]) + (", ..." if len(tools) > 4 else "")
    return f"{event} for {shown}"


def _split_location(location: str) -> tuple[str, int, int]:
    file, _, rest = location.rpartition(":")
    file2, _, line = file.rpartition(":")
    try:
        return file2, int(line), int(rest)
    except ValueError:
        return location, 0, 0


def file_key(file: str) -> str:
    """A policy file's name, normalized so that two spellings of one path compare equal."""
    return os.path.normcase(os.path.abspath(file)) if not file.startswith("<") else file


def _location_key(location: str) -> tuple[str, int, int]:
    file, line, col = _split_location(location)
    return (file, line, col)
