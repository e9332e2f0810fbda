"""Run one case against a guard and compare its verdict with what the case expects.

The session history runs first, in a fresh session store per case, on a fake clock that
reads `at` (seconds after a fixed epoch); then the case's event. Only the keys a case
gives are compared; `decision` always is. Rule lists (`violations`, `warnings`, `errors`,
`labels`) compare in any order.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from railguard.engine.events import event_from_dict
from railguard.engine.guard import Guard
from railguard.engine.stores import MemoryStore, SessionStore
from railguard.engine.verdict import Verdict
from railguard.policytest.coverage import Recorder
from railguard.policytest.testfile import Case

EPOCH = 1_700_000_000.0  # `at: 0`


@dataclass(frozen=True, slots=True)
class Outcome:
    """A case's verdict beside what the case expected."""

    case: Case
    verdict: Verdict
    expected: dict[str, Any]
    actual: dict[str, Any]

    @property
    def passed(self) -> bool:
        return self.expected == self.actual

    def diff(self) -> str:
        """Expected against actual, one line per key, as a unified diff with full context."""
        return render_diff(self.expected, self.actual)

    def report(self) -> str:
        """The diff, then the verdict's explanation: what a failure prints."""
        explained = "\n".join("  " + line for line in self.verdict.explain().splitlines())
        return f"{self.diff()}\n\nverdict:\n{explained}"


def run_case(
    guard: Guard,
    case: Case,
    store: SessionStore | None = None,
    recorder: Recorder | None = None,
) -> Outcome:
    """Evaluate the case's history, then its event; compare the verdict with the case.

    A guard with session rules keeps its state in `store` (a fresh in-memory one when
    None), whose clock the case sets. `recorder` (see `coverage.traced`) notes the rules the
    case's event matched, not those of its history.
    """
    now = [EPOCH]
    if guard.sessions is not None:
        store = store or MemoryStore()
        store.clock = lambda: now[0]
        guard = guard.with_sessions(store)
    for at, earlier in case.history:
        now[0] = EPOCH + at
        guard.evaluate(event_from_dict(earlier))
    now[0] = EPOCH + case.at
    event = event_from_dict(case.event)
    if recorder is None:
        verdict = guard.evaluate(event)
    else:
        recorder.active = True
        try:
            verdict = guard.evaluate(event)
        finally:
            recorder.active = False
        recorder.rewrote.update(r.rule for r in verdict.redactions)
    return Outcome(case, verdict, case.expect, actual(verdict, case.expect))


def actual(verdict: Verdict, expect: dict[str, Any]) -> dict[str, Any]:
    """The verdict's values for the keys `expect` names, in the same shape."""
    findings = (*verdict.violations, *verdict.warnings)
    out: dict[str, Any] = {}
    for key, wanted in expect.items():
        if key == "decision":
            out[key] = verdict.decision
        elif key == "violations":
            out[key] = sorted(v.rule for v in verdict.violations)
        elif key == "warnings":
            out[key] = sorted(w.rule for w in verdict.warnings)
        elif key == "errors":
            out[key] = sorted({f.rule for f in findings if f.error is not None})
        elif key == "messages":
            messages: dict[str, Any] = {}
            for rule in wanted:
                said = [f.message for f in findings if f.rule == rule]
                messages[rule] = said[0] if len(said) == 1 else (said or None)
            out[key] = messages
        elif key == "content":
            out[key] = verdict.content
        elif key == "args":
            out[key] = verdict.args
        elif key == "redactions":
            out[key] = [r.to_dict() for r in verdict.redactions]
        elif key == "labels":
            out[key] = sorted(verdict.labels)
        elif key == "retry_after":
            out[key] = verdict.retry_after
        elif key == "fallback":
            out[key] = list(verdict.fallback)
    return out


def render_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """`--- expected` / `+++ actual`, then every key: unchanged lines start with a space,
    the expected value's lines with `-`, the actual value's with `+`, key by key."""
    out = ["--- expected", "+++ actual"]
    for key in _keys(expected, actual):
        want = _lines(key, expected[key]) if key in expected else []
        got = _lines(key, actual[key]) if key in actual else []
        if want == got:
            out.extend(" " + line for line in want)
            continue
        diff = difflib.unified_diff(want, got, n=1_000_000, lineterm="")
        out.extend(line for line in diff if not line.startswith(("---", "+++", "@@")))
    return "\n".join(out)


def _keys(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    return [*expected, *(k for k in actual if k not in expected)]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so a diff of rewritten text reads line by line."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _Top(dict[str, Any]):
    """The one-key mapping each diff line starts from: always `key: value`, never `{...}`."""


def _top(dumper: yaml.SafeDumper, value: _Top) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Top, _top)


def _lines(key: str, value: Any) -> list[str]:
    text = yaml.dump(
        _Top({key: value}),
        Dumper=_Dumper,
        default_flow_style=None,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
    )
    return text.rstrip("\n").splitlines()
