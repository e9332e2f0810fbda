"""`make bench-lint`: `railguard lint` on the whole policy library from a cold start.

Each run is a fresh interpreter (`python -m railguard lint --strict policies/`), so the
time includes Python's start-up and every import, as in CI. Reports the median and the
slowest of RUNS runs against the 1 s budget, and checks in one more fresh interpreter
that linting imported neither Presidio nor spaCy (none of the library's policies asks for
a named-entity model). Exit status 1 when a check fails.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
BUDGET_S = 1.0
HEAVY = ("presidio_analyzer", "presidio_anonymizer", "spacy", "thinc", "torch")
PROBE = """
import contextlib, io, json, sys
from railguard.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["lint", "--strict", "policies/"])
    except SystemExit as exc:
        code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"exit": code, "heavy": heavy}))
""".replace("HEAVY", repr(HEAVY))


def cold_run() -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "railguard", "lint", "--strict", "policies/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, done.returncode


def main() -> int:
    times, codes = [], set()
    for _ in range(RUNS):
        elapsed, code = cold_run()
        times.append(elapsed)
        codes.add(code)
    median = statistics.median(times)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    files = len(list((ROOT / "policies").rglob("*.rail")))
    print(f"railguard lint --strict policies/ ({files} files), cold start, {RUNS} runs")
    print(
        f"  median {median * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms, budget {BUDGET_S * 1000:.0f} ms"
    )
    ok_time = median < BUDGET_S
    ok_clean = codes == {0} and found["exit"] == 0
    ok_imports = not found["heavy"]
    print(f"  {'PASS' if ok_time else 'FAIL'}: median under {BUDGET_S:g} s")
    print(
        f"  {'PASS' if ok_clean else 'FAIL'}: the library is lint-clean under --strict (exit {sorted(codes)})"
    )
    heavy = ", ".join(found["heavy"]) or "none"
    print(f"  {'PASS' if ok_imports else 'FAIL'}: no Presidio or spaCy import (imported: {heavy})")
    return 0 if ok_time and ok_clean and ok_imports else 1


if __name__ == "__main__":
    sys.exit(main())
