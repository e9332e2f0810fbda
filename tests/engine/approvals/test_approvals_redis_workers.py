"""Two workers sharing Redis: a decision made through either worker reaches an agent waiting
on the other (the store poll), and the approval is still used only once."""

from __future__ import annotations

import time

import railguard
from railguard.engine.approvals_client import ApproverClient

from .conftest import AGENT_TOKEN, APPROVER_TOKEN, StartSidecar
from .test_approvals_sidecar import mail, wait_in_thread


def test_workers_share_approvals_on_redis(start_sidecar: StartSidecar, redis_url: str) -> None:
    server = start_sidecar("--workers", "2", sessions=redis_url)
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    approver = ApproverClient(server.url, APPROVER_TOKEN)
    escalated = client.evaluate(mail())
    assert escalated.decision == "escalate"
    waiters = [wait_in_thread(client, escalated.decision_id, timeout=20) for _ in range(4)]
    time.sleep(0.5)
    decided_at = time.monotonic()
    approver.approve(escalated.decision_id, "ana", "shared")
    decisions = []
    for w in waiters:
        w["thread"].join(10)
        decisions.append(w["verdict"].decision)
        assert w["at"] - decided_at < 2.0  # a poll interval, not the long-poll timeout
    assert sorted(decisions) == ["allow", "deny", "deny", "deny"]
    assert approver.show(escalated.decision_id)["status"] == "used"
