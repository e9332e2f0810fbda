"""The webhook announces new requests with `{"text": ...}` (what Slack and Teams accept),
retries with backoff after a failure, and never delays the verdict."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import railguard

from .conftest import AGENT_TOKEN, StartSidecar


class Hook:
    """A local webhook: the first POST is slow and fails, later ones succeed."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                hook.received.append((time.monotonic(), body))
                if len(hook.received) == 1:
                    time.sleep(1.0)
                    self.send_response(500)
                else:
                    self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/approvals"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.server.shutdown()


def test_new_requests_are_announced_with_retries(start_sidecar: StartSidecar, hook: Hook) -> None:
    server = start_sidecar(approval_webhook=hook.url, approval_page_url="https://rg.example")
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    event = railguard.ToolCall(tool="send_email", args={"to": "eve@example.org"}, session="s-1")
    start = time.monotonic()
    verdict = client.evaluate(event)
    answered = time.monotonic() - start
    assert verdict.decision == "escalate"
    assert answered < 0.5  # the slow, failing webhook did not hold the verdict
    deadline = time.monotonic() + 10
    while len(hook.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hook.received) == 2
    (first_at, first), (second_at, second) = hook.received
    assert first == second and set(first) == {"text"}
    text = first["text"]
    assert "send_email" in text and verdict.decision_id in text
    assert "mail to eve@example.org needs approval" in text
    assert "https://rg.example/ui/approvals" in text
    assert second_at - first_at >= 1.0 + 0.5  # the failure, then the backoff
    time.sleep(1.0)
    assert len(hook.received) == 2  # delivered: no more retries
