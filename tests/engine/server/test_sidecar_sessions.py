"""Two real sidecars share one Redis: one limit for the fleet, retry_after on the wire, and
a usage error for a store URL that cannot work."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sidecar_helpers import ROOT, Sidecar

POLICY = """
policy fleet {
  rule rate:
    deny call send_email when session.count("send_email", within: "1m") >= 10
      message "at most 10 e-mails a minute for a session"
}
"""


def test_two_sidecars_on_one_redis_allow_exactly_the_limit(tmp_path: Path, redis_url: str) -> None:
    policy = tmp_path / "fleet.rail"
    policy.write_text(POLICY)
    sidecars = [
        Sidecar([policy], "--no-watch", "--sessions", redis_url, log=tmp_path / f"s{i}.log")
        for i in range(2)
    ]
    try:

        def attempt(i: int) -> tuple[int, dict[str, object]]:
            event = {"kind": "call", "tool": "send_email", "args": {"n": i}, "session": "fleet-1"}
            status, body = sidecars[i % 2].post("/v1/evaluate", event)
            return status, body

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(attempt, range(50)))
    finally:
        for s in sidecars:
            s.stop()
    assert {status for status, _ in answers} == {200}
    decisions = [body["decision"] for _, body in answers]
    assert decisions.count("allow") == 10
    for _, body in answers:
        if body["decision"] == "deny":
            retry = body["retry_after"]
            assert isinstance(retry, float | int) and 0 < retry <= 60
            assert body["violations"][0]["rule"] == "fleet.rate"
        else:
            assert body["retry_after"] is None


def test_an_unknown_store_url_is_a_usage_error(tmp_path: Path) -> None:
    policy = tmp_path / "fleet.rail"
    policy.write_text(POLICY)
    done = subprocess.run(
        [sys.executable, "-m", "railguard", "serve", str(policy), "--sessions", "mongodb://x"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown session store `mongodb`" in done.stderr
