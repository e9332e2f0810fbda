#!/usr/bin/env python3
"""The cost of OpenTelemetry in `Guard.evaluate()`, beside no OpenTelemetry at all.

    python bench/bench_otel.py            # 7 rounds of 300 timed batches per cell
    python bench/bench_otel.py --quick    # 3 rounds of 80 batches (smoke test)
    python bench/bench_otel.py --json     # machine-readable results on stdout

Three cells, each in a fresh child process (so that what one imports cannot help or hurt
another), run in turns, round after round (so that a slow phase of the shared machine
hits all of them alike):

* `none`: OpenTelemetry cannot be imported at all (an import hook refuses it);
* `api`: `opentelemetry.trace` imported, no tracer provider set (the API's proxy): the
  state of an application that has `railguard[otel]` installed and tracing off;
* `sdk`: the SDK's tracer provider with a `SimpleSpanProcessor` and the in-memory span
  exporter: one span per evaluation, exported synchronously.

Each child times `Guard.evaluate()` on one allowed `call` (an allow list and three argument
checks) with `timing.measure` and reports the per-call median and p99. The added cost of
a cell is taken within a round, against the `none` child of the same round, then the
median over rounds. The check printed at the end: `api` stays within 0.3 us of `none`.
The exit status does not depend on speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIMIT_US = 0.3

POLICY = """policy shop {
  default deny
  allow call search_invoices, get_invoice, send_payment
  rule reference_format:
    deny call send_payment unless args.reference matches /^INV-[0-9]{6}$/
      message "bad reference"
  rule amount_range:
    deny call send_payment unless args.amount > 0 and args.amount <= 5000
      message "bad amount"
  rule currency:
    deny call send_payment unless args.currency in {"EUR", "USD"}
      message "bad currency"
}
"""

CHILD = r"""
import json, sys
sys.path.insert(0, {here!r}); sys.path.insert(1, {root!r})
cell, rounds = sys.argv[1], int(sys.argv[2])
if cell == "none":
    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ImportError("no OpenTelemetry in this cell")
            return None
    sys.meta_path.insert(0, Refuse())
elif cell == "api":
    import opentelemetry.trace  # noqa: F401  (installed, no provider set)
elif cell == "sdk":
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
import timing
import railguard
from railguard.engine import otel
guard = railguard.load({policy!r})
event = railguard.ToolCall(tool="send_payment", session="s-1", context={{"model": "gpt-4o"}},
    args={{"reference": "INV-004217", "amount": 1200, "currency": "EUR"}})
assert guard.evaluate(event).decision == "allow"
recording = otel.STATE.recorder is not None
assert recording == (cell == "sdk"), (cell, recording)
if cell == "sdk":
    def fn():
        guard.evaluate(event)
        exporter.clear()
else:
    def fn():
        guard.evaluate(event)
stats = timing.measure(fn, rounds=rounds, inner=None, warmup=50)
print(json.dumps({{"median_us": stats.median_us, "p99_us": stats.p99_us,
    "otel_imported": "opentelemetry.trace" in sys.modules, "recording": recording}}))
"""

CELLS = ("none", "api", "sdk")


def run_child(cell: str, rounds: int) -> dict[str, Any]:
    code = CHILD.format(here=str(HERE), root=str(ROOT), policy=POLICY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAILGUARD_OTEL")}
    out = subprocess.run(
        [sys.executable, "-c", code, cell, str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    repetitions, batches = (3, 80) if args.quick else (7, 300)

    per_round: list[dict[str, dict[str, Any]]] = []
    for i in range(repetitions):
        order = CELLS[i % 3 :] + CELLS[: i % 3]  # rotate who goes first
        per_round.append({cell: run_child(cell, batches) for cell in order})

    def med(cell: str, key: str) -> float:
        return statistics.median(r[cell][key] for r in per_round)

    def added(cell: str) -> float:
        return statistics.median(r[cell]["median_us"] - r["none"]["median_us"] for r in per_round)

    results = {
        cell: {
            "median_us": med(cell, "median_us"),
            "p99_us": med(cell, "p99_us"),
            "added_us": added(cell),
            "otel_imported": per_round[0][cell]["otel_imported"],
            "recording": per_round[0][cell]["recording"],
        }
        for cell in CELLS
    }
    ok = abs(results["api"]["added_us"]) <= LIMIT_US
    if args.json:
        print(json.dumps({"cells": results, "limit_us": LIMIT_US, "api_within_limit": ok}))
        return 0
    print(f"Guard.evaluate() on one allowed call, {repetitions} rounds x {batches} batches")
    print(f"{'cell':<6} {'median us':>10} {'p99 us':>8} {'added us':>9}  state")
    states = {
        "none": "OpenTelemetry not importable",
        "api": "API imported, no tracer provider",
        "sdk": "SDK, in-memory exporter: one span each",
    }
    for cell in CELLS:
        r = results[cell]
        print(
            f"{cell:<6} {r['median_us']:>10.2f} {r['p99_us']:>8.2f} {r['added_us']:>+9.2f}  {states[cell]}"
        )
    verdict = "ok" if ok else "OVER"
    print(
        f"check: API without a tracer adds {results['api']['added_us']:+.2f} us "
        f"(limit {LIMIT_US} us): {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
