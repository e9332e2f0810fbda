"""In-process: every `evaluate()` records a `railguard.evaluate` span (or an event on the
current span) with the decision, rules, digest, version, time and GenAI attributes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import railguard
from railguard.engine import otel

POLICY = """policy shop {
  version "7"
  default deny
  allow call search, refund
  rule big_refund:
    escalate call refund when args.amount > 100 message "refund of {args.amount} needs approval"
  rule no_secrets:
    deny output when content matches /sk-[a-z0-9]+/ message "a key in the answer"
}
"""


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(POLICY)


def test_a_call_records_a_span_with_its_attributes(
    guard: railguard.Guard, exporter: InMemorySpanExporter
) -> None:
    verdict = guard.evaluate(
        railguard.ToolCall(
            tool="refund", args={"amount": 500}, session="s-1", context={"model": "gpt-4o"}
        )
    )
    (span,) = exporter.get_finished_spans()
    assert span.name == "railguard.evaluate"
    attrs = dict(span.attributes or {})
    assert attrs["railguard.decision"] == "escalate" == verdict.decision
    assert attrs["railguard.rule"] == ("shop.big_refund",)
    assert attrs["railguard.policy"] == ("shop",)
    assert attrs["railguard.policy.digest"] == guard.digest
    assert attrs["railguard.policy.version"] == "shop=7"
    assert attrs["railguard.decision_id"] == verdict.decision_id
    assert attrs["railguard.event.kind"] == "call"
    assert attrs["railguard.evaluate.seconds"] == pytest.approx(verdict.elapsed_us / 1e6)
    assert attrs["gen_ai.operation.name"] == "execute_tool"
    assert attrs["gen_ai.tool.name"] == "refund"
    assert attrs["gen_ai.request.model"] == "gpt-4o"
    assert attrs["gen_ai.conversation.id"] == "s-1"
    assert span.end_time is not None and span.start_time is not None
    assert span.end_time - span.start_time == pytest.approx(verdict.elapsed_us * 1000, abs=1000)


def test_the_span_joins_the_current_trace(
    guard: railguard.Guard, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    tracer = provider.get_tracer("agent")
    with tracer.start_as_current_span("agent.step") as parent:
        guard.evaluate(railguard.ModelOutput(content="fine", context={"model": "gpt-4o"}))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    child = spans["railguard.evaluate"]
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id
    assert child.context.trace_id == parent.get_span_context().trace_id
    attrs = dict(child.attributes or {})
    assert attrs["railguard.decision"] == "allow"
    assert "railguard.rule" not in attrs
    assert attrs["gen_ai.operation.name"] == "chat"
    assert "gen_ai.tool.name" not in attrs


def test_a_denied_call_with_no_allow(
    guard: railguard.Guard, exporter: InMemorySpanExporter
) -> None:
    guard.evaluate(railguard.ToolCall(tool="drop_db", args={}))
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes or {})["railguard.rule"] == ("shop.default",)


def test_event_mode_adds_an_event_to_the_current_span(
    guard: railguard.Guard, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    otel.configure("event", tracer_provider=provider)
    with provider.get_tracer("agent").start_as_current_span("agent.step"):
        guard.evaluate(railguard.ModelOutput(content="my key is sk-abc123"))
    (span,) = exporter.get_finished_spans()
    assert span.name == "agent.step"
    (event,) = span.events
    assert event.name == "railguard.evaluate"
    assert dict(event.attributes or {})["railguard.decision"] == "deny"


def test_a_shadow_verdict_rides_on_the_active_span(
    guard: railguard.Guard, exporter: InMemorySpanExporter
) -> None:
    candidate = railguard.load(POLICY.replace("> 100", "> 1000"))
    twin = guard.with_shadow(candidate)
    twin.evaluate(railguard.ToolCall(tool="refund", args={"amount": 500}))
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert attrs["railguard.shadow.decision"] == "allow"
    assert attrs["railguard.shadow.outcome"] == "disagree"


def test_refresh_finds_a_provider_the_application_set(
    guard: railguard.Guard, provider: TracerProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    otel.reset()
    assert otel.STATE.recorder is None  # the API's proxy provider: nothing recorded
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    try:
        otel.refresh()
        assert otel.STATE.recorder is not None
        monkeypatch.setenv(otel.ENV_MODE, "off")
        otel.refresh()
        assert otel.STATE.recorder is None
    finally:
        monkeypatch.undo()
        otel.reset()


def test_without_a_tracer_nothing_is_imported_or_recorded() -> None:
    code = (
        "import sys, railguard\n"
        "g = railguard.load('policy p { deny call x }')\n"
        "g.evaluate(railguard.ToolCall(tool='x', args={}))\n"
        "from railguard.engine import otel\n"
        "print(otel.STATE.recorder is None, 'opentelemetry.trace' in sys.modules)\n"
        "import opentelemetry.trace\n"
        "g = railguard.load('policy p { deny call x }')\n"
        "print(otel.STATE.recorder is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "True"]


def test_the_client_injects_the_callers_traceparent(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    import httpx

    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent"))
        verdict = railguard.load("policy p { }").evaluate(railguard.ModelOutput(content="x"))
        return httpx.Response(200, json=verdict.to_dict())

    client = railguard.Client("http://sidecar", transport=httpx.MockTransport(answer))
    with provider.get_tracer("agent").start_as_current_span("agent.step") as parent:
        client.evaluate(railguard.ModelOutput(content="x"))
    ctx = parent.get_span_context()
    (header,) = seen
    assert header is not None and header.startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
