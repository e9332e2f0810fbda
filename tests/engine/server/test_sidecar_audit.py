"""The sidecar's decision log and shadow rollout: every verdict served is in a log that
verifies, the candidate set's verdicts are logged beside the enforced ones and counted in
/metrics, and several workers share one chain."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sidecar_helpers import Sidecar

from railguard.engine.auditread import records, verify

ACTIVE = """
policy pay {
  version "1"
  default allow
  rule big:
    deny call pay when args.amount > 1000
}
"""
CANDIDATE = ACTIVE.replace("> 1000", "> 500").replace('version "1"', 'version "2"')


def test_verdicts_are_logged_with_the_shadow_sets(tmp_path: Path) -> None:
    (tmp_path / "active").mkdir()
    (tmp_path / "candidate").mkdir()
    (tmp_path / "active" / "pay.rail").write_text(ACTIVE)
    (tmp_path / "candidate" / "pay.rail").write_text(CANDIDATE)
    log = tmp_path / "decisions.jsonl"
    args = ["--no-watch", "--audit", str(log), "--audit-payloads", "full"]
    args += ["--shadow", str(tmp_path / "candidate")]
    server = Sidecar([tmp_path / "active"], *args, log=tmp_path / "serve.log")
    try:
        answers = []
        for amount in (100, 700, 1500, 800):
            status, body = server.post(
                "/v1/evaluate", {"kind": "call", "tool": "pay", "args": {"amount": amount}}
            )
            assert status == 200
            answers.append(body["decision"])
        status, batch = server.post(
            "/v1/evaluate/batch",
            {"events": [{"kind": "call", "tool": "pay", "args": {"amount": 600}}]},
        )
        assert status == 200 and batch["verdicts"][0]["decision"] == "allow"
        _, metrics = server.get("/metrics")
        _, policies = server.get("/v1/policies")
    finally:
        server.stop()
    assert answers == ["allow", "allow", "deny", "allow"]  # enforced: the active set only
    assert 'railguard_shadow_decisions_total{outcome="agree"} 2' in metrics
    assert 'railguard_shadow_decisions_total{outcome="disagree"} 3' in metrics
    assert policies["shadow"]["digest"] != policies["digest"]
    report = verify([log])
    assert report.ok and report.records == 5
    logged = [r for _, _, r in records([log])]
    assert [r["shadow"]["decision"] for r in logged] == ["allow", "deny", "deny", "deny", "deny"]
    assert [r["decision"] for r in logged] == ["allow", "allow", "deny", "allow", "allow"]
    assert logged[1]["policy_version"] == "pay=1"
    assert logged[1]["payload"]["args"] == {"amount": 700}


def test_workers_share_one_chain(tmp_path: Path) -> None:
    (tmp_path / "pay.rail").write_text(ACTIVE)
    log = tmp_path / "decisions.jsonl"
    server = Sidecar(
        [tmp_path / "pay.rail"],
        "--no-watch",
        "--workers",
        "3",
        "--audit",
        str(log),
        log=tmp_path / "serve.log",
    )
    try:
        from concurrent.futures import ThreadPoolExecutor

        def post(i: int) -> int:
            status, _ = server.post(
                "/v1/evaluate", {"kind": "call", "tool": "pay", "args": {"amount": i}}
            )
            return status

        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(post, range(300)))
    finally:
        server.stop()
    assert set(statuses) == {200}
    report = verify([log])
    assert report.ok, report
    assert report.records == 300
    text = log.read_text()
    assert all(json.loads(line) for line in text.splitlines())
    assert "amount" not in text  # payloads are hashed by default
    assert re.search(r'"payload_hash":"sha256:[0-9a-f]{64}"', text)
