"""Compile `breaker` declarations and rules' `fallback` clauses (RG242, RG243).

For example `breaker run_sql: open after 5 failures within "60s" for "30s" trials 1 max
"10m" fallback run_sql_replica`, or the failure-rate form `breaker search_*: open at 50%
failures of at least 20 calls within "1m" for "30s" per tenant`.
"""

from __future__ import annotations

from railguard.engine.breakers.spec import (
    DEFAULT_KINDS,
    DEFAULT_MAX_COOL_DOWN_S,
    FLEET,
    SCOPES,
    CompiledBreaker,
)
from railguard.engine.events import ERROR_KINDS
from railguard.engine.session_state import parse_duration
from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics, did_you_mean
from railguard.policylang.span import Span

MAX_TRIALS = 100
_DURATION_HELP = 'write a duration such as "500ms", "30s", "5m", "1h" or "1d"'


def compile_breakers(
    policy: ast.Policy, diags: Diagnostics, shadow: bool, fail_open: bool
) -> tuple[CompiledBreaker, ...]:
    """The policy's breakers; each problem is reported, and a bad breaker is left out."""
    out: list[CompiledBreaker] = []
    seen: dict[str, Span] = {}
    for b in policy.breakers:
        errors = len([d for d in diags.items if d.is_error])
        for tool in b.tools:
            key = f"{tool.quoted}:{tool.pattern}"
            if key in seen:
                diags.error(
                    "RG242",
                    f"tool `{tool.pattern}` has two breakers in policy `{policy.name}`",
                    tool.span,
                    help=f"the first is at {seen[key]}; a tool's health is tracked by one breaker",
                )
            else:
                seen[key] = tool.span
        compiled = _compile(policy.name, b, diags, shadow, fail_open)
        if compiled is not None and len([d for d in diags.items if d.is_error]) == errors:
            out.append(compiled)
    return tuple(out)


def _compile(
    policy: str, b: ast.Breaker, diags: Diagnostics, shadow: bool, fail_open: bool
) -> CompiledBreaker | None:
    threshold, percent, min_calls = 0, 0.0, 0
    if b.min_calls is None:
        if not _whole(b.failures, 1):
            diags.error(
                "RG242", "the number of failures must be a whole number, 1 or more", b.failures_span
            )
        threshold = int(b.failures)
    else:
        if not 0 < b.failures <= 100:
            diags.error(
                "RG242",
                f"the failure rate must be above 0% and at most 100%, got {b.failures}%",
                b.failures_span,
            )
        if not _whole(b.min_calls, 1):
            diags.error(
                "RG242",
                "the minimum number of calls must be a whole number, 1 or more",
                b.min_calls_span,
            )
        percent, min_calls = float(b.failures), int(b.min_calls)
    window = _duration(b.within, b.within_span, "within", diags)
    cool_down = _duration(b.cool_down, b.cool_down_span, "for", diags)
    options = _options(b, diags)
    kinds = frozenset(DEFAULT_KINDS)
    if "kinds" in options:
        option = options["kinds"]
        names = [str(v) for v in option.values]
        for name in names:
            if name not in ERROR_KINDS:
                diags.error(
                    "RG242",
                    f"unknown error kind `{name}`",
                    option.span,
                    help=did_you_mean(name, ERROR_KINDS)
                    or "error kinds are " + ", ".join(f"`{k}`" for k in ERROR_KINDS),
                )
        kinds = frozenset(names)
    trials = 1
    if "trials" in options:
        value = options["trials"].values[0]
        if not isinstance(value, int | float) or not _whole(value, 1) or value > MAX_TRIALS:
            diags.error(
                "RG242",
                f"`trials` must be a whole number from 1 to {MAX_TRIALS}",
                options["trials"].span,
            )
        else:
            trials = int(value)
    max_cool_down = max(DEFAULT_MAX_COOL_DOWN_S, cool_down or 0.0)
    if "max" in options:
        found = _duration(str(options["max"].values[0]), options["max"].span, "max", diags)
        if found is not None and cool_down is not None and found < cool_down:
            diags.error(
                "RG242",
                "`max` is shorter than the cool-down (`for`)",
                options["max"].span,
                help="`max` caps the cool-down as failed trials double it",
            )
        max_cool_down = found or max_cool_down
    scope = FLEET
    if "per" in options:
        scope = str(options["per"].values[0])
        if scope not in SCOPES:
            diags.error(
                "RG242",
                f"unknown breaker scope `{scope}`",
                options["per"].span,
                help="write `per fleet` (the default), `per tenant` or `per session`",
            )
    fallback: tuple[str, ...] = ()
    if "fallback" in options:
        fallback = _fallback_names(options["fallback"].values, diags)
    if window is None or cool_down is None:
        return None
    any_tool = any(t.pattern == "*" and not t.quoted for t in b.tools)
    return CompiledBreaker(
        policy=policy,
        names=frozenset(t.pattern for t in b.tools if not t.is_glob),
        globs=tuple(t.pattern for t in b.tools if t.is_glob),
        any_tool=any_tool,
        threshold=threshold,
        percent=percent,
        min_calls=min_calls,
        window=window,
        window_text=b.within,
        cool_down=cool_down,
        max_cool_down=max_cool_down,
        kinds=kinds,
        trials=trials,
        scope=scope,
        fallback=fallback,
        location=str(b.span),
        shadow=shadow,
        fail_open=fail_open,
    )


def _options(b: ast.Breaker, diags: Diagnostics) -> dict[str, ast.BreakerOption]:
    found: dict[str, ast.BreakerOption] = {}
    for option in b.options:
        if option.name in found:
            diags.error(
                "RG242",
                f"`{option.name}` is given twice",
                option.span,
                help=f"the first is at {found[option.name].span}",
            )
            continue
        found[option.name] = option
    return found


def _duration(text: str, span: Span, what: str, diags: Diagnostics) -> float | None:
    seconds = parse_duration(text)
    if seconds is None:
        diags.error("RG242", f"`{what}` needs a duration, got `{text}`", span, help=_DURATION_HELP)
    return seconds


def _whole(value: int | float, least: int) -> bool:
    return float(value).is_integer() and value >= least


def _fallback_names(values: tuple[object, ...], diags: Diagnostics) -> tuple[str, ...]:
    names = []
    for value in values:
        if not isinstance(value, ast.ToolPattern):
            continue
        if value.is_glob:
            diags.error(
                "RG243",
                f"a fallback names a tool, not a pattern: `{value.pattern}`",
                value.span,
                help="name each fallback tool",
            )
            continue
        names.append(value.pattern)
    return tuple(dict.fromkeys(names))


def rule_fallback(rule: ast.Rule, diags: Diagnostics) -> tuple[str, ...]:
    """A rule's `fallback` tools; only a `deny call` rule can offer them."""
    if not rule.fallback:
        return ()
    if rule.effect != "deny" or rule.kind != "call":
        diags.error(
            "RG243",
            f"`fallback` belongs to `deny call` rules, not `{rule.effect} {rule.kind}`",
            rule.fallback[0].span.to(rule.fallback[-1].span),
            help="a fallback is offered instead of a call the policy denies",
        )
        return ()
    return _fallback_names(rule.fallback, diags)
