"""Redis stops mid-run: verdicts fail closed with a violation that says why, nothing raises,
and decisions are right again once Redis is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import railguard
from tests.redis_server import RedisServer

POLICY = """
policy guarded {
  rule rate:
    deny call send_email when session.count("send_email", within: "1m") >= 3
}

policy plain {
  default allow
  deny call drop_table
}
"""
OPEN = POLICY.replace("policy guarded {", "policy guarded {\n  on_error allow")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)  # its own server: this test kills it
    server.start()
    yield server
    server.stop()


def mail(n: int, session: str = "s1") -> dict[str, object]:
    return {"kind": "call", "tool": "send_email", "args": {"n": n}, "session": session}


def test_a_store_outage_fails_closed_and_recovers(redis: RedisServer) -> None:
    guard = railguard.loads(POLICY, sessions=redis.url + "?timeout=0.2")
    assert [guard.evaluate(mail(i)).decision for i in range(4)] == [
        "allow",
        "allow",
        "allow",
        "deny",
    ]

    redis.stop()
    down = guard.evaluate(mail(5, "s2"))
    assert down.denied
    rules = {v.rule: v for v in down.violations}
    assert rules["guarded.rate"].error is not None
    assert "Redis session store failed" in rules["guarded.rate"].message
    # an event that reads no session state but would add to it cannot be recorded either
    other = guard.evaluate({"kind": "call", "tool": "search", "args": {}, "session": "s2"})
    assert other.denied
    assert [v.rule for v in other.violations] == ["railguard.session"]
    assert "could not be recorded" in other.violations[0].message
    # events that add nothing to the session do not need the store
    assert guard.evaluate({"kind": "output", "content": "hi", "session": "s2"}).allowed

    redis.start()  # an empty Redis: the count starts over, and the limit holds again
    assert [guard.evaluate(mail(i, "s3")).decision for i in range(4)] == [
        "allow",
        "allow",
        "allow",
        "deny",
    ]


def test_on_error_allow_keeps_calls_flowing_with_a_warning(redis: RedisServer) -> None:
    guard = railguard.loads(OPEN, sessions=redis.url + "?timeout=0.2")
    redis.stop()
    verdict = guard.evaluate(mail(1))
    assert verdict.allowed
    assert {w.rule for w in verdict.warnings} == {"guarded.rate", "railguard.session"}
    assert all(w.error for w in verdict.warnings)


def test_a_store_that_never_answers_times_out(tmp_path: Path) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        guard = railguard.loads(POLICY, sessions=f"redis://127.0.0.1:{port}/0?timeout=0.1")
        verdict = guard.evaluate(mail(1))
    assert verdict.denied
    assert any(
        "Timeout" in (v.error or "") or "timed out" in (v.error or "") for v in verdict.violations
    )
