#!/usr/bin/env python3
"""`railguard drift` on a large decision log: its time, and memory that stays flat.

    python bench/bench_drift.py            # 1,000,000 events beside 100,000
    python bench/bench_drift.py --quick    # 200,000 beside 20,000 (smoke test)
    python bench/bench_drift.py --json     # machine-readable results on stdout

Each log holds two models, half the events each, drawn from the synthetic agent profile of
`railguard.engine.drift.synth` (kinds, tools, seven rules, schema/PII/injection findings,
failed checks, output lengths), written directly as JSON lines in the decision log's format
(not hash-chained: drift does not read the chain). In the candidate model's half one deny
rule's match rate moves from 2% to 9%.

`railguard drift LOG --format json` runs in a child process (interpreter start-up
included), once per log; its wall time and its peak resident set size (`ru_maxrss` of that
child, from `os.wait4`) are reported. Memory is flat when the large log's peak is within a
few MiB of the small one's: the log is streamed into fixed-size counters per slice. The
report must flag exactly the moved rule and the deny rate (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from railguard.engine.drift.synth import write_records  # noqa: E402

OLD, NEW = "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"
MOVED = "finance.read_only_sql"
EXPECTED = {f"rule:{MOVED}", "decision:deny"}
FLAT_MIB = 16.0  # the large log's peak may exceed the small one's by at most this much


def write_log(path: Path, events: int) -> float:
    """Write a two-model log of `events` records; returns the seconds it took."""
    start = time.perf_counter()
    half = events // 2
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        write_records(out, OLD, half, seed=1, rates={MOVED: 0.02})
        write_records(out, NEW, events - half, seed=2, rates={MOVED: 0.09}, start=1_795_000_000.0)
    return time.perf_counter() - start


def run_drift(path: Path) -> dict[str, Any]:
    """`railguard drift PATH --format json` in a child; its wall time, peak RSS and report."""
    command = [
        sys.executable,
        "-c",
        "from railguard.cli import main; main()",
        "drift",
        str(path),
        "--format",
        "json",
    ]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert child.stdout is not None and child.stderr is not None
    out, err = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if child.returncode not in (0, 1):
        raise SystemExit(f"railguard drift failed ({child.returncode}): {err.decode()}")
    report = json.loads(out)
    return {
        "seconds": elapsed,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "exit": child.returncode,
        "changed": report["changed"],
        "compared": report["compared"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 events beside 20,000")
    parser.add_argument("--json", action="store_true", help="results as JSON on stdout")
    args = parser.parse_args()
    large = 200_000 if args.quick else 1_000_000
    small = large // 10
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "runs": [],
    }
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for events in (small, large):
            path = Path(tmp) / f"decisions-{events}.jsonl"
            written = write_log(path, events)
            size = path.stat().st_size
            run = run_drift(path)
            run.update(
                events=events,
                log_mib=size / (1 << 20),
                write_seconds=written,
                events_per_second=events / run["seconds"],
            )
            results["runs"].append(run)
            if set(run["changed"]) != EXPECTED or run["exit"] != 1:
                failures.append(f"{events} events: changed {run['changed']}, exit {run['exit']}")
            path.unlink()
    first, last = results["runs"]
    growth = last["peak_rss_mib"] - first["peak_rss_mib"]
    results["rss_growth_mib"] = growth
    results["flat"] = growth <= FLAT_MIB
    if not results["flat"]:
        failures.append(
            f"peak RSS grew by {growth:.1f} MiB from {first['events']} to {last['events']} events"
        )
    results["failures"] = failures
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"railguard drift, Python {results['python']} on {results['machine']} ({results['cpus']} CPUs)"
        )
        print(
            f"{'events':>10}  {'log MiB':>8}  {'seconds':>8}  {'events/s':>9}  {'peak RSS MiB':>12}  changed"
        )
        for r in results["runs"]:
            print(
                f"{r['events']:>10,}  {r['log_mib']:>8.1f}  {r['seconds']:>8.2f}  "
                f"{r['events_per_second']:>9,.0f}  {r['peak_rss_mib']:>12.1f}  {', '.join(r['changed'])}"
            )
        print(
            f"peak RSS {first['peak_rss_mib']:.1f} MiB at {first['events']:,} events, "
            f"{last['peak_rss_mib']:.1f} MiB at {last['events']:,}: "
            f"{'flat' if results['flat'] else 'NOT flat'} ({growth:+.1f} MiB, limit {FLAT_MIB:.0f})"
        )
        for f in failures:
            print(f"FAIL: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
