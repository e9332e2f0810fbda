"""The Anthropic Messages API adapter, on payloads copied from the tool-use documentation.

Source of the shapes: Anthropic's "Tool use with Claude" guide (docs.anthropic.com, "How to
implement tool use"): the response with `stop_reason: "tool_use"` whose content holds a text
block and `{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name":
"get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}`; the answer
`{"type": "tool_result", "tool_use_id": ..., "content": "15 degrees"}`, content as a list of
text blocks, and the error form with `"is_error": true`.
"""

from __future__ import annotations

from typing import Any

import pytest

import railguard
from railguard.integrations.anthropic import (
    check_tool_result,
    check_tool_use,
    check_tool_uses,
    tool_result,
)

# The documented response, verbatim but for the usage numbers.
RESPONSE: dict[str, Any] = {
    "id": "msg_01Aq9w938a90dw8q",
    "model": "claude-3-5-sonnet-20240620",
    "stop_reason": "tool_use",
    "role": "assistant",
    "content": [
        {
            "type": "text",
            "text": "<thinking>I need to use the get_weather, and the user wants SF, which is likely San Francisco, CA.</thinking>",
        },
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "San Francisco, CA", "unit": "celsius"},
        },
    ],
}


def use(name: str, args: Any, use_id: str = "toolu_01A09q90qw90lq917835lq9") -> dict[str, Any]:
    return {"type": "tool_use", "id": use_id, "name": name, "input": args}


def test_allowed_tool_use(guard: railguard.Guard) -> None:
    (checked,) = check_tool_uses(guard, RESPONSE, session="s-1")  # the text block is skipped
    assert checked.allowed and checked.reply is None
    assert checked.id == "toolu_01A09q90qw90lq917835lq9"
    assert checked.args == {"location": "San Francisco, CA", "unit": "celsius"}
    assert checked.forward == RESPONSE["content"][1]


def test_denied_tool_use_becomes_an_error_tool_result(guard: railguard.Guard) -> None:
    checked = check_tool_use(guard, use("get_weather", {"location": "Mars"}))
    assert checked.verdict.denied and checked.forward is None
    assert checked.reply == {
        "type": "tool_result",
        "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
        "content": "the call to `get_weather` was not run: the policy denied it: "
        "no weather reports for Mars",
        "is_error": True,
    }


def test_escalated_tool_use(guard: railguard.Guard) -> None:
    block = use("send_email", {"to": "eve@example.org", "body": "hi"})
    checked = check_tool_use(guard, block)
    assert checked.verdict.escalated and checked.reply["is_error"] is True
    assert "mail to eve@example.org needs approval" in checked.reply["content"]
    assert checked.forward == block
    ok = check_tool_use(guard, use("send_email", {"to": "ana@acme.com", "body": "hi"}))
    assert ok.allowed


def test_rewritten_input(guard: railguard.Guard) -> None:
    checked = check_tool_use(guard, use("search_contacts", {"query": "bob@globex.com"}))
    assert checked.args == {"query": "<EMAIL>"}
    assert checked.forward["input"] == {"query": "<EMAIL>"}


@pytest.mark.parametrize(
    "bad",
    [
        use("get_weather", "San Francisco"),
        use("get_weather", ["San Francisco"]),
        {"type": "tool_use", "id": "toolu_1", "input": {}},
        {"type": "text", "text": "hi"},
        None,
    ],
)
def test_malformed_tool_use_is_denied(guard: railguard.Guard, bad: Any) -> None:
    checked = check_tool_use(guard, bad)
    assert checked.verdict.denied and checked.forward is None
    assert checked.reply["type"] == "tool_result" and checked.reply["is_error"] is True


def test_message_shapes(guard: railguard.Guard) -> None:
    assert check_tool_uses(guard, {"role": "assistant", "content": "Hello"}) == []
    blocks = [
        use("get_weather", {"location": "Paris"}, "toolu_a"),
        use("read_vault", {}, "toolu_b"),
    ]
    assert [c.id for c in check_tool_uses(guard, blocks)] == ["toolu_a", "toolu_b"]
    assert check_tool_uses(guard, {"content": 3})[0].verdict.denied


# -- results


def test_allowed_result(guard: railguard.Guard) -> None:
    block = tool_result("toolu_01A09q90qw90lq917835lq9", "15 degrees")
    checked = check_tool_result(guard, block, tool="get_weather")
    assert checked.allowed and checked.message == block
    assert block == {
        "type": "tool_result",
        "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
        "content": "15 degrees",
    }


def test_redacted_result_as_text_blocks(guard: railguard.Guard) -> None:
    block = tool_result("toolu_1", [{"type": "text", "text": "Bob: bob@globex.com"}])
    checked = check_tool_result(guard, block, tool="search_contacts")
    assert checked.message["content"] == [{"type": "text", "text": "Bob: <EMAIL>"}]
    several = [{"type": "text", "text": "a@b.io"}, {"type": "text", "text": "c@d.io"}]
    checked = check_tool_result(guard, tool_result("toolu_2", several), tool="search_contacts")
    assert [p["text"] for p in checked.message["content"]] == ["<EMAIL>", "<EMAIL>"]


def test_denied_and_escalated_results(guard: railguard.Guard) -> None:
    denied = check_tool_result(guard, tool_result("toolu_1", "the key is 42"), tool="read_vault")
    assert denied.verdict.denied and denied.message["is_error"] is True
    assert "42" not in denied.message["content"]
    escalated = check_tool_result(guard, tool_result("toolu_2", "<html>"), tool="fetch_url")
    assert escalated.verdict.escalated and escalated.message["tool_use_id"] == "toolu_2"


def test_documented_error_result_is_checked_too(guard: railguard.Guard) -> None:
    block = {
        "type": "tool_result",
        "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
        "content": "ConnectionError: the weather service API is not available (HTTP 500)",
        "is_error": True,
    }
    assert check_tool_result(guard, block, tool="get_weather").message == block


def test_malformed_result_is_denied(guard: railguard.Guard) -> None:
    checked = check_tool_result(guard, {"type": "text", "text": "x"}, tool="get_weather")
    assert checked.verdict.denied and checked.message["is_error"] is True
