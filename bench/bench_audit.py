#!/usr/bin/env python3
"""The decision log: its added cost per evaluation, and the replay rate.

    python bench/bench_audit.py            # 5 repetitions of 300 timed batches per cell
    python bench/bench_audit.py --quick    # 3 repetitions of 80 batches (smoke test)
    python bench/bench_audit.py --json     # machine-readable results on stdout

The policy is the shipped `policies/finance` (an allow list of five tools, argument checks,
two escalations, card-number redaction; `tools.json` schemas). Events: 14 kinds in turn
(8 allowed, two of them results, one with a card number to redact; 4 denied; 2 escalated),
each call with one argument set to a fresh counter value so that no two payloads are alike.

1. Added cost of logging per evaluation. `Guard.evaluate` is timed without a log (the
   baseline) and with a `DecisionLog` writing a `JsonlFile` in a temporary folder (in
   /tmp, rotation at 1 GiB so none happens while timing): `flush="record"` with payloads
   `hash` (the default), `full` and `none`; `flush="record"` with `fsync=True` (a disk sync
   per record); `flush="batch"` (a thread writes and fsyncs every 0.2 s; the caller only
   queues the record). A log whose sink discards the record separates building the record
   from writing it. All cells run in one interleaved pool (timing.measure_interleaved),
   repeated; each cell's median and p99 are the median over the repetitions, each added
   cost and ratio is taken within a repetition, against the baseline timed beside it.
   The batch flusher's own work (chaining, writing, fsync) runs in its thread, outside the
   caller's wait: it is measured apart (its thread's CPU time per record) and added in a
   derived row, since with the GIL that CPU time is taken from the evaluating threads.
   At the end every log is closed and verified (`auditread.verify` must report it whole)
   and read back: record k must be the k-th evaluation made through that guard (its tool
   and decision), so the bench also proves that what it timed was written, in full.

2. Replay. 10,000 events are recorded with `payloads="full"` (`flush="batch"`), the log is
   verified, then `railguard.engine.replay.replay([log], guard)` re-decides it with one
   rule changed (`large_payment` escalates above 2000 instead of 5000); the changes it
   reports must be the ones direct evaluation of both policies predicts. Timed: the median
   of a few in-process runs (the goal: at least 5,000 events per second), and the CLI end to
   end once (`railguard replay LOG -p DIR --format json --no-progress`, interpreter start-up
   and policy compilation included), beside the same command on an empty log.

The exit status does not depend on speed (1 when a check fails).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import timing  # noqa: E402

import railguard  # noqa: E402
from railguard import ToolCall, ToolResult  # noqa: E402
from railguard.engine.auditfile import JsonlFile  # noqa: E402
from railguard.engine.auditlog import DecisionLog  # noqa: E402
from railguard.engine.auditread import log_files, records, verify  # noqa: E402
from railguard.engine.replay import replay  # noqa: E402

# ---------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------

POLICY_DIR = ROOT / "policies" / "finance"
CHANGE_RULE = "large_payment"
CHANGE_OLD = "args.amount > 5000"
CHANGE_NEW = "args.amount > 2000"

REPLAY_EVENTS = 10_000
REPLAY_GOAL = 5_000.0  # events per second
ROTATE_BYTES = 1 << 30
BATCH_INTERVAL_S = 0.2  # JsonlFile's default
SESSIONS = 200

# (kind, tool, args or content, the argument a counter varies and how, expected decision)
Template = tuple[str, str, Any, str | None, Callable[[int], Any] | None, str]
TEMPLATES: list[Template] = [
    ("call", "search_invoices", {"query": "", "status": "overdue", "limit": 20},
     "query", lambda n: f"Globex {n}", "allow"),
    ("call", "get_invoice", {"invoice_id": ""},
     "invoice_id", lambda n: f"INV-{n % 1_000_000:06d}", "allow"),
    ("call", "run_sql", {"query": ""},
     "query", lambda n: f"SELECT id, amount FROM invoices WHERE vendor_id = {n}", "allow"),
    ("call", "send_email", {"to": "ana.lopez@acme.com", "subject": "Invoice INV-004217", "body": ""},
     "body", lambda n: f"Paid today, ref {n}.", "allow"),
    ("call", "send_payment", {"invoice_id": "INV-004217", "amount": 1250.5, "currency": "USD", "memo": ""},
     "memo", lambda n: f"Globex October {n}", "allow"),
    ("call", "send_payment", {"invoice_id": "INV-004218", "amount": 3200, "currency": "EUR", "memo": ""},
     "memo", lambda n: f"Initech Q3 {n}", "allow"),  # escalates under the changed rule
    ("result", "get_invoice", "INV-004217: 3 lines, total 1250.00 EUR, due 2026-01-31, vendor ACME",
     None, None, "allow"),
    ("call", "run_shell", {"command": ""},
     "command", lambda n: f"rm -rf /tmp/{n}", "deny"),
    ("call", "get_invoice", {"invoice_id": ""},
     "invoice_id", lambda n: f"INV-42-{n}", "deny"),
    ("call", "run_sql", {"query": ""},
     "query", lambda n: f"DELETE FROM invoices WHERE id = {n}", "deny"),
    ("call", "send_payment", {"invoice_id": "INV-004219", "amount": 90, "currency": "BTC", "memo": ""},
     "memo", lambda n: f"coins {n}", "deny"),
    ("call", "send_payment", {"invoice_id": "INV-004220", "amount": 7500, "currency": "USD", "memo": ""},
     "memo", lambda n: f"Umbrella annual {n}", "escalate"),
    ("call", "send_email", {"to": "someone@evil.io", "subject": "ledger", "body": ""},
     "body", lambda n: f"see attached {n}", "escalate"),
    ("result", "get_invoice", "paid with card 4111 1111 1111 1111, exp 04/27",
     None, None, "allow"),  # the card number is redacted
]  # fmt: skip


def make_event(template: Template, n: int) -> Any:
    """A fresh event of `template`, its counter argument set from `n`."""
    kind, tool, body, key, vary, _ = template
    session, ctx = f"s-{n % SESSIONS:03d}", {"tenant": "acme"}
    if kind == "result":
        return ToolResult(tool=tool, content=body, session=session, context=ctx)
    args = dict(body)
    if key is not None and vary is not None:
        args[key] = vary(n)
    return ToolCall(tool=tool, args=args, session=session, context=ctx)


_seq = itertools.count()  # the counter values: unique across every evaluation of the run


class Stepper:
    """The next event of the round-robin (its counter argument set in place), evaluated.

    Call arguments are mutated in place: safe for the logs timed here, which serialise
    their record before `evaluate` returns or keep only the payload's hash (`flush="batch"`).
    """

    def __init__(self, evaluate: Callable[[Any], Any]) -> None:
        pool = [(make_event(t, 0), t[3] or "", t[4]) for t in TEMPLATES]
        n = len(pool)
        self._pos = pos = itertools.count()
        seq = _seq

        def step() -> Any:
            event, key, vary = pool[next(pos) % n]
            value = next(seq)
            if vary is not None:
                event.args[key] = vary(value)
            return evaluate(event)

        self.step = step

    def calls(self) -> int:
        """How many evaluations `step` made (ask once, when done: it ends the count)."""
        return next(self._pos)


def _noop(_event: Any) -> None:
    return None


class NullSink:
    """A sink that keeps nothing: the cost of building the record alone."""

    def write(self, record: dict[str, Any]) -> None:
        return None

    def close(self) -> None:
        return None


# ---------------------------------------------------------------------------------------
# Part 1: added cost per evaluation
# ---------------------------------------------------------------------------------------


@dataclass
class Cell:
    key: str
    label: str
    guard: Any  # Guard
    log: DecisionLog | None = None
    path: Path | None = None
    stepper: Stepper | None = None


class FlusherMeter:
    """Wraps a batch sink's `flush_now` (the flusher thread calls it every interval) to
    measure the thread's CPU time, wall time and records per flush."""

    def __init__(self, sink: JsonlFile) -> None:
        self.sink = sink
        self.inner = sink.flush_now
        self.flushes: list[tuple[int, float, float]] = []  # (records, cpu s, wall s)
        self.threads: set[str] = set()
        sink.flush_now = self.flush_now  # type: ignore[method-assign]

    def flush_now(self) -> None:
        before = self.sink._seq
        cpu, wall = time.thread_time(), time.perf_counter()
        self.inner()
        n = self.sink._seq - before
        if n:
            self.flushes.append((n, time.thread_time() - cpu, time.perf_counter() - wall))
            self.threads.add(threading.current_thread().name)

    def drain(self, timeout_s: float = 2.0) -> None:
        """Wait (untimed) for the flusher thread to write what is queued."""
        deadline = time.monotonic() + timeout_s
        while self.sink._pending and time.monotonic() < deadline:
            time.sleep(0.01)

    def summary(self) -> dict[str, Any]:
        recs = sum(n for n, _, _ in self.flushes)
        cpu = sum(c for _, c, _ in self.flushes)
        return {
            "flushes": len(self.flushes),
            "records": recs,
            "records_per_flush": recs / len(self.flushes) if self.flushes else 0.0,
            "cpu_us_per_record": cpu / recs * 1e6 if recs else 0.0,
            "wall_ms_per_flush_median": (
                statistics.median(w for _, _, w in self.flushes) * 1e3 if self.flushes else 0.0
            ),
            "threads": sorted(self.threads),
        }


def build_cells(folder: Path) -> tuple[list[Cell], FlusherMeter]:
    base = railguard.load([POLICY_DIR])

    def logged(name: str, payloads: Any, **sink_kw: Any) -> tuple[Any, DecisionLog, Path]:
        path = folder / f"{name}.jsonl"
        sink = JsonlFile(path, rotate_bytes=ROTATE_BYTES, **sink_kw)
        log = DecisionLog([sink], payloads=payloads)
        return base.with_audit(log), log, path

    cells = [Cell("baseline", "no log (baseline)", base), Cell("harness", "harness only", None)]
    specs: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("record", "flush=record, payloads=hash (default)", "hash", {}),
        ("record_full", "flush=record, payloads=full", "full", {}),
        ("fsync", "flush=record + fsync=True, payloads=hash", "hash", {"fsync": True}),
        ("batch", "flush=batch (fsync every 0.2 s), payloads=hash", "hash", {"flush": "batch"}),
        ("record_none", "flush=record, payloads=none", "none", {}),
    ]
    meter: FlusherMeter | None = None
    for key, label, payloads, kw in specs:
        guard, log, path = logged(key, payloads, **kw)
        cells.append(Cell(key, label, guard, log, path))
        if key == "batch":
            sink = log.sinks[0]
            assert isinstance(sink, JsonlFile) and sink.interval_s == BATCH_INTERVAL_S
            meter = FlusherMeter(sink)
    null_log = DecisionLog([NullSink()], payloads="hash")
    cells.append(
        Cell("null", "record built, sink discards it, payloads=hash", base.with_audit(null_log))
    )
    for cell in cells:
        cell.stepper = Stepper(_noop if cell.guard is None else cell.guard.evaluate)
    assert meter is not None
    return cells, meter


def check_decisions(cells: list[Cell]) -> list[str]:
    """Untimed: every template gets its expected decision, with and without a log."""
    problems: list[str] = []
    for cell in cells:
        if cell.guard is None:
            continue
        assert cell.stepper is not None
        for i, template in enumerate(TEMPLATES * 2):
            got = cell.stepper.step().decision
            if got != template[5]:
                problems.append(
                    f"{cell.key}: event {i % len(TEMPLATES)} ({template[0]} {template[1]}) "
                    f"got {got}, expected {template[5]}"
                )
    return problems


def time_cells(cells: list[Cell], reps: int, rounds: int, batch_us: float) -> dict[str, Any]:
    """Every cell in one interleaved pool, `reps` times; per cell the median over reps."""
    fns: dict[str, Callable[[], object]] = {}
    for c in cells:
        assert c.stepper is not None
        fns[c.key] = c.stepper.step
    per_rep = [
        timing.measure_interleaved(fns, rounds=rounds, inner=None, target_batch_us=batch_us)
        for _ in range(reps)
    ]
    out: dict[str, Any] = {}
    for key in fns:
        medians = [r[key].median_us for r in per_rep]
        out[key] = {
            "median_us": statistics.median(medians),
            "p99_us": statistics.median(r[key].p99_us for r in per_rep),
            "added_us": statistics.median(
                r[key].median_us - r["baseline"].median_us for r in per_rep
            ),
            "ratio": statistics.median(r[key].median_us / r["baseline"].median_us for r in per_rep),
            "rep_medians_us": medians,
            "inner": per_rep[-1][key].inner,
        }
    return out


def check_logs(cells: list[Cell]) -> tuple[list[str], dict[str, Any]]:
    """Close every log, verify its chain, and match record k to the k-th evaluation."""
    problems: list[str] = []
    found: dict[str, Any] = {}
    for cell in cells:
        if cell.log is not None:
            cell.log.close()
    for cell in cells:
        if cell.path is None:
            continue
        assert cell.stepper is not None
        made = cell.stepper.calls()
        report = verify([cell.path])
        size = sum(p.stat().st_size for p in log_files([cell.path]))
        mismatched = 0
        n = 0
        for _, _, rec in records([cell.path]):
            template = TEMPLATES[n % len(TEMPLATES)]
            if rec.get("tool") != template[1] or rec.get("decision") != template[5]:
                mismatched += 1
            n += 1
        found[cell.key] = {
            "ok": report.ok,
            "records": report.records,
            "evaluations": made,
            "bytes": size,
            "mismatched": mismatched,
        }
        if not report.ok:
            problems.append(f"{cell.key}: verify: {report.broken or report.torn}")
        if report.records != made or n != made:
            problems.append(
                f"{cell.key}: {made} evaluations, but the log holds {report.records} records "
                f"({n} read back)"
            )
        if mismatched:
            problems.append(f"{cell.key}: {mismatched} records are not the evaluation in order")
    return problems, found


# ---------------------------------------------------------------------------------------
# Part 2: replay
# ---------------------------------------------------------------------------------------


def changed_policy(folder: Path) -> Path:
    """A copy of the policy folder with `large_payment`'s threshold lowered."""
    out = folder / "finance-changed"
    out.mkdir(parents=True)
    shutil.copy(POLICY_DIR / "tools.json", out / "tools.json")
    text = (POLICY_DIR / "finance.rail").read_text()
    start = text.index(f"rule {CHANGE_RULE}:")
    end = text.index("message", start)
    if text.count(CHANGE_OLD, start, end) != 1:
        raise SystemExit(f"error: `{CHANGE_OLD}` is not in rule {CHANGE_RULE} of finance.rail")
    text = text[:start] + text[start:end].replace(CHANGE_OLD, CHANGE_NEW) + text[end:]
    (out / "finance.rail").write_text(text)
    return out


def run_replay(folder: Path, runs: int) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    base = railguard.load([POLICY_DIR])
    changed_dir = changed_policy(folder)
    changed = railguard.load([changed_dir])
    log_path = folder / "replay.jsonl"

    events = [
        make_event(TEMPLATES[i % len(TEMPLATES)], 1_000_000 + i) for i in range(REPLAY_EVENTS)
    ]
    sink = JsonlFile(log_path, flush="batch", rotate_bytes=ROTATE_BYTES)
    log = DecisionLog([sink], payloads="full")
    writer = base.with_audit(log)
    t0 = time.perf_counter()
    old = [writer.evaluate(e).decision for e in events]
    log.close()
    write_s = time.perf_counter() - t0
    report = verify([log_path])
    if not report.ok or report.records != REPLAY_EVENTS:
        problems.append(
            f"replay log: verify ok={report.ok}, {report.records} records "
            f"({report.broken or report.torn or ''})"
        )
    expected = Counter((o, changed.evaluate(e).decision) for o, e in zip(old, events, strict=True))
    expected_changes = sum(n for (o, new), n in expected.items() if o != new)

    # untimed first run: warms the page cache and the plans, and checks the result
    first = replay([log_path], changed)
    if first.replayed != REPLAY_EVENTS or first.skipped:
        problems.append(f"replay: {first.replayed} replayed, {first.skipped} skipped")
    if Counter(first.transitions) != expected or len(first.changes) != expected_changes:
        problems.append(f"replay: transitions {dict(first.transitions)}, expected {dict(expected)}")
    times: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        replay([log_path], changed)
        times.append(time.perf_counter() - t)

    cli = cli_command()
    empty = folder / "empty.jsonl"
    empty.touch()
    cli_runs: dict[str, Any] = {}
    for name, path in (("empty", empty), ("full", log_path)):
        argv = [*cli, "replay", str(path), "-p", str(changed_dir), "--format", "json"]
        argv.append("--no-progress")
        t = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=str(folder))
        wall = time.perf_counter() - t
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            out = {}
        want = (REPLAY_EVENTS, expected_changes, 1) if name == "full" else (0, 0, 0)
        got = (out.get("replayed"), out.get("changed"), proc.returncode)
        if got != want:
            problems.append(
                f"CLI on the {name} log: replayed, changed, exit {got}, expected {want}"
                f"{': ' + proc.stderr.strip()[-300:] if proc.stderr.strip() else ''}"
            )
        cli_runs[name] = {"wall_s": wall, "exit": proc.returncode}

    median_s = statistics.median(times)
    return problems, {
        "events": REPLAY_EVENTS,
        "log_bytes": log_path.stat().st_size,
        "write_s": write_s,
        "verify_ok": report.ok,
        "old_decisions": dict(Counter(old)),
        "change": f"rule {CHANGE_RULE}: `{CHANGE_OLD}` -> `{CHANGE_NEW}`",
        "changes": expected_changes,
        "transitions": {f"{o}->{n}": c for (o, n), c in sorted(expected.items()) if o != n},
        "runs_s": times,
        "median_s": median_s,
        "events_per_s": REPLAY_EVENTS / median_s,
        "goal_events_per_s": REPLAY_GOAL,
        "pass": REPLAY_EVENTS / median_s >= REPLAY_GOAL,
        "cli": " ".join(Path(cli[0]).name if i == 0 else a for i, a in enumerate(cli)),
        "cli_runs": cli_runs,
    }


def cli_command() -> list[str]:
    """The `railguard` script next to this interpreter, else `python -m railguard`."""
    script = Path(sys.executable).parent / "railguard"
    return [str(script)] if script.exists() else [sys.executable, "-m", "railguard"]


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    m, s = report["machine"], report["settings"]
    cells, labels = report["cells"], report["labels"]
    dist = Counter(t[5] for t in TEMPLATES)
    out = [
        f"Railguard decision-log benchmark: Python {m['python']} on {m['platform']}, "
        f"{m['cpus']} cpus; {s['reps']} repetitions x {s['rounds']} timed batches per cell"
        f"{' (--quick)' if s['quick'] else ''}",
        f"policy: policies/finance ({report['rules']} rules: allow list of 5 tools, argument "
        "checks, escalations, redaction; tools.json schemas)",
        f"events: {len(TEMPLATES)} kinds in turn ({dist['allow']} allowed, 2 of them results, "
        f"1 redacted; {dist['deny']} denied; {dist['escalate']} escalated), one argument "
        "of each call a fresh counter value",
        f"logs: JsonlFile in {report['folder']} (rotation at {ROTATE_BYTES >> 30} GiB: none "
        "while timing)",
        "",
        "1. added cost of the decision log per evaluation",
    ]
    base = cells["baseline"]

    def row(key: str, indent: str = "") -> list[str]:
        c = cells[key]
        if key == "baseline":
            return [
                labels[key],
                timing.fmt_us(c["median_us"]),
                timing.fmt_us(c["p99_us"]),
                "",
                "1.00x",
            ]
        return [
            indent + labels[key],
            timing.fmt_us(c["median_us"]),
            timing.fmt_us(c["p99_us"]),
            timing.fmt_added(c["added_us"]),
            timing.fmt_ratio(c["ratio"]),
        ]

    fl = report["flusher"]
    bg = fl["cpu_us_per_record"]
    batch = cells["batch"]
    rows: list[Any] = [
        row("baseline"),
        row("record"),
        row("record_full"),
        row("fsync"),
        row("batch"),
        [
            "  + the flusher thread's CPU per record",
            timing.fmt_us(batch["median_us"] + bg),
            "",
            timing.fmt_added(batch["added_us"] + bg),
            timing.fmt_ratio(batch["ratio"] + bg / base["median_us"]),
        ],
        "breakdown",
        row("null", indent="  "),
        row("record_none", indent="  "),
    ]
    out.append(
        timing.format_table(
            ["configuration", "median us", "p99 us", "added us", "vs no log"],
            rows,
            align="lrrrr",
        )
    )
    out.append(
        f"flusher (flush=batch): {fl['flushes']} flushes of {fl['records_per_flush']:.0f} "
        f"records on average, {timing.fmt_us(bg)} us CPU per record in its thread, "
        f"{fl['wall_ms_per_flush_median']:.1f} ms wall per flush (median, write + fsync)"
    )
    logs = report["logs"]
    total = sum(v["records"] for v in logs.values())
    ok = all(
        v["ok"] and not v["mismatched"] and v["records"] == v["evaluations"] for v in logs.values()
    )
    out.append(
        f"logs after close: {len(logs)} verified {'ok' if ok else 'NOT OK'}, {total} records, "
        "each the evaluation it stands for, in order ("
        + ", ".join(f"{k} {v['records']} / {v['bytes'] / 1e6:.1f} MB" for k, v in logs.items())
        + ")"
    )
    out.append("")

    r = report["replay"]
    runs = r["runs_s"]
    out.append("2. replay")
    out.append(
        f"log: {r['events']} events, payloads=full, flush=batch, {r['log_bytes'] / 1e6:.1f} MB, "
        f"written in {r['write_s']:.2f} s ({r['events'] / r['write_s']:,.0f} events/s, "
        f"evaluation included), verify {'ok' if r['verify_ok'] else 'NOT OK'}; decisions "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["old_decisions"].items()))
    )
    out.append(
        f"changed: {r['change']}: {r['changes']} decisions change ("
        + ", ".join(f"{k} {v}" for k, v in r["transitions"].items())
        + "), as direct evaluation of both policies predicts"
    )
    cli = r["cli_runs"]
    full, empty = cli["full"]["wall_s"], cli["empty"]["wall_s"]
    rrows: list[list[str]] = [
        [
            f"replay() in process, median of {len(runs)} runs",
            f"{r['median_s']:.3f}",
            f"{min(runs):.3f} .. {max(runs):.3f}",
            f"{r['events_per_s']:,.0f}",
        ],
        [
            "CLI end to end, once (start-up + compile + replay)",
            f"{full:.3f}",
            "",
            f"{r['events'] / full:,.0f}",
        ],
        ["CLI on an empty log, once (start-up + compile)", f"{empty:.3f}", "", ""],
        [
            "CLI difference (the replay itself)",
            f"{full - empty:.3f}",
            "",
            f"{r['events'] / (full - empty):,.0f}" if full > empty else "",
        ],
    ]
    out.append(
        timing.format_table(["replay of the log", "s", "range s", "events/s"], rrows, align="lrrr")
    )
    out.append(f"CLI: {r['cli']} replay LOG -p DIR --format json --no-progress")
    verdict = "PASS" if r["pass"] else "FAIL"
    out.append(
        f"{verdict}: replay of {r['events']} recorded events at {r['events_per_s']:,.0f} "
        f"events/s (median of {len(runs)} runs), goal >= {r['goal_events_per_s']:,.0f} events/s"
        f"; end to end through the CLI {r['events'] / full:,.0f} events/s"
    )
    out.append("")
    out.append("notes")
    out.append(
        f"  [1] median and p99 are over batch means (each batch ~{s['batch_us']:g} us of calls, "
        "so an fsync batch is one call), median over the repetitions; added us and the ratio "
        "are taken against the baseline timed in the same repetition; gc is off while timing."
    )
    out.append(
        f"  [2] p99 of a slow cell (flush=record: batches of {cells['record']['inner']}) takes "
        "in whole any pause of the process, e.g. a ~4 ms time slice lost to another process on "
        f"a shared machine; the baseline's batches of {cells['baseline']['inner']} dilute the "
        "same pause: compare medians."
    )
    out.append(
        f"  [3] times include the harness (next event, set its counter argument): "
        f"~{timing.fmt_us(cells['harness']['median_us'])} us, the same in every cell."
    )
    out.append(
        "  [4] flush=batch: the caller builds the record and queues it; chaining, writing "
        "and the fsync run in the flusher thread. Its CPU time holds the GIL, so it is added "
        "in the derived row; it runs whenever the interval ends, so some of it also lands in "
        "other cells' batches (their p99)."
    )
    return "\n".join(out)


def render_failed(report: dict[str, Any]) -> str:
    lines = ["check: FAILED"]
    lines += [f"  problem: {p}" for p in report["problems"]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and batches")
    parser.add_argument("--json", action="store_true", help="print JSON results instead")
    parser.add_argument("--rounds", type=int, help="timed batches per cell and repetition")
    args = parser.parse_args(argv)

    reps = 3 if args.quick else 5
    rounds = args.rounds or (80 if args.quick else 300)
    replay_runs = 3 if args.quick else 5
    batch_us = 200.0

    with tempfile.TemporaryDirectory(prefix="railguard-bench-audit-") as tmp:
        folder = Path(tmp)
        cells, meter = build_cells(folder / "timed")
        problems = check_decisions(cells)
        timed: dict[str, Any] = {}
        if not problems:
            timed = time_cells(cells, reps, rounds, batch_us)
        meter.drain()
        more, logs = check_logs(cells)
        problems += more
        replayed: dict[str, Any] = {}
        if not problems:
            more, replayed = run_replay(folder / "replay", replay_runs)
            problems += more

    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
        },
        "settings": {
            "reps": reps,
            "rounds": rounds,
            "batch_us": batch_us,
            "quick": args.quick,
            "replay_runs": replay_runs,
        },
        "folder": str(folder),
        "rules": railguard.load([POLICY_DIR]).rule_count,
        "labels": {c.key: c.label for c in cells},
        "cells": timed,
        "flusher": meter.summary(),
        "logs": logs,
        "replay": replayed,
        "problems": problems,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    elif problems:
        print(render_failed(report))
    else:
        print(render(report))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
