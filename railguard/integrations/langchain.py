"""LangChain: wrap a `langchain_core.tools.BaseTool` so that every run is guarded.

    from railguard.integrations.langchain import guard_tool

    tools = [guard_tool(t, guard, session="s-1", approve=ask_a_human) for t in tools]

The wrapper has the tool's name, description and argument schema, so a model binds to it
as to the tool itself. Each run is checked as `railguard.guarded` checks a function: the
call (`args` are the validated tool input; a plain string input is `{"input": ...}`),
then the result. A refusal raises an exception that is both railguard's (`ToolDenied`,
`ApprovalRejected`) and LangChain's `ToolException`, so with `handle_tool_error=True` (the
default here) the model receives the refusal as the tool's error message instead of the
agent loop stopping. Needs `pip install langchain-core`.
"""

from __future__ import annotations

from typing import Any

try:
    from langchain_core.tools import BaseTool, ToolException
except ImportError as exc:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(
        "railguard.integrations.langchain needs LangChain: pip install langchain-core"
    ) from exc

from pydantic import ConfigDict

from railguard.integrations._common import Evaluator, Value, refusal
from railguard.integrations.decorator import Approver, ToolGate
from railguard.integrations.errors import ApprovalRejected, GuardrailError, ToolDenied

__all__ = ["GuardedTool", "ToolApprovalRejected", "ToolDeniedException", "guard_tool"]


class ToolDeniedException(ToolDenied, ToolException):
    """`ToolDenied` that LangChain's `handle_tool_error` turns into the tool's message."""


class ToolApprovalRejected(ApprovalRejected, ToolException):
    """`ApprovalRejected` that LangChain's `handle_tool_error` turns into the tool's message."""


class GuardedTool(BaseTool):
    """A tool that runs `inner` only when the policy allows it. Build it with `guard_tool`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseTool
    gate: Any  # a ToolGate (not a pydantic type)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        given = _as_args(args, kwargs)
        try:
            allowed = self.gate.before(given)
            return self.gate.after(self.inner.invoke(_as_input(args, allowed)))
        except GuardrailError as err:
            raise _for_langchain(err) from None

    async def _arun(self, *args: Any, **kwargs: Any) -> Any:
        given = _as_args(args, kwargs)
        try:
            allowed = await self.gate.abefore(given)
            return await self.gate.aafter(await self.inner.ainvoke(_as_input(args, allowed)))
        except GuardrailError as err:
            raise _for_langchain(err) from None


def guard_tool(
    tool: BaseTool,
    guard: Evaluator,
    *,
    session: Value = None,
    context: Value = None,
    approve: Approver | None = None,
    check_result: bool = True,
    handle_tool_error: bool = True,
) -> GuardedTool:
    """`tool`, guarded by `guard` (a `Guard` or a `Client`; an `AsyncClient` with `ainvoke`).
    The other arguments are `railguard.guarded`'s; `handle_tool_error=False` lets the
    refusal propagate out of `invoke` instead of becoming the tool's message."""
    gate = ToolGate(
        guard,
        tool.name,
        session=session,
        context=context,
        approve=approve,
        check_result=check_result,
    )
    return GuardedTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        return_direct=tool.return_direct,
        handle_tool_error=handle_tool_error,
        inner=tool,
        gate=gate,
    )


def _as_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    if args:  # a single-input tool called with a string
        return {"input": args[0]}
    return dict(kwargs)


def _as_input(args: tuple[Any, ...], allowed: dict[str, Any]) -> Any:
    return allowed.get("input", args[0]) if args else allowed


def _for_langchain(err: GuardrailError) -> GuardrailError:
    """The same refusal as a `ToolException` whose message is what the model should read."""
    kind = ToolApprovalRejected if isinstance(err, ApprovalRejected) else ToolDeniedException
    out = kind(err.verdict)
    out.args = (refusal(err.verdict),)
    return out
