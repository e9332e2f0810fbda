"""`@railguard.guarded`: plain tool functions, sync and async, on the allowed, denied and
escalated paths, with rewritten arguments and results."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import railguard
from railguard.integrations import ToolGate


def test_allowed_call_runs_and_returns(guard: railguard.Guard) -> None:
    @railguard.guarded(guard)
    def get_weather(location: str, unit: str = "celsius") -> str:
        return f"22 degrees {unit} in {location}"

    assert get_weather("Boston, MA") == "22 degrees celsius in Boston, MA"
    assert get_weather.__name__ == "get_weather"


def test_denied_call_raises_and_does_not_run(guard: railguard.Guard) -> None:
    ran: list[str] = []

    @railguard.guarded(guard)
    def get_weather(location: str) -> str:
        ran.append(location)
        return "sunny"

    with pytest.raises(railguard.ToolDenied) as err:
        get_weather(location="Mars")
    assert ran == []
    assert err.value.verdict.denied and err.value.verdict.kind == "call"
    assert "no weather reports for Mars" in str(err.value)
    assert isinstance(err.value, railguard.GuardrailError)


def test_escalated_call_waits_for_approval(guard: railguard.Guard) -> None:
    sent: list[str] = []
    asked: list[railguard.Verdict] = []

    def send(to: str, body: str) -> str:
        sent.append(to)
        return "sent"

    def yes(verdict: railguard.Verdict) -> bool:
        asked.append(verdict)
        return True

    assert (
        railguard.guarded(guard, tool="send_email", approve=yes)(send)("eve@x.org", "hi") == "sent"
    )
    assert sent == ["eve@x.org"] and asked[0].escalated
    assert "mail to eve@x.org needs approval" in asked[0].explain()

    refused = railguard.guarded(guard, tool="send_email", approve=lambda v: False)(send)
    with pytest.raises(railguard.ApprovalRejected, match="did not approve"):
        refused("eve@x.org", "hi")
    unapproved = railguard.guarded(guard, tool="send_email")(send)  # fail closed
    with pytest.raises(railguard.ApprovalRejected, match="no approval callback"):
        unapproved("eve@x.org", "hi")
    truthy = railguard.guarded(guard, tool="send_email", approve=lambda v: "yes")(send)
    with pytest.raises(railguard.ApprovalRejected):  # only True approves
        truthy("eve@x.org", "hi")
    assert sent == ["eve@x.org"]
    assert railguard.guarded(guard, tool="send_email")(send)("ana@acme.com", "hi") == "sent"


def test_rewritten_arguments_reach_the_function(guard: railguard.Guard) -> None:
    @railguard.guarded(guard, check_result=False)
    def search_contacts(query: str, *, limit: int = 10) -> dict[str, Any]:
        return {"query": query, "limit": limit}

    assert search_contacts("bob@globex.com", limit=3) == {"query": "<EMAIL>", "limit": 3}


def test_results_are_redacted_or_withheld(guard: railguard.Guard) -> None:
    @railguard.guarded(guard)
    def search_contacts(query: str) -> list[dict[str, str]]:
        return [{"name": "Bob", "email": "bob@globex.com"}]

    assert search_contacts("Bob") == [{"name": "Bob", "email": "<EMAIL>"}]

    @railguard.guarded(guard)
    def read_vault() -> str:
        return "hunter2"

    with pytest.raises(railguard.ToolDenied) as err:
        read_vault()
    assert err.value.verdict.kind == "result"
    assert "hunter2" not in str(err.value)

    @railguard.guarded(guard, approve=lambda v: v.kind == "result")
    def fetch_url(url: str) -> str:
        return "<html>"

    assert fetch_url("https://example.org") == "<html>"
    assert railguard.guarded(guard, check_result=False)(read_vault.__wrapped__)() == "hunter2"


def test_bound_arguments_session_and_context() -> None:
    seen: list[Any] = []

    class Recorder:
        def evaluate(self, event: Any) -> railguard.Verdict:
            seen.append(event)
            return railguard.loads("policy p { }").evaluate(event)

    sessions = iter(["s-1", "s-2"])

    class Mailer:
        @railguard.guarded(Recorder(), session=lambda: next(sessions), context={"user": "ana"})
        def send(self, to: str, *cc: str, urgent: bool = False, **headers: str) -> str:
            return f"{to} {cc} {urgent} {headers}"

    mailer = Mailer()
    assert (
        mailer.send("a@acme.com", "b@acme.com", x_tag="1")
        == "a@acme.com ('b@acme.com',) False {'x_tag': '1'}"
    )
    call, result = seen
    assert (call.kind, call.tool, call.session, call.context) == (
        "call",
        "send",
        "s-1",
        {"user": "ana"},
    )
    assert call.args == {"to": "a@acme.com", "cc": ["b@acme.com"], "urgent": False, "x_tag": "1"}
    assert (result.kind, result.session) == ("result", "s-2")


def test_rewritten_arguments_keep_positional_and_keyword_shape(guard: railguard.Guard) -> None:
    @railguard.guarded(guard, tool="search_contacts", check_result=False)
    def search(q: str, /, *terms: str, mode: str = "any", **extra: str) -> Any:
        return q, terms, mode, extra

    got = search("x@y.io", "z@w.io", mode="all", note="ask a@b.io")
    assert got == ("<EMAIL>", ("<EMAIL>",), "all", {"note": "ask <EMAIL>"})


def test_async_functions_and_async_approvers(guard: railguard.Guard) -> None:
    async def approve(verdict: railguard.Verdict) -> bool:
        await asyncio.sleep(0)
        return verdict.tool == "send_email"

    @railguard.guarded(guard, approve=approve)
    async def send_email(to: str) -> str:
        return "sent"

    @railguard.guarded(guard)
    async def get_weather(location: str) -> str:
        return "sunny"

    assert asyncio.run(send_email("eve@x.org")) == "sent"
    with pytest.raises(railguard.ToolDenied):
        asyncio.run(get_weather("Mars"))


def test_async_evaluator_needs_an_async_function(guard: railguard.Guard) -> None:
    class AsyncGuard:  # what railguard.AsyncClient looks like
        async def evaluate(self, event: Any) -> railguard.Verdict:
            return guard.evaluate(event)

    @railguard.guarded(AsyncGuard())
    async def get_weather(location: str) -> str:
        return "sunny"

    assert asyncio.run(get_weather("Paris")) == "sunny"
    with pytest.raises(railguard.ToolDenied):
        asyncio.run(get_weather("Mars"))
    with pytest.raises(TypeError, match="async tool function"):
        railguard.guarded(AsyncGuard())(lambda: None)()


def test_sync_function_with_async_approver_fails_loudly(guard: railguard.Guard) -> None:
    async def approve(verdict: railguard.Verdict) -> bool:
        return True

    with pytest.raises(TypeError, match="async approve"):
        railguard.guarded(guard, tool="send_email", approve=approve)(lambda to: to)("eve@x.org")


def test_pydantic_results_keep_their_type(guard: railguard.Guard) -> None:
    import pydantic

    class Contact(pydantic.BaseModel):
        name: str
        email: str

    @railguard.guarded(guard)
    def search_contacts(query: str) -> Contact:
        return Contact(name="Bob", email="bob@globex.com")

    assert search_contacts("Bob") == Contact(name="Bob", email="<EMAIL>")


def test_tool_gate_directly(guard: railguard.Guard) -> None:
    gate = ToolGate(guard, "search_contacts", session="s-1")
    assert gate.before({"query": "a@b.io"}) == {"query": "<EMAIL>"}
    assert gate.after("mail c@d.io") == "mail <EMAIL>"


def test_works_with_a_client_shaped_evaluator(guard: railguard.Guard) -> None:
    class Down:  # a Client whose sidecar is unreachable denies (fail closed)
        def evaluate(self, event: Any) -> railguard.Verdict:
            from railguard.integrations._common import failed

            return failed(event.kind, event.tool, "connection refused")

    with pytest.raises(railguard.ToolDenied, match="connection refused"):
        railguard.guarded(Down())(lambda: "x")()


def test_import_railguard_does_not_load_integrations() -> None:
    import subprocess
    import sys

    code = "import sys, railguard; print('railguard.integrations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_langchain_wrapper_without_langchain_names_the_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['langchain_core'] = None; import railguard.integrations.langchain"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0 and "pip install langchain-core" in out.stderr
