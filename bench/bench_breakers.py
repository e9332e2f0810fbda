#!/usr/bin/env python3
"""The added cost of a circuit breaker per `evaluate()`, on the in-memory store.

    python bench/bench_breakers.py            # 5 repetitions of 300 timed batches per cell
    python bench/bench_breakers.py --quick    # 3 repetitions of 80 batches (smoke test)
    python bench/bench_breakers.py --json     # machine-readable results on stdout

One policy (an allow list and three argument checks on `send_payment`) is loaded twice: as
it is (the baseline) and with a breaker on the tool the events call,

    breaker send_payment: open after 5 failures within "60s" for "30s" fallback get_invoice

on the default in-memory store. Cells, timed in one interleaved pool (timing.
measure_interleaved) and repeated:

- `call`: an allowed `call` of `send_payment`, through each policy. The breaker is closed,
  so its check is one lookup of the tool's state in this process (no store round trip).
- `result`: a successful `result` of `send_payment` (the count form counts failures only,
  so a success while closed writes nothing).
- `call, breaker open`: the same call once the breaker has opened (denied at once, with the
  fallback evaluated), for scale.

The added cost is taken within each repetition, against the baseline timed beside it, then
the median over repetitions. The target is at most 1 us for the closed `call`. The exit
status does not depend on speed (1 when a decision is not the expected one).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

from timing import format_table, measure_interleaved  # noqa: E402

import railguard  # noqa: E402

BASE = """
policy payments {
  default deny
  allow call send_payment, get_invoice, search_invoices
  deny call send_payment unless args.invoice_id matches /^INV-[0-9]{6}$/ message "bad invoice id"
  deny call send_payment when args.amount > 10000 message "too large"
  deny call send_payment unless args.currency in {"USD", "EUR", "GBP"} message "bad currency"
  %s
}
"""
BREAKER = 'breaker send_payment: open after 5 failures within "60s" for "30s" fallback get_invoice'
CALL = railguard.ToolCall(
    tool="send_payment",
    args={"invoice_id": "INV-004217", "amount": 1250.5, "currency": "USD"},
    session="s-1",
)
RESULT = railguard.ToolResult(tool="send_payment", content={"status": "paid"}, session="s-1")
FAIL = railguard.ToolResult(
    tool="send_payment", content="", session="s-1", error={"kind": "timeout"}
)
TARGET_US = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", action="store_true", help="print JSON results")
    options = parser.parse_args(argv)
    repetitions, rounds = (3, 80) if options.quick else (5, 300)

    baseline = railguard.loads(BASE % "")
    guarded = railguard.loads(BASE % BREAKER)
    opened = railguard.loads(BASE % BREAKER)
    for _ in range(5):
        opened.evaluate(FAIL)
    checks = {
        "baseline call allowed": baseline.evaluate(CALL).allowed,
        "breaker call allowed": guarded.evaluate(CALL).allowed,
        "breaker result allowed": guarded.evaluate(RESULT).allowed,
        "open breaker denies with a fallback": opened.evaluate(CALL).fallback == ("get_invoice",),
    }
    cells = {
        ("call", "baseline"): lambda: baseline.evaluate(CALL),
        ("call", "breaker"): lambda: guarded.evaluate(CALL),
        ("result", "baseline"): lambda: baseline.evaluate(RESULT),
        ("result", "breaker"): lambda: guarded.evaluate(RESULT),
        ("call, breaker open", "breaker"): lambda: opened.evaluate(CALL),
    }
    runs = [measure_interleaved(cells, rounds=rounds, inner=None) for _ in range(repetitions)]
    medians = {k: statistics.median(r[k].median_us for r in runs) for k in cells}
    p99s = {k: statistics.median(r[k].p99_us for r in runs) for k in cells}
    added = {
        event: statistics.median(
            r[(event, "breaker")].median_us - r[(event, "baseline")].median_us for r in runs
        )
        for event in ("call", "result")
    }
    if options.json:
        out: dict[str, Any] = {
            "python": platform.python_version(),
            "checks": checks,
            "median_us": {f"{e}/{v}": m for (e, v), m in medians.items()},
            "p99_us": {f"{e}/{v}": m for (e, v), m in p99s.items()},
            "added_median_us": added,
            "target_us": TARGET_US,
        }
        print(json.dumps(out, indent=2))
    else:
        print(f"Breaker cost per evaluate(), in-memory store; Python {platform.python_version()}")
        print(f"{repetitions} repetitions x {rounds} batches per cell, interleaved\n")
        rows = [[f"{e} ({v})", medians[(e, v)], p99s[(e, v)]] for e, v in cells]
        print(format_table(["cell", "median us", "p99 us"], rows))
        print()
        for event, cost in added.items():
            print(f"added median per {event}: {cost:+.3f} us")
        verdict = "within" if added["call"] <= TARGET_US else "OVER"
        print(f"closed-breaker call: {verdict} the {TARGET_US:g} us target")
        for name, ok in checks.items():
            print(f"check: {name}: {'ok' if ok else 'FAILED'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
