"""OpenAI Chat Completions: an assistant message's `tool_calls` in, verdicts and `tool`
messages out. Nothing from the `openai` package is imported; its pydantic objects are
read through `.model_dump()`.

    checked = railguard.integrations.openai.check_tool_calls(guard, message, session="s-1")
    for c in checked:
        if c.allowed:
            output = run_tool(c.tool, c.args)       # c.args: rewritten when a rule redacted them
            messages.append(check_tool_result(guard, tool_message(c.id, output), tool=c.tool).message)
        else:
            messages.append(c.reply)                # {"role": "tool", "tool_call_id": ..., "content": why}

A call's `function.arguments` is a JSON string: one that is not a JSON object (malformed,
repeated keys, `NaN`) is denied, never raised. An empty string counts as `{}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from railguard.integrations._common import (
    CheckedCall,
    CheckedResult,
    Evaluator,
    Value,
    as_dict,
    call_event,
    checked_result,
    evaluate,
    failed,
    refusal,
    result_event,
    rewritten,
    tool_name,
    unwrap_text,
)

__all__ = ["check_tool_call", "check_tool_calls", "check_tool_result", "tool_message"]


def tool_message(tool_call_id: Any, content: Any) -> dict[str, Any]:
    """The `{"role": "tool", ...}` message that answers one tool call."""
    return {"role": "tool", "tool_call_id": tool_call_id, "content": content}


def check_tool_calls(
    guard: Evaluator, message: Any, *, session: Value = None, context: Value = None
) -> list[CheckedCall]:
    """Check every tool call of an assistant message (a dict, an SDK object, or its
    `tool_calls` list), in order; a message without tool calls gives `[]`."""
    message = as_dict(message)
    calls = message.get("tool_calls") if isinstance(message, Mapping) else message
    if calls is None:
        return []
    if not isinstance(calls, list):
        verdict = failed("call", None, "`tool_calls` must be a list")
        return [CheckedCall(verdict, None, None, None, None, tool_message(None, refusal(verdict)))]
    return [check_tool_call(guard, c, session=session, context=context) for c in calls]


def check_tool_call(
    guard: Evaluator, call: Any, *, session: Value = None, context: Value = None
) -> CheckedCall:
    """Check one entry of `tool_calls`: `{"id", "type": "function", "function": {"name",
    "arguments"}}`. `forward` is the call with its arguments re-encoded when rewritten."""
    call = as_dict(call)
    if not isinstance(call, Mapping):
        return _refused(None, None, "a tool call must be a JSON object")
    call_id = call.get("id")
    function = call.get("function")
    if call.get("type", "function") != "function" or not isinstance(function, Mapping):
        return _refused(call_id, None, "only `function` tool calls can be checked")
    name = tool_name(function.get("name"))
    if name is None:
        return _refused(call_id, None, "the tool call has no function `name`")
    args, problem = _arguments(function.get("arguments"))
    if args is None:
        return _refused(call_id, name, f"the arguments of `{name}` are not valid: {problem}")
    verdict = evaluate(guard, call_event(name, args, session, context))
    allowed_args = rewritten(verdict, args)
    forward: Any = None
    if not verdict.denied:
        forward = dict(call)
        if allowed_args is not args:
            arguments = json.dumps(allowed_args, ensure_ascii=False)
            forward["function"] = {**function, "arguments": arguments}
    reply = None if verdict.allowed else tool_message(call_id, refusal(verdict))
    return CheckedCall(verdict, call_id, name, allowed_args, forward, reply)


def check_tool_result(
    guard: Evaluator, message: Any, *, tool: str, session: Value = None, context: Value = None
) -> CheckedResult:
    """Check a `{"role": "tool", "tool_call_id", "content"}` message before the model reads
    it. `content` (text, or a list of content parts) is the `result` event's content; one
    text part is evaluated as its text. `.message` is the tool message to send on now."""
    message = as_dict(message)
    if not isinstance(message, Mapping) or "content" not in message:
        verdict = failed("result", tool, "a tool message must be a JSON object with `content`")
        return checked_result(verdict, None, tool, None, None, tool_message(None, refusal(verdict)))
    call_id = message.get("tool_call_id")
    original = message["content"]
    value, put_back = unwrap_text(original)
    verdict = evaluate(guard, result_event(tool, value, session, context))
    content = put_back(verdict.content) if verdict.redactions else original
    forward = {**message, "content": content}
    return checked_result(
        verdict, call_id, tool, content, forward, tool_message(call_id, refusal(verdict))
    )


def _refused(call_id: Any, tool: str | None, cause: str) -> CheckedCall:
    verdict = failed("call", tool, cause)
    return CheckedCall(verdict, call_id, tool, None, None, tool_message(call_id, refusal(verdict)))


def _arguments(raw: Any) -> tuple[dict[str, Any] | None, str]:
    """The parsed arguments, or None and why not. Repeated keys and `NaN` are refused: a
    tool's JSON parser might read them otherwise than the policy did."""
    if isinstance(raw, Mapping):  # some OpenAI-compatible servers send an object
        return dict(raw), ""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}, ""
    if not isinstance(raw, str):
        return None, "`arguments` must be a JSON string"
    try:
        value = json.loads(raw, object_pairs_hook=_unique, parse_constant=_no_constant)
    except ValueError as exc:
        return None, str(exc) if isinstance(exc, _Refused) else _json_error(exc)
    if not isinstance(value, dict):
        return None, "they must be a JSON object"
    return value, ""


class _Refused(ValueError):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"the key `{key}` is repeated")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Refused(f"`{name}` is not JSON")


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at character {exc.pos})"
    return f"not JSON ({exc})"
