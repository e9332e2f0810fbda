"""The decision log: what a record holds, the hash chain across rotated files, payload
modes that never store raw values by default, and tampering found at the right record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.engine.auditfile import JsonlFile, record_hash
from railguard.engine.auditlog import DecisionLog
from railguard.engine.auditread import records, verify

POLICY = """
policy shop {
  version "2.1"
  default allow
  rule big_refund:
    deny call refund when args.amount > 100
      message "refunds over 100 need a manager"
  redact output with pii.mask(entities: ["EMAIL_ADDRESS"])
  rule no_ssn:
    deny output when pii.entities(content, entities: ["US_SSN"])
}
"""


def write_log(path: Path, n: int = 20, payloads: str = "full", **sink: Any) -> None:
    log = DecisionLog([JsonlFile(path, **sink)], payloads=payloads)  # type: ignore[arg-type]
    guard = railguard.loads(POLICY, audit=log)
    for i in range(n):
        guard.evaluate(
            {"kind": "call", "tool": "refund", "args": {"amount": i * 10}, "session": f"s{i % 3}"}
        )
    log.close()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_a_record_says_what_was_decided_and_why(tmp_path: Path) -> None:
    write_log(tmp_path / "d.jsonl", n=12)
    first, *_, last = lines(tmp_path / "d.jsonl")
    assert first["seq"] == 1 and last["seq"] == 12
    assert last["decision"] == "deny" and last["rules"] == ["shop.big_refund"]
    assert last["violations"][0]["message"] == "refunds over 100 need a manager"
    assert last["policy_version"] == "shop=2.1"
    assert last["policy_digest"].startswith("sha256:")
    assert {"id", "time", "ts", "kind", "tool", "session", "warnings", "elapsed_us"} <= set(last)
    assert last["payload"]["args"] == {"amount": 110}
    assert last["prev"] == lines(tmp_path / "d.jsonl")[-2]["hash"]
    assert last["hash"] == record_hash(last)


def test_the_chain_continues_across_rotated_files(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    write_log(path, n=40, rotate_bytes=3000)
    files = sorted(tmp_path.glob("d.jsonl*"))
    assert len([f for f in files if f.suffix != ".lock"]) > 3
    report = verify([path])
    assert report.ok and report.records == 40
    # a second writer later picks the chain up where it ended
    write_log(path, n=5, rotate_bytes=3000)
    assert verify([path]).records == 45


def test_payloads_are_hashed_by_default(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog([JsonlFile(path)])
    guard = railguard.loads(POLICY, audit=log)
    guard.evaluate({"kind": "output", "content": "mail jane.roe@example.com"})
    log.close()
    (record,) = lines(path)
    assert "payload" not in record
    assert record["payload_hash"].startswith("sha256:")
    assert "jane.roe" not in path.read_text()


@pytest.mark.parametrize(
    ("content", "decision"),
    [
        ("mail jane.roe@example.com", "allow"),  # redacted by the verdict
        ("jane.roe@example.com, SSN 536-22-8741", "deny"),  # denied: redacted for the log
    ],
)
def test_redacted_payloads_hold_no_raw_values(tmp_path: Path, content: str, decision: str) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog([JsonlFile(path)], payloads="redacted")
    guard = railguard.loads(POLICY, audit=log)
    assert guard.evaluate({"kind": "output", "content": content}).decision == decision
    log.close()
    (record,) = lines(path)
    assert "<EMAIL_ADDRESS>" in record["payload"]["content"]
    assert "jane.roe" not in path.read_text()


def test_payloads_none_stores_no_event(tmp_path: Path) -> None:
    write_log(tmp_path / "d.jsonl", n=2, payloads="none")
    assert all("payload" not in r and "payload_hash" not in r for r in lines(tmp_path / "d.jsonl"))


def test_a_log_that_cannot_be_written_denies(tmp_path: Path) -> None:
    class Broken:
        def write(self, record: dict[str, Any]) -> None:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    guard = railguard.loads(POLICY, audit=DecisionLog([Broken()]))
    verdict = guard.evaluate({"kind": "call", "tool": "refund", "args": {"amount": 1}})
    assert verdict.denied
    assert verdict.violations[-1].rule == "railguard.audit"
    assert "No space left on device" in verdict.violations[-1].message


# ---- tampering: every single-record edit, deletion or swap is found at that record -------


def _rewrite(path: Path, change: Any) -> None:
    text = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(text)))


def _edit(i: int) -> Any:
    def change(text: list[str]) -> list[str]:
        record = json.loads(text[i])
        record["decision"] = "allow" if record["decision"] == "deny" else "deny"
        text[i] = json.dumps(record, separators=(",", ":")) + "\n"
        return text

    return change


def _edit_and_rehash(i: int) -> Any:
    def change(text: list[str]) -> list[str]:
        record = json.loads(text[i])
        record["decision"] = "allow" if record["decision"] == "deny" else "deny"
        record["hash"] = record_hash(
            record
        )  # a careful forger: the next record still points at the old hash
        text[i] = json.dumps(record, separators=(",", ":")) + "\n"
        return text

    return change


CASES = [
    ("edit", lambda i: _edit(i), "was altered"),
    ("edit and rehash", lambda i: _edit_and_rehash(i), None),
    ("delete", lambda i: lambda t: t[:i] + t[i + 1 :], "missing"),
    ("swap", lambda i: lambda t: [*t[:i], t[i + 1], t[i], *t[i + 2 :]], "out of order"),
    ("duplicate", lambda i: lambda t: [*t[: i + 1], t[i], *t[i + 1 :]], "repeated"),
]


@pytest.mark.parametrize(("name", "make", "words"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(
    "i", range(19)
)  # every record (the last has no successor to betray an edit-and-rehash)
def test_tampering_is_found_at_the_record(
    tmp_path: Path, name: str, make: Any, words: str | None, i: int
) -> None:
    path = tmp_path / "d.jsonl"
    write_log(path, n=20)
    assert verify([path]).ok
    _rewrite(path, make(i))
    report = verify([path])
    assert report.broken is not None, name
    line = report.broken.line
    if name == "edit and rehash":
        assert line == i + 2 and "chain is broken" in report.broken.message  # the next record
    else:
        assert line == i + 1 + (name == "duplicate"), report.broken
        assert words in report.broken.message


def test_records_skips_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    write_log(path, n=3)
    with path.open("a") as f:
        f.write('{"seq": 4, "hash')
    assert [r["seq"] for _, _, r in records([path])] == [1, 2, 3]
    report = verify([path])
    assert report.broken is None and report.torn is not None and report.torn.line == 4
