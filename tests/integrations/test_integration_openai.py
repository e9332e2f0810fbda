"""The OpenAI Chat Completions adapter, on payloads shaped as the API reference documents.

Source of the shapes: the Chat Completions API reference and the function-calling guide
(platform.openai.com/docs/api-reference/chat/object, /docs/guides/function-calling): an
assistant message with `content: null` and `tool_calls`, each
`{"id": "call_abc123", "type": "function", "function": {"name", "arguments"}}` whose
`arguments` is a JSON *string*, answered by `{"role": "tool", "tool_call_id", "content"}`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import railguard
from railguard.integrations.openai import (
    check_tool_call,
    check_tool_calls,
    check_tool_result,
    tool_message,
)

# The assistant message of the API reference's function-calling example response
# (`choices[0].message`), with a second, parallel call added as the guide shows.
ASSISTANT: dict[str, Any] = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_abc123",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location": "Boston, MA"}'},
        },
        {
            "id": "call_def456",
            "type": "function",
            "function": {
                "name": "send_email",
                "arguments": '{"to": "bob@globex.com", "subject": "Weather", "body": "Sunny"}',
            },
        },
    ],
    "refusal": None,
}


def call(name: str, arguments: str, call_id: str = "call_abc123") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def test_allowed_call_runs_with_its_arguments(guard: railguard.Guard) -> None:
    checked = check_tool_calls(guard, ASSISTANT, session="s-1")
    first = checked[0]
    assert first.allowed and first.verdict.decision == "allow"
    assert (first.id, first.tool, first.args) == (
        "call_abc123",
        "get_weather",
        {"location": "Boston, MA"},
    )
    assert first.forward == ASSISTANT["tool_calls"][0]
    assert first.reply is None


def test_escalated_call_is_answered_with_a_tool_message(guard: railguard.Guard) -> None:
    second = check_tool_calls(guard, ASSISTANT)[1]
    assert second.verdict.escalated and not second.allowed
    assert second.reply == {
        "role": "tool",
        "tool_call_id": "call_def456",
        "content": "the call to `send_email` was not run: it needs a human's approval: "
        "mail to bob@globex.com needs approval",
    }
    assert second.forward == ASSISTANT["tool_calls"][1]  # to run once a human approved


def test_denied_call_is_answered_with_a_tool_message(guard: railguard.Guard) -> None:
    checked = check_tool_call(guard, call("get_weather", '{"location": "Olympus Mons, Mars"}'))
    assert checked.verdict.denied
    assert checked.forward is None
    assert checked.reply["role"] == "tool" and checked.reply["tool_call_id"] == "call_abc123"
    assert "policy denied it: no weather reports for Olympus Mons, Mars" in checked.reply["content"]
    assert checked.verdict.violations[0].rule == "agent.no_mars"


def test_rewritten_arguments_are_re_encoded(guard: railguard.Guard) -> None:
    checked = check_tool_call(guard, call("search_contacts", '{"query": "bob@globex.com"}'))
    assert checked.allowed and checked.args == {"query": "<EMAIL>"}
    assert json.loads(checked.forward["function"]["arguments"]) == {"query": "<EMAIL>"}
    assert checked.forward["id"] == "call_abc123"


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ('{"location": "Boston, MA"', "not JSON"),
        ('["Boston, MA"]', "must be a JSON object"),
        ('{"location": "Boston", "location": "Mars"}', "the key `location` is repeated"),
        ('{"location": NaN}', "`NaN` is not JSON"),
        (42, "must be a JSON string"),
    ],
)
def test_malformed_arguments_are_denied_not_raised(
    guard: railguard.Guard, arguments: Any, why: str
) -> None:
    checked = check_tool_call(guard, call("get_weather", arguments))
    assert checked.verdict.denied and checked.args is None and checked.forward is None
    assert why in checked.verdict.violations[0].message
    assert (
        "was not run: it could not be checked: the arguments of `get_weather`"
        in checked.reply["content"]
    )
    assert checked.verdict.violations[0].rule == "railguard.adapter"
    assert checked.reply["tool_call_id"] == "call_abc123"


@pytest.mark.parametrize(
    "bad",
    [
        "not a call",
        {"id": "call_1", "type": "custom", "custom": {"name": "get_weather", "input": "x"}},
        {"id": "call_1", "type": "function", "function": {"arguments": "{}"}},
    ],
)
def test_unreadable_calls_are_denied(guard: railguard.Guard, bad: Any) -> None:
    assert check_tool_call(guard, bad).verdict.denied


def test_unknown_tool_is_denied_by_the_policy(guard: railguard.Guard) -> None:
    assert check_tool_call(guard, call("drop_table", "{}")).verdict.denied


def test_empty_arguments_string_is_an_empty_object(guard: railguard.Guard) -> None:
    checked = check_tool_call(guard, call("fetch_url", ""))
    assert checked.allowed and checked.args == {}


def test_messages_without_tool_calls_and_sdk_objects(guard: railguard.Guard) -> None:
    assert check_tool_calls(guard, {"role": "assistant", "content": "Hello!"}) == []

    class SdkMessage:  # what openai's ChatCompletionMessage offers
        def model_dump(self, **kwargs: Any) -> dict[str, Any]:
            return ASSISTANT

    decisions = [c.verdict.decision for c in check_tool_calls(guard, SdkMessage())]
    assert decisions == ["allow", "escalate"]
    assert check_tool_calls(guard, {"tool_calls": "nope"})[0].verdict.denied


def test_session_and_context_reach_the_event() -> None:
    seen: list[Any] = []

    class Recorder:
        def evaluate(self, event: Any) -> railguard.Verdict:
            seen.append(event)
            return railguard.loads("policy p { }").evaluate(event)

    check_tool_calls(Recorder(), ASSISTANT, session=lambda: "s-9", context={"user": "ana"})
    assert [(e.session, e.context) for e in seen] == [("s-9", {"user": "ana"})] * 2


# -- results


def test_allowed_result_passes_unchanged(guard: railguard.Guard) -> None:
    message = tool_message("call_abc123", '{"temperature": 22, "unit": "celsius"}')
    checked = check_tool_result(guard, message, tool="get_weather")
    assert checked.allowed and checked.message == message


def test_redacted_result_is_written_back(guard: railguard.Guard) -> None:
    message = tool_message("call_abc123", "Bob's address is bob@globex.com")
    checked = check_tool_result(guard, message, tool="search_contacts")
    assert checked.allowed and checked.verdict.rewritten
    assert checked.message == tool_message("call_abc123", "Bob's address is <EMAIL>")


def test_result_as_content_parts(guard: railguard.Guard) -> None:
    parts = [{"type": "text", "text": "write to bob@globex.com"}]
    checked = check_tool_result(guard, tool_message("call_1", parts), tool="search_contacts")
    assert checked.message["content"] == [{"type": "text", "text": "write to <EMAIL>"}]


def test_denied_and_escalated_results_are_withheld(guard: railguard.Guard) -> None:
    denied = check_tool_result(
        guard, tool_message("call_1", "root password: hunter2"), tool="read_vault"
    )
    assert denied.verdict.denied and "hunter2" not in denied.message["content"]
    assert denied.message["content"].startswith("the result of `read_vault` was withheld")
    escalated = check_tool_result(guard, tool_message("call_2", "<html>"), tool="fetch_url")
    assert escalated.verdict.escalated and escalated.message["tool_call_id"] == "call_2"
    assert "needs a human's approval" in escalated.message["content"]
    assert escalated.forward == tool_message("call_2", "<html>")  # once a human approved
    assert denied.forward is None and denied.content is None


def test_malformed_result_is_denied(guard: railguard.Guard) -> None:
    checked = check_tool_result(guard, {"role": "tool"}, tool="get_weather")
    assert checked.verdict.denied and checked.message["role"] == "tool"
