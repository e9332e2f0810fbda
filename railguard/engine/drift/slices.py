"""Slices of a decision log: which records a selector picks, and the counters kept per slice.

A selector is a comma-separated list of conditions that must all hold (`,` is "and"):

| condition | picks the records whose |
|---|---|
| `model=gpt-4o-2024-08-06` | model (top-level `model`, else `payload.context.model`) is this; `*` and `?` are wildcards |
| `model!=gpt-4o*` | model is not this (a record without a model is not picked) |
| `policy_digest=sha256:...`, `policy_version=finance=1.4` | policy set is this one |
| `kind=call`, `tool=run_sql`, `session=s-42` | event kind, tool, session |
| `time>=2026-11-01`, `time<2026-11-08T12:00` | time (ISO 8601, UTC when no zone is given); `>`, `>=`, `<`, `<=` |

`SliceStats.add(record)` folds one record into a fixed set of counters (decisions, kinds,
rule ids, tools, schema/PII/injection findings, errors, redactions, shadow disagreements,
and the running mean and variance of output lengths), so a slice costs the same memory for
a thousand records or a billion.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("model", "policy_digest", "policy_version", "kind", "tool", "session", "time")
_CONDITION = re.compile(r"^\s*([a-z_]+)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$")


class SelectorError(ValueError):
    """A selector that does not parse; its message says what was expected."""


def record_model(record: dict[str, Any]) -> str | None:
    """The model of a record: its top-level `model`, else its payload's `context.model`."""
    model = record.get("model")
    if isinstance(model, str):
        return model
    payload = record.get("payload")
    if isinstance(payload, dict):
        context = payload.get("context")
        if isinstance(context, dict):
            model = context.get("model")
            if isinstance(model, str):
                return model
    return None


def _parse_time(text: str, where: str) -> float:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SelectorError(
            f"{where}: `{text}` is not an ISO 8601 time (e.g. 2026-11-01 or 2026-11-01T09:30)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _record_ts(record: dict[str, Any]) -> float | None:
    ts = record.get("ts")
    if isinstance(ts, int | float):
        return float(ts)
    text = record.get("time")
    if isinstance(text, str):
        try:
            return _parse_time(text, "time")
        except SelectorError:
            return None
    return None


Test = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Selector:
    """A parsed selector: `matches(record)` is true when every condition holds."""

    text: str
    tests: tuple[Test, ...]

    def matches(self, record: dict[str, Any]) -> bool:
        return all(test(record) for test in self.tests)

    def __str__(self) -> str:
        return self.text


def parse_selector(text: str) -> Selector:
    """Parse `field=value,field>=value,...` (see the module's table); raise SelectorError."""
    tests: list[Test] = []
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise SelectorError("an empty selector: expected e.g. `model=gpt-4o-2024-08-06`")
    for part in parts:
        m = _CONDITION.match(part)
        if m is None:
            raise SelectorError(
                f"`{part.strip()}`: expected FIELD=VALUE, FIELD!=VALUE or, for time, "
                "time>=, time>, time<=, time< with an ISO 8601 time"
            )
        name, op, value = m.groups()
        if name not in FIELDS:
            raise SelectorError(f"`{name}` is not a field: expected one of {', '.join(FIELDS)}")
        tests.append(_condition(name, op, value, part.strip()))
    return Selector(text, tuple(tests))


def _condition(name: str, op: str, value: str, where: str) -> Test:
    if name == "time":
        if op in ("=", "!="):
            raise SelectorError(f"`{where}`: compare time with >=, >, <= or <")
        bound = _parse_time(value, f"`{where}`")
        compare: dict[str, Callable[[float], bool]] = {
            ">=": lambda ts: ts >= bound,
            ">": lambda ts: ts > bound,
            "<=": lambda ts: ts <= bound,
            "<": lambda ts: ts < bound,
        }
        check = compare[op]

        def test_time(record: dict[str, Any]) -> bool:
            ts = _record_ts(record)
            return ts is not None and check(ts)

        return test_time
    if op not in ("=", "!="):
        raise SelectorError(f"`{where}`: compare {name} with = or !=")
    get: Callable[[dict[str, Any]], Any] = (
        record_model if name == "model" else (lambda record: record.get(name))
    )
    wildcard = any(ch in value for ch in "*?[")

    def equal(record: dict[str, Any]) -> bool | None:
        got = get(record)
        if got is None:
            return None
        got = str(got)
        return fnmatch.fnmatchcase(got, value) if wildcard else got == value

    if op == "=":
        return lambda record: equal(record) is True
    return lambda record: equal(record) is False


# --- per-slice counters -------------------------------------------------------------------


@dataclass
class Running:
    """Count, mean and sum of squared deviations (Welford): a mean and variance in O(1)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    @property
    def variance(self) -> float:
        return self.m2 / (self.n - 1) if self.n > 1 else 0.0

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance)


@dataclass
class SliceStats:
    """What one slice of the log adds up to."""

    selector: str
    events: int = 0
    first_time: str | None = None
    last_time: str | None = None
    models: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)  # events where the rule matched
    tools: Counter[str] = field(default_factory=Counter)  # call events per tool
    schema: Counter[str] = field(default_factory=Counter)  # events of a kind with a schema finding
    pii: int = 0
    injection: int = 0
    errors: int = 0
    redacted: int = 0
    shadowed: int = 0
    shadow_disagree: int = 0
    output_length: Running = field(default_factory=Running)

    def add(self, record: dict[str, Any]) -> None:
        """Fold one decision record into the counters."""
        self.events += 1
        time = record.get("time")
        if isinstance(time, str):
            if self.first_time is None:
                self.first_time = time
            self.last_time = time
        model = record_model(record)
        if model is not None:
            self.models[model] += 1
        self.decisions[str(record.get("decision"))] += 1
        kind = str(record.get("kind"))
        self.kinds[kind] += 1
        if kind == "call":
            self.tools[str(record.get("tool"))] += 1
        matched: set[str] = set()
        schema = pii = injection = error = False
        for group in ("violations", "warnings"):
            items = record.get(group)
            if not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, dict):
                    continue
                rule = item.get("rule")
                if isinstance(rule, str):
                    matched.add(rule)
                if item.get("error") is not None:
                    error = True
                details = item.get("details")
                if isinstance(details, dict):
                    schema = schema or bool(details.get("schema"))
                    pii = pii or bool(details.get("pii"))
                    injection = injection or bool(details.get("injection"))
        for rule in record.get("rules") or ():
            if isinstance(rule, str):
                matched.add(rule)
        self.rules.update(matched)
        if schema:
            self.schema[kind] += 1
        self.pii += pii
        self.injection += injection
        self.errors += error
        if record.get("redactions"):
            self.redacted += 1
        shadow = record.get("shadow")
        if isinstance(shadow, dict):
            self.shadowed += 1
            if shadow.get("agree") is False:
                self.shadow_disagree += 1
        if kind == "output":
            length = output_length(record)
            if length is not None:
                self.output_length.add(length)


def output_length(record: dict[str, Any]) -> int | None:
    """The length in characters of an output's content, when the record holds its payload
    (text as is, JSON as compact JSON); None when it does not."""
    payload = record.get("payload")
    if not isinstance(payload, dict) or "content" not in payload:
        return None
    content = payload["content"]
    if isinstance(content, str):
        return len(content)
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")))
