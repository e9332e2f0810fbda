"""The LangChain wrapper, with real `langchain_core` tools, invoked as an agent does: with
a `ToolCall` dict (`{"name", "args", "id", "type": "tool_call"}`, as LangChain's tool docs
show) so the result is a `ToolMessage`, or with plain input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import railguard

langchain_core = pytest.importorskip("langchain_core")

from langchain_core.messages import ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from railguard.integrations.langchain import guard_tool  # noqa: E402


@tool
def get_weather(location: str) -> str:
    """Get the current weather in a given location."""
    return f"22 degrees in {location}"


@tool
def send_email(to: str, body: str) -> str:
    """Send an e-mail."""
    return f"sent {len(body)} characters"


@tool
def search_contacts(query: str) -> str:
    """Search the address book."""
    return f"found {query}: bob@globex.com"


def tool_call(name: str, args: dict[str, Any], call_id: str = "call_abc123") -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def test_wrapper_looks_like_the_tool(guard: railguard.Guard) -> None:
    wrapped = guard_tool(get_weather, guard)
    assert wrapped.name == "get_weather" and wrapped.description == get_weather.description
    assert (
        wrapped.tool_call_schema.model_json_schema()
        == get_weather.tool_call_schema.model_json_schema()
    )


def test_allowed(guard: railguard.Guard) -> None:
    wrapped = guard_tool(get_weather, guard, session="s-1")
    assert wrapped.invoke({"location": "Boston, MA"}) == "22 degrees in Boston, MA"
    message = wrapped.invoke(tool_call("get_weather", {"location": "Paris"}))
    assert isinstance(message, ToolMessage) and message.status == "success"
    assert message.content == "22 degrees in Paris"


def test_denied_becomes_an_error_tool_message(guard: railguard.Guard) -> None:
    message = guard_tool(get_weather, guard).invoke(tool_call("get_weather", {"location": "Mars"}))
    assert message.status == "error" and message.tool_call_id == "call_abc123"
    assert message.content == (
        "the call to `get_weather` was not run: the policy denied it: no weather reports for Mars"
    )


def test_denied_raises_when_errors_are_not_handled(guard: railguard.Guard) -> None:
    from langchain_core.tools import ToolException

    wrapped = guard_tool(get_weather, guard, handle_tool_error=False)
    with pytest.raises(railguard.ToolDenied) as err:
        wrapped.invoke({"location": "Mars"})
    assert isinstance(err.value, ToolException) and err.value.verdict.denied


def test_escalated(guard: railguard.Guard) -> None:
    args = {"to": "eve@example.org", "body": "hi"}
    refused = guard_tool(send_email, guard).invoke(tool_call("send_email", args))
    assert refused.status == "error" and "needs a human's approval" in refused.content
    approved = guard_tool(send_email, guard, approve=lambda v: True)
    assert approved.invoke(args) == "sent 2 characters"
    with pytest.raises(railguard.ApprovalRejected):
        guard_tool(send_email, guard, handle_tool_error=False).invoke(args)


def test_rewritten_arguments_and_result(guard: railguard.Guard) -> None:
    wrapped = guard_tool(search_contacts, guard)
    assert wrapped.invoke({"query": "ana@acme.com"}) == "found <EMAIL>: <EMAIL>"


def test_async(guard: railguard.Guard) -> None:
    wrapped = guard_tool(get_weather, guard)
    assert asyncio.run(wrapped.ainvoke({"location": "Oslo"})) == "22 degrees in Oslo"
    message = asyncio.run(wrapped.ainvoke(tool_call("get_weather", {"location": "Mars"})))
    assert message.status == "error"
