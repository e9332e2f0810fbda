"""Crashes and concurrent writers: a writer killed with SIGKILL at random points leaves a log
that verifies up to its last complete record, with a torn tail reported, never passed off
as whole; the next writer cuts the torn tail off and records that it did. Processes that
share one file never interleave partial lines or break the chain."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from railguard.engine.auditread import records, verify

ROOT = Path(__file__).resolve().parents[3]

# A writer: evaluates events forever (or `count` of them) and logs every verdict.
WRITER = """
import sys
import railguard
from railguard.engine.auditfile import JsonlFile
from railguard.engine.auditlog import DecisionLog

path, flush, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
log = DecisionLog([JsonlFile(path, flush=flush, interval_s=0.01, rotate_bytes=200_000)], payloads="full")
guard = railguard.loads('policy p { default allow  deny call rm when args.force }', audit=log)
print("ready", flush=True)
i = 0
while count < 0 or i < count:
    guard.evaluate({"kind": "call", "tool": "rm", "args": {"force": i % 2 == 0, "n": i, "by": tag, "pad": "x" * (i % 300)}})
    i += 1
log.close()
"""


def start(
    path: Path, flush: str = "record", count: int = -1, tag: str = "w"
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), flush, str(count), tag],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    return proc


@pytest.mark.parametrize("flush", ["record", "batch"])
def test_killed_writers_leave_logs_that_verify_up_to_the_last_complete_record(
    tmp_path: Path, flush: str
) -> None:
    rng = random.Random(8)
    path = tmp_path / "decisions.jsonl"
    seen = 0
    for _ in range(12):
        proc = start(path, flush)
        time.sleep(rng.uniform(0.02, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report = verify([path])
        assert report.broken is None, report.broken
        assert report.records >= seen  # nothing written before is lost
        seen = report.records
    assert seen > 0
    proc = start(path, flush, count=10)  # a last clean run: recovers any torn tail, closes
    assert proc.wait() == 0
    report = verify([path])
    assert report.ok, report
    assert report.records >= seen + 10


def test_a_torn_tail_is_reported_then_recovered(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = tmp_path / "decisions.jsonl"
    assert start(path, count=50).wait() == 0
    whole = path.read_bytes()
    torn_seen = 0
    for _ in range(25):
        cut = rng.randrange(1, len(whole))
        path.write_bytes(whole[:cut])  # a crash in the middle of some write
        report = verify([path])
        assert report.broken is None
        complete = whole[:cut].count(b"\n")
        assert report.records == complete
        if whole[cut - 1 : cut] != b"\n":
            torn_seen += 1
            assert report.torn is not None and report.torn.line == complete + 1
            assert "torn" in report.torn.message
        else:
            assert report.ok
    assert torn_seen > 20
    # the next writer cuts the torn tail off and says so in the chain
    path.write_bytes(whole[: len(whole) - 7])
    assert start(path, count=3).wait() == 0
    report = verify([path])
    assert report.ok
    assert (
        len(report.recoveries) == 1 and "torn record were cut off" in report.recoveries[0].message
    )
    assert report.records == 50 - 1 + 1 + 3  # 49 whole, the recovery note, 3 new


@pytest.mark.parametrize("flush", ["record", "batch"])
def test_concurrent_writers_share_one_chain(tmp_path: Path, flush: str) -> None:
    path = tmp_path / "decisions.jsonl"
    procs = [start(path, flush, count=400, tag=f"w{i}") for i in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    report = verify([path])
    assert report.ok, report
    assert report.records == 1600
    by_writer: dict[str, list[int]] = {}
    for _, _, record in records([path]):
        by_writer.setdefault(record["payload"]["args"]["by"], []).append(
            record["payload"]["args"]["n"]
        )
    # every writer's records are all there, in the order it wrote them
    assert {k: v for k, v in by_writer.items()} == {f"w{i}": list(range(400)) for i in range(4)}
    assert len(list(tmp_path.glob("decisions.jsonl.0*"))) >= 1  # it rotated on the way
    assert os.path.exists(str(path) + ".lock")
