"""`railguard audit verify` and `railguard audit show`: exit codes a CI job can rely on, the
record named at the line it breaks, and filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import railguard
from railguard.cli import main
from railguard.engine.auditfile import JsonlFile
from railguard.engine.auditlog import DecisionLog

POLICY = """
policy shop {
  default allow
  rule big_refund:
    deny call refund when args.amount > 100
  rule review:
    escalate call refund when args.amount > 50
}
"""


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "d.jsonl"
    now = [1_764_000_000.0]  # 2025-11-24T16:00:00Z
    sink = JsonlFile(path)
    guard = railguard.loads(POLICY, audit=DecisionLog([sink], clock=lambda: now[0]))
    for i, amount in enumerate([10, 60, 200, 20, 70, 300]):
        now[0] = 1_764_000_000.0 + 3600 * i
        guard.evaluate(
            {"kind": "call", "tool": "refund", "args": {"amount": amount}, "session": f"s{i % 2}"}
        )
    sink.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_verify_ok(log: Path) -> None:
    code, out = run("audit", "verify", str(log))
    assert code == 0
    assert out.startswith("ok: 6 records, last 6 sha256:")


def test_verify_names_the_broken_record(log: Path) -> None:
    lines = log.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"decision":"deny"', '"decision":"allow"')
    log.write_text("".join(lines))
    code, out = run("audit", "verify", str(log))
    assert code == 1
    assert out == f"BROKEN: {log}:3: record 3 was altered: its hash does not match its contents\n"


def test_verify_reports_a_torn_tail_apart_from_tampering(log: Path) -> None:
    text = log.read_bytes()
    log.write_bytes(text[:-40])
    code, out = run("audit", "verify", str(log), "--format", "json")
    assert code == 3
    report = json.loads(out)
    assert report["broken"] is None and report["records"] == 5
    assert report["torn"].startswith(f"{log}:6: the last line is torn")


def test_verify_against_a_head_kept_elsewhere(log: Path) -> None:
    _, out = run("audit", "verify", str(log))
    head = out.split()[-1]
    assert run("audit", "verify", str(log), "--head", head)[0] == 0
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]))  # the last record deleted: the chain alone cannot tell
    assert run("audit", "verify", str(log))[0] == 0
    code, out = run("audit", "verify", str(log), "--head", head)
    assert code == 1 and "not at the expected head" in out


def test_verify_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = run("audit", "verify", str(tmp_path / "nope.jsonl"))
    assert code == 2


@pytest.mark.parametrize(
    ("filters", "seqs"),
    [
        ([], [1, 2, 3, 4, 5, 6]),
        (["--decision", "deny"], [3, 6]),
        (["--decision", "escalate"], [2, 5]),
        (["--session", "s1"], [2, 4, 6]),
        (["--rule", "shop.review"], [2, 3, 5, 6]),  # denials list the escalation too
        (["--since", "2025-11-24T18:00:00"], [3, 4, 5, 6]),
        (["--since", "2025-11-24T17:00", "--until", "2025-11-24T19:00"], [2, 3]),
        (["--session", "s0", "--decision", "deny"], [3]),
    ],
)
def test_show_filters(log: Path, filters: list[str], seqs: list[int]) -> None:
    code, out = run("audit", "show", str(log), "--format", "json", *filters)
    assert code == 0
    assert [json.loads(line)["seq"] for line in out.splitlines()] == seqs


def test_show_table(log: Path) -> None:
    code, out = run("audit", "show", str(log), "--decision", "deny")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["seq", "time", "session", "event", "decision", "rules"]
    assert rows[0].split() == [
        "3",
        "2025-11-24T18:00:00.000",
        "s0",
        "call",
        "refund",
        "deny",
        "shop.big_refund,",
        "shop.review",
    ]
