"""Session builtins: what happened earlier in the agent's session.

They read the session as it was before the current event (`railguard/engine/session_state.py`):
the calls the engine allowed, with their times and fingerprints, the cost reported so far
and the labels rules attached. Windows such as `within: "60s"` are fixed in the policy. An
event without a `session` id, or a session store that is down, makes them fail closed.
A rule that denies because of a windowed count reports `retry_after`: when the window frees.
"""

from __future__ import annotations

from typing import Annotated

from railguard.builtins.registry import (
    Choices,
    EvalError,
    LintCall,
    LintFinding,
    LoadContext,
    LoadError,
    Static,
    builtin,
)
from railguard.engine.session_state import (
    CURRENT,
    DEFAULT_TTL_S,
    SessionView,
    parse_duration,
    tool_matches,
)


def load_window(text: str | None, context: LoadContext) -> float | None:
    if text is None:
        return None
    seconds = parse_duration(text)
    if seconds is None:
        raise LoadError(
            f"`{text}` is not a duration",
            hint='write a number and a unit: "500ms", "30s", "5m", "1h" or "1d"',
        )
    kept = float(context.config.get("session_ttl", DEFAULT_TTL_S))
    if seconds > kept:
        raise LoadError(
            f"the window `{text}` is longer than the session history the engine keeps ({kept:g} s)",
            hint="raise the session store's `ttl`, or use a shorter window",
        )
    return seconds


Window = Annotated[
    float,
    'the time window back from now, such as "30s", "5m", "1h" or "1d", fixed in the policy',
    Static(load_window),
]
AnyTime = Annotated[
    float | None,
    "the time window back from now, fixed in the policy; null (the default): the whole session",
    Static(load_window, accepts=str | None),
]
ToolName = Annotated[str, "a tool name, or a glob such as `db_*`"]


def lint_tools(call: LintCall) -> list[LintFinding]:
    """RG301 for a tool name (or glob) argument that matches no tool of the catalog."""
    found = []
    for param in ("tool", "other"):
        name = call.args.get(param)
        if not call.catalog or not isinstance(name, str):
            continue
        if not any(tool_matches(name, t) for t in call.catalog):
            found.append(
                LintFinding(
                    "RG301",
                    f"`{call.name}` counts calls of `{name}`, which matches no tool in the catalog",
                    call.spans[param],
                    help="the count stays at zero; check the name against the catalog",
                )
            )
    return found


def lint_label(call: LintCall) -> list[LintFinding]:
    """RG315 for a label that no `label` rule of the linted policies attaches."""
    label = call.args.get("label")
    if not isinstance(label, str) or label in call.labels:
        return []
    return [
        LintFinding(
            "RG315",
            f"no rule attaches the label `{label}`, so `{call.name}` is always false",
            call.spans["label"],
            help=f"add a rule such as `label {label} result fetch_url`, or fix the name",
        )
    ]


def _view() -> SessionView:
    view = CURRENT.get()
    if view is None:
        raise EvalError("there is no session state to read here")
    if view.unavailable is not None:
        raise EvalError(view.unavailable)
    return view


@builtin(
    "session.count",
    examples=[
        'session.count("send_email", within: "1h") >= 20',
        'session.count(within: "60s") > 30',
    ],
    lint=lint_tools,
)
def count(
    tool: Annotated[str | None, "a tool name or a glob such as `db_*`; null: every tool"] = None,
    within: Window = "60s",  # type: ignore[assignment]
) -> int:
    """How many calls the engine allowed in this session within the window (this one not counted).

    A rate limit: `deny call send_email when session.count("send_email", within: "1m") >= 10`.
    A denial says in `retry_after` when the oldest counted call leaves the window.
    """
    view = _view()
    if tool is None:
        return sum(1 for _ in view.calls(within))
    return sum(1 for c in view.calls(within) if tool_matches(tool, c.tool))


@builtin("session.repeats", examples=['session.repeats(within: "60s") >= 3'])
def repeats(within: Window = "60s") -> int:  # type: ignore[assignment]
    """How many earlier calls in the window had this call's tool and arguments (key order aside).

    A loop breaker: `deny call * when session.repeats(within: "5m") >= 3`. Zero on events
    other than calls.
    """
    view = _view()
    if view.fingerprint is None:
        return 0
    return sum(1 for c in view.calls(within) if c.fingerprint == view.fingerprint)


@builtin("session.spent", examples=['session.spent("usd") > 5', 'session.spent("tokens") > 200000'])
def spent(
    unit: Annotated[str, "what to sum: `usd` or `tokens`", Choices(("usd", "tokens"))] = "usd",
) -> float:
    """The session's cost so far, this event's included, from each event's `context.cost`.

    Events report what the step behind them cost as `context.cost: {"usd": 0.02, "tokens":
    1800}`. A malformed or negative cost on this event fails closed.
    """
    view = _view()
    if view.cost.problem is not None:
        raise EvalError(view.cost.problem)
    if unit == "usd":
        return view.state.usd + view.cost.usd
    return view.state.tokens + view.cost.tokens


@builtin(
    "session.seen",
    examples=['session.seen("fetch_url")', 'session.seen("db_*", within: "10m")'],
    lint=lint_tools,
)
def seen(tool: ToolName, within: AnyTime = None) -> bool:
    """True when the engine allowed a call of `tool` earlier in the session (or the window)."""
    return any(tool_matches(tool, c.tool) for c in _view().calls(within))


@builtin(
    "session.after",
    examples=['session.after("edit_file", "run_tests")', 'session.after("fetch_url", "review")'],
    lint=lint_tools,
)
def after(tool: ToolName, other: Annotated[str, "the tool (or glob) it must follow"]) -> bool:
    """True when `tool` was called since the last call of `other` (or `other` never was).

    Order rules: `deny call deploy when session.after("edit_file", "run_tests")` (an edit
    since the last test run). False when `tool` was never called.
    """
    last_tool = last_other = None
    for c in _view().calls():
        if tool_matches(tool, c.tool):
            last_tool = c.at if last_tool is None else max(last_tool, c.at)
        if tool_matches(other, c.tool):
            last_other = c.at if last_other is None else max(last_other, c.at)
    return last_tool is not None and (last_other is None or last_tool > last_other)


@builtin("session.labeled", examples=['session.labeled("untrusted")'], lint=lint_label)
def labeled(
    label: Annotated[str, "a label that a `label` rule attaches, such as `untrusted`"],
) -> bool:
    """True when a `label` rule marked the session with `label` on an earlier event.

    Data flow: `label untrusted result fetch_url`, then `escalate call send_email when
    session.labeled("untrusted")`.
    """
    return label in _view().state.labels


@builtin("session.labels", examples=['"pii" in session.labels()'])
def labels() -> frozenset[str]:
    """Every label rules attached to the session on earlier events."""
    return frozenset(_view().state.labels)
