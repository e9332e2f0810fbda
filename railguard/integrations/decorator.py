"""`@railguard.guarded(guard)`: guard a plain Python tool function, sync or async.

    guard = railguard.load("policies/finance")

    @railguard.guarded(guard, session="s-42", approve=ask_a_human)
    def send_email(to: str, body: str) -> str:
        ...

Each call is evaluated first as a `call` event whose `args` are the function's bound
arguments (defaults included; `**kwargs` flattened in, `*args` as a list; a method's `self`
or `cls` left out). A deny raises `ToolDenied`; an escalation asks `approve(verdict)`
(a function or a coroutine function) and raises `ApprovalRejected` unless it returns
`True`, or when there is no `approve` (fail closed). When a rule rewrote the arguments,
the function runs with the rewritten ones. Then the return value is evaluated as a `result`
event the same way, and the rewritten value is returned when a rule redacted it. Results
must be JSON values (or pydantic models); `check_result=False` skips that step.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from railguard.engine.verdict import Verdict
from railguard.integrations._common import (
    Evaluator,
    Value,
    aevaluate,
    as_dict,
    call_event,
    evaluate,
    result_event,
    rewritten,
)
from railguard.integrations.errors import ApprovalRejected, ToolDenied

F = TypeVar("F", bound=Callable[..., Any])
Approver = Callable[[Verdict], Any]
"""Decides on an escalated verdict: returns (or, when async, resolves to) True to approve."""


class ToolGate:
    """The checks around one tool's runs: before (the call) and after (the result).

    The decorator and the LangChain wrapper use it; use it directly around any other
    way of running a tool.
    """

    def __init__(
        self,
        guard: Evaluator,
        tool: str,
        *,
        session: Value = None,
        context: Value = None,
        approve: Approver | None = None,
        check_result: bool = True,
    ) -> None:
        self.guard = guard
        self.tool = tool
        self.session = session
        self.context = context
        self.approve = approve
        self.check_result = check_result

    # -- sync

    def before(self, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments to run the tool with; raises when it may not run."""
        verdict = evaluate(self.guard, call_event(self.tool, args, self.session, self.context))
        if self._needs_approval(verdict):
            self._settle(verdict, self._ask(verdict))
        return cast(dict[str, Any], rewritten(verdict, args))

    def after(self, value: Any) -> Any:
        """The result to hand on; raises when the policy withholds it."""
        if not self.check_result:
            return value
        content = as_dict(value)
        event = result_event(self.tool, content, self.session, self.context)
        verdict = evaluate(self.guard, event)
        if self._needs_approval(verdict):
            self._settle(verdict, self._ask(verdict))
        return _restore(value, content, verdict)

    def _ask(self, verdict: Verdict) -> Any:
        if self.approve is None:
            return None
        answer = self.approve(verdict)
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()
            raise TypeError("an async approve callback needs an async tool function")
        return answer

    # -- async

    async def abefore(self, args: dict[str, Any]) -> dict[str, Any]:
        event = call_event(self.tool, args, self.session, self.context)
        verdict = await aevaluate(self.guard, event)
        if self._needs_approval(verdict):
            self._settle(verdict, await self._aask(verdict))
        return cast(dict[str, Any], rewritten(verdict, args))

    async def aafter(self, value: Any) -> Any:
        if not self.check_result:
            return value
        content = as_dict(value)
        event = result_event(self.tool, content, self.session, self.context)
        verdict = await aevaluate(self.guard, event)
        if self._needs_approval(verdict):
            self._settle(verdict, await self._aask(verdict))
        return _restore(value, content, verdict)

    async def _aask(self, verdict: Verdict) -> Any:
        if self.approve is None:
            return None
        answer = self.approve(verdict)
        return await answer if inspect.isawaitable(answer) else answer

    # -- shared

    @staticmethod
    def _needs_approval(verdict: Verdict) -> bool:
        if verdict.allowed:
            return False
        if verdict.escalated:
            return True
        raise ToolDenied(verdict)

    def _settle(self, verdict: Verdict, answer: Any) -> None:
        if self.approve is None:
            raise ApprovalRejected(verdict, "no approval callback was given (fail closed)")
        if answer is not True:
            raise ApprovalRejected(verdict, "the approver did not approve it")


def _restore(value: Any, content: Any, verdict: Verdict) -> Any:
    """`value`, or the rewritten content (as the same pydantic model when it was one)."""
    if not verdict.redactions:
        return value
    new = rewritten(verdict, content)
    if content is not value and hasattr(type(value), "model_validate"):
        return type(value).model_validate(new)
    return new


def guarded(
    guard: Evaluator,
    *,
    tool: str | None = None,
    session: Value = None,
    context: Value = None,
    approve: Approver | None = None,
    check_result: bool = True,
) -> Callable[[F], F]:
    """Guard a tool function with `guard` (a `Guard`, a `Client`, or an `AsyncClient` for
    async functions). `tool` is the name policies see (default: the function's name);
    `session` and `context` are values or functions of no arguments called on every call.
    """

    def wrap(fn: F) -> F:
        gate = ToolGate(
            guard,
            tool or fn.__name__,
            session=session,
            context=context,
            approve=approve,
            check_result=check_result,
        )
        sig = inspect.signature(fn)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                given = _arguments(bound)
                allowed = await gate.abefore(given)
                if allowed is not given:
                    args, kwargs = _rebuild(bound, allowed)
                return await gate.aafter(await fn(*args, **kwargs))

            return cast(F, run_async)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            given = _arguments(bound)
            allowed = gate.before(given)
            if allowed is not given:
                args, kwargs = _rebuild(bound, allowed)
            return gate.after(fn(*args, **kwargs))

        return cast(F, run)

    return wrap


_SELF = ("self", "cls")


def _params(bound: inspect.BoundArguments) -> list[inspect.Parameter]:
    """The parameters that become `args`: all but a method's leading `self` or `cls`."""
    params = list(bound.signature.parameters.values())
    if params and params[0].name in _SELF and params[0].kind != params[0].KEYWORD_ONLY:
        return params[1:]
    return params


def _arguments(bound: inspect.BoundArguments) -> dict[str, Any]:
    """The call's `args`: named parameters, `*args` as a list, `**kwargs` flattened in."""
    out: dict[str, Any] = {}
    for p in _params(bound):
        value = bound.arguments.get(p.name)
        if p.kind is p.VAR_KEYWORD:
            out.update(value or {})
        elif p.kind is p.VAR_POSITIONAL:
            out[p.name] = list(value or ())
        else:
            out[p.name] = value
    return out


def _rebuild(
    bound: inspect.BoundArguments, new: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for the call, with the rewritten `new` values."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    params = _params(bound)
    if len(params) < len(bound.signature.parameters):
        first = next(iter(bound.signature.parameters))
        args.append(bound.arguments[first])
    named = {p.name for p in params if p.kind is not p.VAR_KEYWORD}
    for p in params:
        old = bound.arguments.get(p.name)
        if p.kind is p.VAR_POSITIONAL:
            args.extend(new.get(p.name, old or ()))
        elif p.kind is p.VAR_KEYWORD:
            kwargs.update({k: v for k, v in new.items() if k not in named})
        elif p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = new.get(p.name, old)
        else:
            args.append(new.get(p.name, old))
    return tuple(args), kwargs
