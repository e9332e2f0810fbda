"""Anthropic Messages API: `tool_use` content blocks in, verdicts and `tool_result` blocks
out. Nothing from the `anthropic` package is imported; its pydantic objects are read
through `.model_dump()`.

    checked = railguard.integrations.anthropic.check_tool_uses(guard, response, session="s-1")
    results = []
    for c in checked:
        if c.allowed:
            output = run_tool(c.tool, c.args)        # c.args: rewritten when a rule redacted them
            block = tool_result(c.id, output)
            results.append(check_tool_result(guard, block, tool=c.tool).message)
        else:
            results.append(c.reply)                  # a tool_result block with "is_error": true
    messages.append({"role": "user", "content": results})

A refusal is the `tool_result` block the Messages API documents for a failed tool:
`{"type": "tool_result", "tool_use_id": ..., "content": why, "is_error": true}`.
"""

from __future__ import annotations

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

__all__ = ["check_tool_result", "check_tool_use", "check_tool_uses", "tool_result"]


def tool_result(tool_use_id: Any, content: Any, *, is_error: bool = False) -> dict[str, Any]:
    """The `tool_result` block that answers one `tool_use` block."""
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id, "content": content}
    if is_error:
        block["is_error"] = True
    return block


def check_tool_uses(
    guard: Evaluator, message: Any, *, session: Value = None, context: Value = None
) -> list[CheckedCall]:
    """Check every `tool_use` block of an assistant message (a response, a `{"role",
    "content"}` dict, an SDK `Message`, or its content list), in order; other blocks
    (text, thinking) are skipped."""
    message = as_dict(message)
    content = message.get("content") if isinstance(message, Mapping) else message
    if isinstance(content, str) or content is None:
        return []
    if not isinstance(content, list):
        verdict = failed("call", None, "a message's `content` must be a list of blocks")
        return [CheckedCall(verdict, None, None, None, None, _error(None, verdict))]
    blocks = [as_dict(b) for b in content]
    return [
        check_tool_use(guard, b, session=session, context=context)
        for b in blocks
        if isinstance(b, Mapping) and b.get("type") == "tool_use"
    ]


def check_tool_use(
    guard: Evaluator, block: Any, *, session: Value = None, context: Value = None
) -> CheckedCall:
    """Check one `{"type": "tool_use", "id", "name", "input"}` block. `forward` is the block
    with its `input` rewritten when a rule redacted it."""
    block = as_dict(block)
    if not isinstance(block, Mapping) or block.get("type") != "tool_use":
        return _refused(None, None, "expected a `tool_use` block")
    use_id = block.get("id")
    name = tool_name(block.get("name"))
    if name is None:
        return _refused(use_id, None, "the `tool_use` block has no `name`")
    args = block.get("input", {})
    if not isinstance(args, Mapping):
        return _refused(use_id, name, f"the `input` of `{name}` must be a JSON object")
    args = dict(args)
    verdict = evaluate(guard, call_event(name, args, session, context))
    allowed_args = rewritten(verdict, args)
    forward = None if verdict.denied else {**block, "input": allowed_args}
    reply = None if verdict.allowed else _error(use_id, verdict)
    return CheckedCall(verdict, use_id, name, allowed_args, forward, reply)


def check_tool_result(
    guard: Evaluator, block: Any, *, tool: str, session: Value = None, context: Value = None
) -> CheckedResult:
    """Check a `{"type": "tool_result", "tool_use_id", "content"}` block before the model
    reads it. `content` (a string, or a list of content blocks; one text block is evaluated
    as its text) is the `result` event's content. `.message` is the block to send on now."""
    block = as_dict(block)
    if not isinstance(block, Mapping) or block.get("type") != "tool_result":
        verdict = failed("result", tool, "expected a `tool_result` block")
        return checked_result(verdict, None, tool, None, None, _error(None, verdict))
    use_id = block.get("tool_use_id")
    original = block.get("content", "")
    value, put_back = unwrap_text(original)
    verdict = evaluate(guard, result_event(tool, value, session, context))
    content = put_back(verdict.content) if verdict.redactions else original
    forward = {**block, "content": content}
    return checked_result(verdict, use_id, tool, content, forward, _error(use_id, verdict))


def _error(use_id: Any, verdict: Any) -> dict[str, Any]:
    return tool_result(use_id, refusal(verdict), is_error=True)


def _refused(use_id: Any, tool: str | None, cause: str) -> CheckedCall:
    verdict = failed("call", tool, cause)
    return CheckedCall(verdict, use_id, tool, None, None, _error(use_id, verdict))
