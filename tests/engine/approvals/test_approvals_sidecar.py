"""Acceptance, against a real sidecar: an approval for the exact event turns the waiting
client's answer into allow; it is refused for other arguments and for a second use; expiry
gives deny; the decision log holds the whole story and `railguard audit verify` passes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.engine.approvals import ApprovalError
from railguard.engine.approvals_client import ApproverClient
from railguard.engine.auditread import records

from .conftest import AGENT_TOKEN, APPROVER_TOKEN, StartSidecar

SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def mail(to: str = "eve@example.org", session: str = "s-1") -> railguard.ToolCall:
    return railguard.ToolCall(
        tool="send_email", args={"to": to, "body": f"the key is {SECRET}"}, session=session
    )


def wait_in_thread(client: railguard.Client, decision_id: str, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        out["verdict"] = client.wait_for_approval(decision_id, **kw)
        out["at"] = time.monotonic()
        out["waited"] = out["at"] - start

    out["thread"] = threading.Thread(target=run)
    out["thread"].start()
    return out


def test_the_whole_story(start_sidecar: StartSidecar, tmp_path: Path) -> None:
    server = start_sidecar()
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    approver = ApproverClient(server.url, APPROVER_TOKEN)

    # 1. escalate: a request with the secret masked
    escalated = client.evaluate(mail())
    assert escalated.decision == "escalate"
    pending = approver.list()
    assert [r["id"] for r in pending] == [escalated.decision_id]
    request = pending[0]
    assert request["rule"] == "mail.outside_mail"
    assert request["message"] == "mail to eve@example.org needs approval"
    assert request["event"]["args"] == {
        "to": "eve@example.org",
        "body": "the key is <GITHUB_TOKEN>",
    }
    assert request["expires_at"] > request["requested_at"]
    assert SECRET not in str(approver.show(escalated.decision_id))

    # 2. the agent waits (long poll); the approval answers it at once, not at a poll tick
    waiting = wait_in_thread(client, escalated.decision_id, timeout=20, event=mail())
    time.sleep(1.0)
    assert waiting["thread"].is_alive()
    approved_at = time.monotonic()
    assert approver.approve(escalated.decision_id, "ana", "known vendor")["status"] == "approved"
    waiting["thread"].join(10)
    verdict = waiting["verdict"]
    assert verdict.decision == "allow", verdict.explain()
    assert waiting["at"] - approved_at < 0.9  # woken by the decision, not by a timeout
    assert "approved by ana: known vendor" in verdict.explain()

    # 3. used once: a second use is refused, and re-submitting the event escalates again
    again = client.wait_for_approval(escalated.decision_id, timeout=1)
    assert again.decision == "deny" and "already used" in again.explain()
    assert client.evaluate(mail()).decision == "escalate"

    # 4. bound to the exact event: other arguments (or another session) are refused
    second = client.evaluate(mail(session="s-2"))
    approver.approve(second.decision_id, "ana", "")
    other = client.wait_for_approval(
        second.decision_id, timeout=5, event=mail("mallory@evil.test", "s-2")
    )
    assert other.decision == "deny" and "bound to another event" in other.explain()
    assert client.evaluate(mail(session="s-3")).decision == "escalate"  # another session
    assert client.evaluate(mail("mallory@evil.test", "s-2")).decision == "escalate"
    # ... while the identical event, re-submitted later, is allowed once
    resubmitted = client.evaluate(mail(session="s-2"))
    assert resubmitted.decision == "allow", resubmitted.explain()
    assert client.evaluate(mail(session="s-2")).decision == "escalate"

    # 5. a denial denies
    third = client.evaluate(mail(session="s-4"))
    approver.deny(third.decision_id, "bo", "not today")
    denied = client.wait_for_approval(third.decision_id, timeout=5)
    assert denied.decision == "deny" and "denied by bo: not today" in denied.explain()
    with pytest.raises(ApprovalError) as exc:
        approver.approve(third.decision_id, "ana")
    assert exc.value.status == 409

    # 6. tokens: agents cannot decide, approvers cannot evaluate
    status, _ = server.request(
        "GET", "/v1/approvals", headers={"authorization": f"Bearer {AGENT_TOKEN}"}
    )
    assert status == 401
    status, _ = server.request(
        "POST",
        "/v1/evaluate",
        b'{"kind": "input", "content": "hi"}',
        headers={"authorization": f"Bearer {APPROVER_TOKEN}"},
    )
    assert status == 401
    server.stop()

    # 7. the story, in a log that verifies
    log = tmp_path / "decisions.jsonl"
    story = [
        (r["action"], r["approval"], r.get("by"))
        for _, _, r in records([log])
        if r.get("kind") == "approval"
    ]
    first = escalated.decision_id
    assert story[:5] == [
        ("requested", first, None),
        ("approved", first, "ana"),
        ("used", first, None),
        ("use_refused", first, None),
        ("requested", story[4][1], None),
    ]
    actions = [a for a, _, _ in story]
    assert actions.count("use_refused") == 2 and actions.count("denied") == 1
    assert all("time" in r for _, _, r in records([log]))
    assert SECRET not in log.read_text()
    verify = subprocess.run(
        [sys.executable, "-m", "railguard", "audit", "verify", str(log)],
        capture_output=True,
        text=True,
    )
    print(verify.stdout)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_expiry_gives_deny_and_is_logged(start_sidecar: StartSidecar, tmp_path: Path) -> None:
    server = start_sidecar(approval_ttl=1.0)
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    approver = ApproverClient(server.url, APPROVER_TOKEN)
    escalated = client.evaluate(mail())
    start = time.monotonic()
    verdict = client.wait_for_approval(escalated.decision_id, timeout=10)
    assert verdict.decision == "deny" and "expired" in verdict.explain()
    assert time.monotonic() - start < 3
    with pytest.raises(ApprovalError) as exc:
        approver.approve(escalated.decision_id, "ana")
    assert exc.value.code == "approval_expired"
    # an approval nobody uses expires too, on its own (the sweeper logs it)
    unused = client.evaluate(mail(session="s-9"))
    approver.approve(unused.decision_id, "ana")
    time.sleep(2.5)
    assert approver.show(unused.decision_id)["status"] == "expired"
    assert client.evaluate(mail(session="s-9")).decision == "escalate"
    server.stop()
    log = tmp_path / "decisions.jsonl"
    expired = [r["approval"] for _, _, r in records([log]) if r.get("action") == "expired"]
    assert sorted(expired) == sorted([escalated.decision_id, unused.decision_id])
    verify = subprocess.run(
        [sys.executable, "-m", "railguard", "audit", "verify", str(log)], capture_output=True
    )
    assert verify.returncode == 0


def test_the_cli(start_sidecar: StartSidecar, tmp_path: Path) -> None:
    server = start_sidecar()
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    escalated = client.evaluate(mail())
    token = tmp_path / "approver.token"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "railguard",
                "approvals",
                *args,
                "--url",
                server.url,
                "--token-file",
                str(token),
            ],
            capture_output=True,
            text=True,
        )

    listed = cli("list")
    assert listed.returncode == 0 and escalated.decision_id in listed.stdout
    shown = cli("show", escalated.decision_id)
    assert "the key is <GITHUB_TOKEN>" in shown.stdout and SECRET not in shown.stdout
    done = cli("approve", escalated.decision_id, "--by", "cli-user", "-m", "fine")
    assert done.returncode == 0 and "approved by cli-user" in done.stdout
    again = cli("deny", escalated.decision_id, "--by", "cli-user")
    assert again.returncode == 1 and "approval_approved" in again.stderr
    assert client.wait_for_approval(escalated.decision_id, timeout=5).decision == "allow"
    assert cli("list", "--status", "used").stdout.count(escalated.decision_id) == 1


def test_tokens_must_differ(policy_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "same.token").write_text(AGENT_TOKEN)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "railguard",
            "serve",
            str(policy_dir),
            "--port",
            "1",
            "--approver-token-file",
            str(tmp_path / "same.token"),
        ],
        capture_output=True,
        text=True,
        env={"RAILGUARD_TOKEN": AGENT_TOKEN, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert run.returncode != 0
    assert "must differ" in run.stderr + run.stdout
