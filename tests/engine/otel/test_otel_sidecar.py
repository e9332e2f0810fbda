"""Through a real sidecar: the span of `POST /v1/evaluate` joins the trace of the request's
`traceparent` header, and `railguard.Client` sends the caller's. The sidecar writes its
spans to a file (`RAILGUARD_OTEL_EXPORTER=file:PATH`, the SDK's console exporter, one JSON
span a line), which the test reads back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

import railguard
from railguard.engine import otel
from tests.engine.server.sidecar_helpers import Sidecar

POLICY = """policy shop {
  version "3"
  default deny
  allow call search, refund
  rule big_refund:
    escalate call refund when args.amount > 100 message "refund of {args.amount} needs approval"
}
"""
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sidecar, Path]]:
    folder = tmp_path_factory.mktemp("otel")
    (folder / "shop.rail").write_text(POLICY)
    spans = folder / "spans.jsonl"
    server = Sidecar(
        [folder / "shop.rail"],
        env={otel.ENV_EXPORTER: f"file:{spans}"},
        log=folder / "sidecar.log",
    )
    try:
        yield server, spans
    finally:
        server.stop()


def _spans(path: Path, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} spans in {path}")


def test_the_span_joins_the_trace_of_the_traceparent_header(
    sidecar: tuple[Sidecar, Path],
) -> None:
    server, spans = sidecar
    before = len(spans.read_text().splitlines()) if spans.exists() else 0
    event = {
        "kind": "call",
        "tool": "refund",
        "args": {"amount": 500},
        "session": "s-9",
        "context": {"model": "gpt-4.1-2025-04-14"},
    }
    status, body = server.request(
        "POST",
        "/v1/evaluate",
        json.dumps(event).encode(),
        headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"},
    )
    assert status == 200 and body["decision"] == "escalate"
    span = _spans(spans, before + 1)[before]
    assert span["name"] == "railguard.evaluate"
    assert span["context"]["trace_id"] == "0x" + TRACE_ID
    assert span["parent_id"] == "0x" + PARENT_ID
    attrs = span["attributes"]
    assert attrs["railguard.decision"] == "escalate"
    assert attrs["railguard.rule"] == ["shop.big_refund"]
    assert attrs["railguard.policy.digest"] == body["policy_digest"]
    assert attrs["railguard.policy.version"] == "shop=3"
    assert attrs["gen_ai.operation.name"] == "execute_tool"
    assert attrs["gen_ai.tool.name"] == "refund"
    assert attrs["gen_ai.request.model"] == "gpt-4.1-2025-04-14"


def test_the_client_carries_the_agents_trace_to_the_sidecar(
    sidecar: tuple[Sidecar, Path], provider: TracerProvider
) -> None:
    server, spans = sidecar
    before = len(spans.read_text().splitlines()) if spans.exists() else 0
    otel.configure("span", tracer_provider=provider)
    try:
        tracer = provider.get_tracer("agent")
        with railguard.Client(server.url) as client, tracer.start_as_current_span("step") as step:
            verdicts = client.evaluate_batch(
                [
                    railguard.ToolCall(tool="search", args={}),
                    railguard.ToolCall(tool="drop_db", args={}),
                ]
            )
    finally:
        otel.reset()
    assert [v.decision for v in verdicts] == ["allow", "deny"]
    ctx = step.get_span_context()
    got = _spans(spans, before + 2)[before:]
    assert [s["attributes"]["railguard.decision"] for s in got] == ["allow", "deny"]
    for span in got:
        assert span["context"]["trace_id"] == f"0x{ctx.trace_id:032x}"
        assert span["parent_id"] == f"0x{ctx.span_id:016x}"


def test_without_a_header_the_span_starts_a_trace(sidecar: tuple[Sidecar, Path]) -> None:
    server, spans = sidecar
    before = len(spans.read_text().splitlines()) if spans.exists() else 0
    status, _ = server.post("/v1/evaluate", {"kind": "output", "content": "hi"})
    assert status == 200
    span = _spans(spans, before + 1)[before]
    assert span["parent_id"] is None
    assert span["attributes"]["gen_ai.operation.name"] == "chat"
