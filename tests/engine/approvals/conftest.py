"""Fixtures: a policy that escalates, and real sidecars with an agent token, an approver
token and a decision log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine.server.sidecar_helpers import Sidecar

POLICY = """policy mail {
  default deny
  allow call send_email, search
  rule outside_mail:
    escalate call send_email
      unless args.to matches /@acme\\.com$/
      message "mail to {args.to} needs approval"
  label visited_web call search
  rule loop:
    deny call * when session.repeats(within: "60s") >= 5
      message "the same call ran 5 times in a minute"
}
"""
AGENT_TOKEN = "agent-token-1234"
APPROVER_TOKEN = "approver-token-5678"

StartSidecar = Callable[..., Sidecar]


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "mail.rail").write_text(POLICY)
    return folder


@pytest.fixture
def start_sidecar(policy_dir: Path, tmp_path: Path) -> Iterator[StartSidecar]:
    """Start a sidecar on the escalating policy, with both tokens and a decision log at
    `tmp_path / "decisions.jsonl"`; settings go through a config file."""
    started: list[Sidecar] = []

    def start(*args: str, **settings: object) -> Sidecar:
        (tmp_path / "approver.token").write_text(APPROVER_TOKEN + "\n")
        config = {
            "approver_token_file": str(tmp_path / "approver.token"),
            "audit": str(tmp_path / "decisions.jsonl"),
            "watch": False,
            **settings,
        }
        path = tmp_path / f"serve{len(started)}.json"
        path.write_text(json.dumps(config))
        server = Sidecar(
            [policy_dir],
            "--config",
            str(path),
            *args,
            token=AGENT_TOKEN,
            log=tmp_path / f"serve{len(started)}.log",
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
