"""The MCP adapter, on payloads copied from the specification (2025-06-18, server/tools).

Source of the shapes: the spec's "Calling Tools" request `{"jsonrpc": "2.0", "id": 2,
"method": "tools/call", "params": {"name": "get_weather", "arguments": {"location": "New
York"}}}` and its response; the structured-content example (a `structuredContent` object
and the same JSON serialized in a text item); the error handling section (a JSON-RPC error
`-32602` for an unknown tool, and a tool execution error as `isError: true`).
"""

from __future__ import annotations

from typing import Any

import pytest

import railguard
from railguard.integrations.mcp import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    check_request,
    check_response,
)

REQUEST: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "get_weather", "arguments": {"location": "New York"}},
}
RESPONSE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 2,
    "result": {
        "content": [
            {
                "type": "text",
                "text": "Current weather in New York:\nTemperature: 72°F\nConditions: Partly cloudy",
            }
        ],
        "isError": False,
    },
}


def request(name: str, arguments: Any, req_id: Any = 2) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": req_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def test_allowed_request_is_forwarded(guard: railguard.Guard) -> None:
    checked = check_request(guard, REQUEST, session="s-1")
    assert checked.allowed and checked.reply is None
    assert (checked.id, checked.tool, checked.args) == (2, "get_weather", {"location": "New York"})
    assert checked.forward == REQUEST


def test_denied_request_is_a_tool_error_result(guard: railguard.Guard) -> None:
    checked = check_request(guard, request("get_weather", {"location": "Mars"}))
    assert checked.verdict.denied and checked.forward is None
    assert checked.reply == {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {
            "content": [
                {
                    "type": "text",
                    "text": "the call to `get_weather` was not run: the policy denied it: "
                    "no weather reports for Mars",
                }
            ],
            "isError": True,
        },
    }


def test_escalated_request(guard: railguard.Guard) -> None:
    checked = check_request(guard, request("send_email", {"to": "eve@example.org"}, "r-7"))
    assert checked.verdict.escalated
    assert checked.reply["id"] == "r-7" and checked.reply["result"]["isError"] is True
    assert "needs approval" in checked.reply["result"]["content"][0]["text"]
    assert checked.forward["params"]["arguments"] == {"to": "eve@example.org"}


def test_rewritten_arguments_are_forwarded(guard: railguard.Guard) -> None:
    checked = check_request(guard, request("search_contacts", {"query": "bob@globex.com"}))
    assert checked.forward["params"] == {
        "name": "search_contacts",
        "arguments": {"query": "<EMAIL>"},
    }
    assert REQUEST["params"]["arguments"] == {"location": "New York"}  # inputs left alone


def test_missing_arguments_are_an_empty_object(guard: railguard.Guard) -> None:
    bare = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "fetch_url"}}
    assert check_request(guard, bare).args == {}


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (request("get_weather", "New York"), INVALID_PARAMS),
        (request("", {}), INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 2, "method": "tools/call"}, INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, INVALID_REQUEST),
        ({"id": 2, "method": "tools/call", "params": {"name": "get_weather"}}, INVALID_REQUEST),
        ("tools/call", INVALID_REQUEST),
    ],
)
def test_malformed_requests_get_json_rpc_errors(
    guard: railguard.Guard, bad: Any, code: int
) -> None:
    checked = check_request(guard, bad)
    assert checked.verdict.denied and checked.forward is None
    assert checked.reply["error"]["code"] == code and "result" not in checked.reply


# -- results


def test_allowed_response_passes_unchanged(guard: railguard.Guard) -> None:
    checked = check_response(guard, RESPONSE, tool="get_weather")
    assert checked.allowed and checked.message == RESPONSE
    assert checked.content == RESPONSE["result"]["content"][0]["text"]


def test_structured_content_is_redacted_in_both_copies(guard: railguard.Guard) -> None:
    result = {
        "content": [{"type": "text", "text": '{"name": "Bob", "email": "bob@globex.com"}'}],
        "structuredContent": {"name": "Bob", "email": "bob@globex.com"},
    }
    checked = check_response(
        guard, {"jsonrpc": "2.0", "id": 5, "result": result}, tool="search_contacts"
    )
    assert checked.message["result"] == {
        "content": [{"type": "text", "text": '{"name": "Bob", "email": "<EMAIL>"}'}],
        "structuredContent": {"name": "Bob", "email": "<EMAIL>"},
    }
    bare = check_response(guard, result, tool="search_contacts")  # a bare CallToolResult
    assert bare.message["structuredContent"]["email"] == "<EMAIL>"


def test_denied_and_escalated_responses_are_withheld(guard: railguard.Guard) -> None:
    denied = check_response(guard, RESPONSE, tool="read_vault")
    assert denied.verdict.denied and denied.message["id"] == 2
    assert denied.message["result"]["isError"] is True
    assert "Partly cloudy" not in str(denied.message)
    escalated = check_response(guard, RESPONSE["result"], tool="fetch_url")
    assert escalated.verdict.escalated and escalated.message["isError"] is True


def test_tool_and_protocol_errors_are_checked(guard: railguard.Guard) -> None:
    tool_error = {
        "jsonrpc": "2.0",
        "id": 4,
        "result": {
            "content": [
                {"type": "text", "text": "Failed to fetch weather data: API rate limit exceeded"}
            ],
            "isError": True,
        },
    }
    assert check_response(guard, tool_error, tool="get_weather").message == tool_error
    rpc_error = {
        "jsonrpc": "2.0",
        "id": 3,
        "error": {"code": -32602, "message": "Unknown tool: ana@acme.com"},
    }
    checked = check_response(guard, rpc_error, tool="get_weather")
    assert checked.message["error"] == {"code": -32602, "message": "Unknown tool: <EMAIL>"}


def test_malformed_response_is_denied(guard: railguard.Guard) -> None:
    checked = check_response(
        guard, {"jsonrpc": "2.0", "id": 2, "result": {"content": "x"}}, tool="t"
    )
    assert checked.verdict.denied and checked.message["result"]["isError"] is True
