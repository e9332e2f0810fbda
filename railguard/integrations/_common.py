"""What the adapters share: the checked call and result they return, fail-closed verdicts,
the refusal text the model reads, and the evaluation of one event by a `Guard` or `Client`.

The adapters never import a provider's SDK: they read the JSON shapes of the providers'
documented payloads, and the SDKs' pydantic objects through `.model_dump()`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from railguard.engine.events import Event, EventError, ToolCall, ToolResult
from railguard.engine.verdict import DENY, Verdict, Violation

Value = Any
"""A session id or a context: the value itself, or a function of no arguments giving it."""


class Evaluator(Protocol):
    """A `railguard.Guard`, a `railguard.Client`, or anything with their `evaluate()`.

    An `AsyncClient`'s `evaluate()` returns a coroutine: only async guarded functions accept it.
    """

    def evaluate(self, event: Event) -> Any: ...


@dataclass(frozen=True)
class CheckedCall:
    """One tool call and its verdict, in the provider's shapes.

    `args` are the arguments to run the tool with (rewritten when a rule redacted them; None
    when the call could not be read). `forward` is the provider-shaped call to run or pass on,
    with those arguments: set when the call is allowed or escalated (run it only once a human
    approved), None when denied. `reply` is what to send back to the model instead of a
    result when the call is not allowed, else None.
    """

    verdict: Verdict
    id: Any
    tool: str | None
    args: dict[str, Any] | None
    forward: Any
    reply: Any

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed


@dataclass(frozen=True)
class CheckedResult:
    """One tool result and its verdict, in the provider's shapes.

    `content` is the content the policy saw, rewritten when a rule redacted it (None when
    denied or unreadable). `forward` is the provider-shaped result with that content: set
    when allowed or escalated (pass it on only once a human approved), None when denied.
    `reply` is the refusal to give the model instead when not allowed, else None.
    `message` is what to give the model now: `forward` when allowed, else `reply`.
    """

    verdict: Verdict
    id: Any
    tool: str | None
    content: Any
    forward: Any
    reply: Any

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def message(self) -> Any:
        return self.forward if self.verdict.allowed else self.reply


def checked_result(
    verdict: Verdict, result_id: Any, tool: str | None, content: Any, forward: Any, reply: Any
) -> CheckedResult:
    """A `CheckedResult`, keeping `forward` only when not denied and `reply` only when not
    allowed."""
    if verdict.denied:
        content = forward = None
    return CheckedResult(
        verdict, result_id, tool, content, forward, None if verdict.allowed else reply
    )


def resolve(value: Value) -> Any:
    """The value, or what calling it gives when it is a function (a per-call session id)."""
    return value() if callable(value) else value


def failed(kind: str, tool: str | None, cause: str) -> Verdict:
    """A deny the adapter makes itself, for input it cannot read (fail closed)."""
    v = Violation(
        rule="railguard.adapter",
        policy="railguard",
        effect=DENY,
        message=cause,
        location="<adapter>",
        error=cause,
    )
    return Verdict(DENY, (v,), (), "", 0.0, kind, tool)


def evaluate(guard: Evaluator, event: Event) -> Verdict:
    """`guard.evaluate(event)`; an event the engine refuses is a deny, never an exception."""
    try:
        verdict = guard.evaluate(event)
    except EventError as exc:
        return failed(event.kind, event.tool, str(exc))
    if inspect.isawaitable(verdict):
        if inspect.iscoroutine(verdict):
            verdict.close()
        raise TypeError("an async evaluator (AsyncClient) needs an async tool function")
    if not isinstance(verdict, Verdict):
        raise TypeError(f"evaluate() returned {type(verdict).__name__}, not a Verdict")
    return verdict


def call_event(tool: str, args: dict[str, Any], session: Value, context: Value) -> ToolCall:
    return ToolCall(tool=tool, args=args, session=resolve(session), context=_context(context))


def result_event(tool: str, content: Any, session: Value, context: Value) -> ToolResult:
    return ToolResult(
        tool=tool, content=content, session=resolve(session), context=_context(context)
    )


def _context(context: Value) -> dict[str, Any]:
    value = resolve(context)
    return dict(value) if isinstance(value, Mapping) else {}


def reasons(verdict: Verdict) -> str:
    """The messages of the rules that decided, once each, or the explanation."""
    messages = dict.fromkeys(v.message for v in verdict.violations if v.message)
    return "; ".join(messages) or verdict.explain()


def refusal(verdict: Verdict) -> str:
    """The text the model reads in place of a tool's result."""
    tool = f"`{verdict.tool}`" if verdict.tool else "the tool"
    if verdict.kind == "result":
        what = f"the result of {tool} was withheld"
    else:
        what = f"the call to {tool} was not run"
    if verdict.escalated:
        why = "it needs a human's approval"
    elif verdict.violations and all(v.rule == "railguard.adapter" for v in verdict.violations):
        why = "it could not be checked"
    else:
        why = "the policy denied it"
    return f"{what}: {why}: {reasons(verdict)}{advice(verdict)}"


def advice(verdict: Verdict) -> str:
    """What the model can do about a denied call: the fallbacks the policy allows instead
    (`; run_sql is unavailable; use run_sql_replica`) and when to try again (a breaker or
    a rate limit that lifts with time)."""
    if not verdict.denied:
        return ""
    out = ""
    fallback = getattr(verdict, "fallback", ())
    if fallback and verdict.kind == "call":
        tools = " or ".join(fallback)
        out += f"; {verdict.tool} is unavailable; use {tools}"
    if verdict.retry_after is not None:
        out += f"; try again in {_seconds(verdict.retry_after)} s"
    return out


def _seconds(value: float) -> str:
    whole = int(value)
    return str(whole if whole == value else whole + 1)


def as_dict(obj: Any) -> Any:
    """A provider SDK's pydantic object as its JSON dict (`.model_dump()`); else `obj`."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and not isinstance(obj, Mapping):
        try:
            return dump(mode="json", exclude_none=True)
        except TypeError:
            return dump()
    return obj


def tool_name(value: Any) -> str | None:
    """`value` when it is a usable tool name (a non-empty string of at most 256 characters)."""
    return value if isinstance(value, str) and 0 < len(value) <= 256 else None


def unwrap_text(content: Any) -> tuple[Any, Callable[[Any], Any]]:
    """The value to evaluate for a result's content, and how to put a rewritten one back.

    A list holding one text part (`[{"type": "text", "text": ...}]`) is evaluated as its
    text, so that rules can match it as a string; anything else is evaluated as it is.
    """
    if (
        isinstance(content, list)
        and len(content) == 1
        and isinstance(content[0], Mapping)
        and content[0].get("type") == "text"
        and isinstance(content[0].get("text"), str)
    ):
        part = dict(content[0])
        return part["text"], lambda new: [{**part, "text": new}]
    return content, lambda new: new


def rewritten(verdict: Verdict, original: Any) -> Any:
    """The payload a rule rewrote (`verdict.args`/`verdict.content`), else `original`."""
    if not verdict.redactions:
        return original
    return verdict.args if verdict.kind == "call" else verdict.content


async def aevaluate(guard: Evaluator, event: Event) -> Verdict:
    """`evaluate()` for async code: awaits an `AsyncClient`'s coroutine."""
    try:
        verdict = guard.evaluate(event)
        if inspect.isawaitable(verdict):
            verdict = await verdict
    except EventError as exc:
        return failed(event.kind, event.tool, str(exc))
    if not isinstance(verdict, Verdict):
        raise TypeError(f"evaluate() returned {type(verdict).__name__}, not a Verdict")
    return verdict
