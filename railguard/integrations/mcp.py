"""Model Context Protocol: JSON-RPC `tools/call` requests in, verdicts and JSON-RPC
responses out, for a proxy or a client that sits between an agent and MCP servers.
Nothing from the `mcp` package is imported.

    checked = railguard.integrations.mcp.check_request(guard, request, session="s-1")
    if checked.allowed:
        response = server.send(checked.forward)       # arguments rewritten when redacted
        response = check_response(guard, response, tool=checked.tool).message
    else:
        response = checked.reply

A refused call is answered as the spec recommends for a tool's errors, so the model sees
it: a result with `isError: true` and the reason as a text item. A request that is not a
well-formed `tools/call` is answered with a JSON-RPC error (-32600 invalid request, -32602
invalid params). A `CallToolResult` with one text item is evaluated as its text; with more
items or with `structuredContent`, as `{"content": [...], "structuredContent": ...}`, so a
`redact result` rule masks both copies of the data.
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

__all__ = ["INVALID_PARAMS", "INVALID_REQUEST", "check_request", "check_response", "error_result"]

INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


def error_result(text: str) -> dict[str, Any]:
    """A `CallToolResult` reporting a tool error to the model."""
    return {"content": [{"type": "text", "text": text}], "isError": True}


def check_request(
    guard: Evaluator, request: Any, *, session: Value = None, context: Value = None
) -> CheckedCall:
    """Check one `{"jsonrpc": "2.0", "id", "method": "tools/call", "params": {"name",
    "arguments"}}` request. `forward` is the request (arguments rewritten when redacted)
    to send to the server; `reply` is the JSON-RPC response to return instead."""
    request = as_dict(request)
    if not isinstance(request, Mapping) or request.get("jsonrpc") != "2.0":
        return _invalid(None, None, INVALID_REQUEST, "not a JSON-RPC 2.0 request")
    req_id = request.get("id")
    if request.get("method") != "tools/call":
        return _invalid(req_id, None, INVALID_REQUEST, "expected a `tools/call` request")
    params = request.get("params")
    if not isinstance(params, Mapping):
        return _invalid(req_id, None, INVALID_PARAMS, "`params` must be an object")
    name = tool_name(params.get("name"))
    if name is None:
        return _invalid(req_id, None, INVALID_PARAMS, "`params.name` must name a tool")
    args = params.get("arguments", {})
    if not isinstance(args, Mapping):
        return _invalid(req_id, name, INVALID_PARAMS, "`params.arguments` must be an object")
    args = dict(args)
    verdict = evaluate(guard, call_event(name, args, session, context))
    allowed_args = rewritten(verdict, args)
    forward = None
    if not verdict.denied:
        forward = {**request, "params": {**params, "arguments": allowed_args}}
    reply = None if verdict.allowed else _response(req_id, error_result(refusal(verdict)))
    return CheckedCall(verdict, req_id, name, allowed_args, forward, reply)


def check_response(
    guard: Evaluator, response: Any, *, tool: str, session: Value = None, context: Value = None
) -> CheckedResult:
    """Check a server's answer to `tools/call`: a JSON-RPC response holding a
    `CallToolResult`, or the bare `CallToolResult` (`{"content": [...], "structuredContent",
    "isError"}`). `.message` has the same shape, rewritten or refused. A JSON-RPC error
    response is checked on its `error.message`."""
    response = as_dict(response)
    if isinstance(response, Mapping) and "jsonrpc" in response:
        req_id = response.get("id")
        if isinstance(response.get("error"), Mapping):
            return _check_error(guard, response, tool, session, context)
        c = _check_result(guard, response.get("result"), req_id, tool, session, context)
        forward = None if c.forward is None else {**response, "result": c.forward}
        reply = None if c.reply is None else _response(req_id, c.reply)
        return CheckedResult(c.verdict, req_id, tool, c.content, forward, reply)
    return _check_result(guard, response, None, tool, session, context)


def _check_result(
    guard: Evaluator, result: Any, req_id: Any, tool: str, session: Value, context: Value
) -> CheckedResult:
    if not isinstance(result, Mapping) or not isinstance(result.get("content", []), list):
        verdict = failed("result", tool, "a `CallToolResult` must have a `content` list")
        return checked_result(verdict, req_id, tool, None, None, error_result(refusal(verdict)))
    items = result.get("content", [])
    structured = result.get("structuredContent")
    if structured is None:
        value, put_back = unwrap_text(items)
    else:
        value = {"content": items, "structuredContent": structured}
    verdict = evaluate(guard, result_event(tool, value, session, context))
    reply = error_result(refusal(verdict))
    if not verdict.redactions:
        return checked_result(verdict, req_id, tool, value, dict(result), reply)
    new = verdict.content
    if structured is None:
        forward = {**result, "content": put_back(new)}
    else:
        forward = {
            **result,
            "content": new["content"],
            "structuredContent": new["structuredContent"],
        }
    return checked_result(verdict, req_id, tool, new, forward, reply)


def _check_error(
    guard: Evaluator, response: Mapping[str, Any], tool: str, session: Value, context: Value
) -> CheckedResult:
    error = response["error"]
    req_id = response.get("id")
    message = error.get("message", "")
    verdict = evaluate(guard, result_event(tool, message, session, context))
    text = verdict.content if verdict.redactions else message
    forward = {**response, "error": {**error, "message": text}}
    reply = _response(req_id, error_result(refusal(verdict)))
    return checked_result(verdict, req_id, tool, text, forward, reply)


def _response(req_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "result": result}


def _invalid(req_id: Any, tool: str | None, code: int, cause: str) -> CheckedCall:
    verdict = failed("call", tool, cause)
    reply = {
        "jsonrpc": "2.0",
        "id": req_id,
        "error": {
            "code": code,
            "message": f"Invalid params: {cause}"
            if code == INVALID_PARAMS
            else f"Invalid request: {cause}",
        },
    }
    return CheckedCall(verdict, req_id, tool, None, None, reply)
