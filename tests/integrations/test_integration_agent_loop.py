"""examples/agent_loop.py replays its recorded conversation through the three adapters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "agent_loop.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def rows(stdout: str) -> list[list[str]]:
    return [line.split(None, 3)[:3] for line in stdout.splitlines() if line.startswith("  ")]


def test_replay_prints_each_verdict() -> None:
    out = run()
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")][:3] == [
        "openai",
        "anthropic",
        "mcp",
    ]
    assert lines[-1] == "22 checks: 12 allow, 2 redacted, 3 escalate, 5 deny"
    text = out.stdout
    assert "call_ghi789                    send_email       escalate -> approved" in text
    assert "helpdesk.no_credential_files: deploy/.env holds credentials" in text
    assert "railguard.adapter: the arguments of `read_file` are not valid: not JSON" in text
    assert "toolu_01C3                     send_email       escalate -> refused" in text
    assert "helpdesk.review_web_pages: a web page needs review" in text
    assert "masked content.structuredContent.email" in text
    assert "railguard.adapter: `params.arguments` must be an object" in text
    assert "no rule in policy `helpdesk` allows tool `delete_repo`" in text
    assert "bob@globex.com needs approval" in text


def test_verbose_shows_the_provider_shapes_the_model_gets() -> None:
    out = run("-v")
    assert out.returncode == 0, out.stderr
    back = [
        json.loads(line.split("-> model: ", 1)[1])
        for line in out.stdout.splitlines()
        if "-> model: " in line
    ]
    assert {
        "role": "tool",
        "tool_call_id": "call_def456",
        "content": "Bob Stone <<EMAIL>>, account manager at Globex",
    } in back
    refusals = [b for b in back if b.get("is_error")]
    assert {b["tool_use_id"] for b in refusals} == {"toolu_01B2", "toolu_01C3", "toolu_01D4"}
    assert all("bob@globex.com, " not in json.dumps(b) for b in back)  # never unmasked
    errors = [b for b in back if "error" in b]
    assert errors == [
        {
            "jsonrpc": "2.0",
            "id": 5,
            "error": {
                "code": -32602,
                "message": "Invalid params: `params.arguments` must be an object",
            },
        }
    ]
    tool_errors = [b for b in back if b.get("result", {}).get("isError")]
    assert [b["id"] for b in tool_errors] == [6]


def test_unreadable_policy_exits_2(tmp_path: Path) -> None:
    out = run("-p", str(tmp_path / "missing.rail"))
    assert out.returncode == 2 and "agent_loop:" in out.stderr
