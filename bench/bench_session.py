#!/usr/bin/env python3
"""The added cost of one session rule per evaluation, with the memory and the Redis store.

    python bench/bench_session.py            # 5 repetitions of 300 timed batches per cell
    python bench/bench_session.py --quick    # 3 repetitions of 80 batches (smoke test)
    python bench/bench_session.py --json     # machine-readable results on stdout

One policy (an allow list and three argument checks on `send_payment`, plus a content check
on results) is loaded twice: as it is (the baseline: no session rule, so no store at all)
and with one more rule, the loop breaker

    deny call * when session.repeats(within: "60s") >= 3

once with the in-memory store (`memory://`) and once with Redis on loopback (a
`redis-server` this bench starts on a free 127.0.0.1 port and stops at the end; without
`redis-server` on PATH those cells print "redis: skipped (redis-server not installed)").

Events are `call`s of three tools, round-robin over 1000 session ids; one argument of each
call is a fresh counter value, so no call repeats: every call is allowed, so every
evaluation loads its session and saves the call it adds (compare-and-set). A session's cost
grows with the calls it keeps, so each session is first filled with DEPTH calls (spread
over the 10 minutes before the run) and the store's `max_calls=DEPTH` keeps it at that
depth while the bench adds calls. Also timed: a `result` event with no `context.cost`,
which adds nothing to the session and whose rules read none, so the engine does not touch
the store; and the same `call` cell at other history depths (1, 100, 1000 calls: 1000 is
the stores' default `max_calls`, the steady state of any long session).

Before timing, a pass through a counting wrapper around each store checks the decisions
and the store operations per evaluation (1 load + 1 save per call, none per result).
All cells are timed in one interleaved pool (timing.measure_interleaved), repeated; each
cell's median and p99 are the median over the repetitions, and each added cost and ratio
is taken within a repetition, against the baseline timed beside it, then the median over
repetitions. The exit status does not depend on speed (1 when a check fails).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
from railguard.engine.session_state import Call, SessionState  # noqa: E402
from railguard.engine.stateful import session_key  # noqa: E402

# ---------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------

BASE_RULES = """\
  default deny
  allow call search_invoices, get_invoice, send_payment

  rule reference_format:
    deny call send_payment unless args.reference matches /^INV-[0-9]{6}$/
      message "payment reference {args.reference} is not an invoice number"
  rule amount_range:
    deny call send_payment unless args.amount >= 1 and args.amount <= 10000
      message "amount {args.amount} is outside 1..10000"
  rule currency_allowed:
    deny call send_payment unless args.currency in {"USD", "EUR", "GBP"}
      message "currency {args.currency} is not allowed"
  rule no_private_keys:
    deny result * when contains(content, "BEGIN PRIVATE KEY")
      message "a tool result holds a private key"
"""

SESSION_RULE_TEXT = 'deny call * when session.repeats(within: "60s") >= 3'
SESSION_RULE = f"""
  rule no_loops:
    {SESSION_RULE_TEXT}
      message "the same call ran 3 times in 60 s"
"""

POLICY = "policy agent {\n" + BASE_RULES + "}\n"
POLICY_WITH_SESSION = "policy agent {\n" + BASE_RULES + SESSION_RULE + "}\n"

SESSIONS = 1000
MAIN_DEPTH = 20  # calls each session holds in the main table
DEPTHS = (1, MAIN_DEPTH, 100, 1000)  # the history-depth table
DEEP_SESSIONS = 100  # sessions of the 1000-call cells (1000 x 1000 calls would be ~200 MB)
SEED_SPREAD_S = 600.0  # pre-filled calls are spread over the 10 minutes before the run

_seq = itertools.count()  # the varying argument: unique across every evaluation of the run


def call_pool(sessions: int) -> list[tuple[ToolCall, str]]:
    """One call event per session (three tools in turn) and the argument a counter varies."""
    pool: list[tuple[ToolCall, str]] = []
    for i in range(sessions):
        sid = f"sess-{i:05d}"
        ctx = {"tenant": "acme"}
        shape = i % 3
        if shape == 0:
            args: dict[str, Any] = {
                "reference": f"INV-{i:06d}",
                "amount": 10 + i % 900,
                "currency": ("USD", "EUR", "GBP")[i // 3 % 3],
                "idempotency_key": 0,
            }
            pool.append(
                (
                    ToolCall(tool="send_payment", args=args, session=sid, context=ctx),
                    "idempotency_key",
                )
            )
        elif shape == 1:
            args = {"id": f"INV-{i:06d}", "attempt": 0}
            pool.append(
                (ToolCall(tool="get_invoice", args=args, session=sid, context=ctx), "attempt")
            )
        else:
            args = {"query": f"vendor {i % 37}", "page": 0, "per_page": 20}
            pool.append(
                (ToolCall(tool="search_invoices", args=args, session=sid, context=ctx), "page")
            )
    return pool


def result_pool(sessions: int) -> list[ToolResult]:
    content = "INV-000042: 3 lines, total 1250.00 EUR, due 2026-01-31, vendor ACME GmbH"
    return [
        ToolResult(
            tool="get_invoice", content=content, session=f"sess-{i:05d}", context={"tenant": "acme"}
        )
        for i in range(sessions)
    ]


def call_stepper(evaluate: Callable[[Any], Any], sessions: int) -> Callable[[], Any]:
    """The next call of the round-robin, its counter argument set to a fresh value."""
    pool = call_pool(sessions)
    n = len(pool)
    pos = itertools.count()
    seq = _seq

    def step() -> Any:
        event, key = pool[next(pos) % n]
        event.args[key] = next(seq)
        return evaluate(event)

    return step


def result_stepper(evaluate: Callable[[Any], Any], sessions: int) -> Callable[[], Any]:
    """The next result of the round-robin (with the same harness work as `call_stepper`)."""
    pool = result_pool(sessions)
    n = len(pool)
    pos = itertools.count()
    seq = _seq

    def step() -> Any:
        event = pool[next(pos) % n]
        next(seq)
        return evaluate(event)

    return step


def _noop(_event: Any) -> None:
    return None


# ---------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """A throwaway `redis-server` on a free loopback port (as tests/redis_server.py)."""

    def __init__(self, binary: str, folder: str) -> None:
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, query: str = "") -> str:
        return f"redis://127.0.0.1:{self.port}/0" + (f"?{query}" if query else "")

    def version(self) -> str:
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout
        word = next((w for w in out.split() if w.startswith("v=")), "v=?")
        return word[2:]

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", self.folder, "--protected-mode", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_server() -> Iterator[tuple[RedisServer | None, str | None]]:
    """The running server, or None and why the Redis cells are skipped."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None, "redis-server not installed"
        return
    try:
        import redis  # noqa: F401
    except ImportError:
        yield None, "the redis Python package is not installed"
        return
    with tempfile.TemporaryDirectory(prefix="railguard-bench-redis-") as folder:
        server = RedisServer(binary, folder)
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            yield None, f"redis-server did not start ({exc})"
            return
        try:
            yield server, None
        finally:
            server.stop()


# ---------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------


class CountingStore:
    """A store wrapper that counts loads and saves (for the untimed check only)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.settings = inner.settings
        self.clock = inner.clock
        self.blocking = inner.blocking
        self.loads = 0
        self.saves = 0
        self.failed_saves = 0

    def load(self, key: str) -> Any:
        self.loads += 1
        return self.inner.load(key)

    def save(self, key: str, version: int, state: SessionState) -> bool:
        self.saves += 1
        done = bool(self.inner.save(key, version, state))
        self.failed_saves += not done
        return done

    def close(self) -> None:
        self.inner.close()


@dataclass
class Config:
    name: str  # "memory" or "redis"
    depth: int
    sessions: int
    guard: Any
    checks: dict[str, Any] = field(default_factory=dict)


def seed(guard: Any, depth: int, sessions: int) -> None:
    """Fill every session of the round-robin with `depth` earlier calls (unique arguments)."""
    store = guard.sessions
    now = store.clock()
    step = SEED_SPREAD_S / depth
    for i, (event, _key) in enumerate(call_pool(sessions)):
        key = session_key(event)
        assert key is not None
        calls = tuple(
            Call(now - SEED_SPREAD_S + j * step, event.tool, f"{i:08x}{j:08x}")
            for j in range(depth)
        )
        version, _state = store.load(key)
        if not store.save(key, version, SessionState(calls=calls)):
            raise RuntimeError(f"could not seed session {key}")


def build_config(name: str, url: str, depth: int, sessions: int) -> Config:
    guard = railguard.loads(POLICY_WITH_SESSION, sessions=url)
    if guard.sessions is None or guard.sessions.settings.max_calls != depth:
        raise SystemExit(f"error: {url} did not give a store keeping {depth} calls")
    seed(guard, depth, sessions)
    return Config(name, depth, sessions, guard)


def check_config(cfg: Config, baseline: Any, passes: int = 2) -> list[str]:
    """Untimed: decisions as the baseline's, store operations per event, depth held."""
    problems: list[str] = []
    counting = CountingStore(cfg.guard.sessions)
    twin = cfg.guard.with_sessions(counting)
    n = cfg.sessions * passes
    decisions: list[str] = []
    calls = call_stepper(lambda e: decisions.append(twin.evaluate(e).decision), cfg.sessions)
    for _ in range(n):
        calls()
    base_decisions: list[str] = []
    base = call_stepper(lambda e: base_decisions.append(baseline.evaluate(e).decision), 3)
    for _ in range(3):
        base()
    if set(decisions) != {"allow"} or set(base_decisions) != {"allow"}:
        problems.append(
            f"{cfg.name} depth {cfg.depth}: call decisions {sorted(set(decisions))}, "
            f"baseline {sorted(set(base_decisions))}, expected only allow"
        )
    call_ops = (counting.loads / n, counting.saves / n, counting.failed_saves)
    if call_ops != (1.0, 1.0, 0):
        problems.append(f"{cfg.name} depth {cfg.depth}: call store ops {call_ops}")
    counting.loads = counting.saves = 0
    results: list[str] = []
    step = result_stepper(lambda e: results.append(twin.evaluate(e).decision), cfg.sessions)
    for _ in range(cfg.sessions):
        step()
    result_ops = (counting.loads / cfg.sessions, counting.saves / cfg.sessions)
    if set(results) != {"allow"} or result_ops != (0.0, 0.0):
        problems.append(
            f"{cfg.name} depth {cfg.depth}: result decisions {sorted(set(results))}, "
            f"store ops {result_ops}"
        )
    event, _ = call_pool(1)[0]
    key = session_key(event)
    assert key is not None
    _version, state = cfg.guard.sessions.load(key)
    held = len(state.calls) if state is not None else 0
    if held != cfg.depth:
        problems.append(f"{cfg.name} depth {cfg.depth}: a session holds {held} calls")
    cfg.checks = {
        "call_loads_per_eval": call_ops[0],
        "call_saves_per_eval": call_ops[1],
        "result_loads_per_eval": result_ops[0],
        "result_saves_per_eval": result_ops[1],
        "calls_held": held,
        "state_json_bytes": len(state.to_json()) if state is not None else 0,
    }
    return problems


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------

BASE_CALL = ("call", "baseline", 0)
BASE_RESULT = ("result", "baseline", 0)
HARNESS = ("call", "harness", 0)


def time_cells(
    baseline: Any, configs: list[Config], reps: int, rounds: int, batch_us: float
) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Every cell in one interleaved pool, `reps` times; per cell the median over reps."""
    fns: dict[tuple[str, str, int], Callable[[], object]] = {
        BASE_CALL: call_stepper(baseline.evaluate, SESSIONS),
        BASE_RESULT: result_stepper(baseline.evaluate, SESSIONS),
        HARNESS: call_stepper(_noop, SESSIONS),
    }
    for cfg in configs:
        fns["call", cfg.name, cfg.depth] = call_stepper(cfg.guard.evaluate, cfg.sessions)
        if cfg.depth == MAIN_DEPTH:
            fns["result", cfg.name, cfg.depth] = result_stepper(cfg.guard.evaluate, cfg.sessions)
    per_rep: list[dict[tuple[str, str, int], timing.Stats]] = []
    for _ in range(reps):
        per_rep.append(
            timing.measure_interleaved(fns, rounds=rounds, inner=None, target_batch_us=batch_us)
        )
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for cell in fns:
        base = BASE_RESULT if cell[0] == "result" else BASE_CALL
        medians = [r[cell].median_us for r in per_rep]
        out[cell] = {
            "median_us": statistics.median(medians),
            "p99_us": statistics.median(r[cell].p99_us for r in per_rep),
            "added_us": statistics.median(r[cell].median_us - r[base].median_us for r in per_rep),
            "ratio": statistics.median(r[cell].median_us / r[base].median_us for r in per_rep),
            "rep_medians_us": medians,
            "inner": per_rep[-1][cell].inner,
        }
    return out


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    s = report["settings"]
    cells = report["cells"]
    out = [
        f"Railguard session-state benchmark: Python {m['python']} on {m['platform']}, "
        f"{m['cpus']} cpus; {s['reps']} repetitions x {s['rounds']} timed batches per cell"
        f"{' (--quick)' if s['quick'] else ''}",
        "policy: allow list + 3 argument checks on send_payment + 1 content check on results",
        f"session rule added: {SESSION_RULE_TEXT}",
        f"events: calls of 3 tools round-robin over {SESSIONS} sessions, one argument a fresh "
        "counter (every call allowed, loaded and saved)",
        f"history: each session pre-filled to {MAIN_DEPTH} calls, held there by the store's "
        f"max_calls={MAIN_DEPTH} (other depths below)",
    ]
    redis_line = report["redis"]
    out.append(f"redis: {redis_line}")
    out.append("")

    checks = report["checks"]
    out.append("check (untimed, through a counting store): " + ("OK" if checks["ok"] else "FAILED"))
    for name, c in checks["stores"].items():
        out.append(
            f"  {name}: call {c['call_loads_per_eval']:g} load + {c['call_saves_per_eval']:g} "
            f"save per evaluation, all allowed; result without cost "
            f"{c['result_loads_per_eval']:g} load + {c['result_saves_per_eval']:g} save; "
            f"{c['calls_held']} calls held ({c['state_json_bytes']} bytes as JSON)"
        )
    out.extend(f"  problem: {p}" for p in checks["problems"])
    out.append("")

    def row(label: str, cell: tuple[str, str, int]) -> list[str]:
        c = cells.get(_key(cell))
        if c is None:
            return [label, "skipped", "", "", ""]
        is_base = cell[1] == "baseline"
        return [
            label,
            timing.fmt_us(c["median_us"]),
            timing.fmt_us(c["p99_us"]),
            "" if is_base else timing.fmt_added(c["added_us"]),
            "1.00x" if is_base else timing.fmt_ratio(c["ratio"]),
        ]

    rows: list[Any] = ["call (allowed: the session rule loads, decides, saves the call)"]
    rows.append(row("  baseline, no session rule", BASE_CALL))
    rows.append(row("  + session rule, memory://", ("call", "memory", MAIN_DEPTH)))
    rows.append(row("  + session rule, redis loopback", ("call", "redis", MAIN_DEPTH)))
    rows.append("result, no context.cost (adds nothing, no rule reads the session: no store trip)")
    rows.append(row("  baseline, no session rule", BASE_RESULT))
    rows.append(row("  + session rule, memory://", ("result", "memory", MAIN_DEPTH)))
    rows.append(row("  + session rule, redis loopback", ("result", "redis", MAIN_DEPTH)))
    out.append(f"per evaluation, sessions holding {MAIN_DEPTH} calls")
    out.append(
        timing.format_table(
            ["event / configuration", "median us", "p99 us", "added us", "vs baseline"],
            rows,
            align="lrrrr",
        )
    )
    out.append("")

    base = cells[_key(BASE_CALL)]["median_us"]
    drows: list[list[str]] = []
    for depth in DEPTHS:
        line = [str(depth), str(DEEP_SESSIONS if depth >= 1000 else SESSIONS)]
        for name in ("memory", "redis"):
            c = cells.get(_key(("call", name, depth)))
            line += (
                ["skipped", "", ""]
                if c is None
                else [
                    timing.fmt_us(c["median_us"]),
                    timing.fmt_added(c["added_us"]),
                    timing.fmt_ratio(c["ratio"]),
                ]
            )
        drows.append(line)
    out.append(
        f"call by history depth (calls each session holds); baseline median {timing.fmt_us(base)} us"
    )
    out.append(
        timing.format_table(
            ["calls held", "sessions", "memory us", "added", "ratio", "redis us", "added", "ratio"],
            drows,
            align="rrrrrrrr",
        )
    )
    out.append("")
    out.append("notes")
    out.append(
        f"  [1] median and p99 are over batch means (each batch ~{s['batch_us']:g} us of calls, "
        "so a Redis batch is 1-2 calls), median over the repetitions; added us and the ratio are "
        "taken against the baseline timed in the same repetition; gc is off while timing."
    )
    out.append(
        f"  [2] times include the harness (next event, set its counter argument): "
        f"~{timing.fmt_us(cells[_key(HARNESS)]['median_us'])} us, the same in every cell."
    )
    out.append(
        f"  [3] the {DEPTHS[-1]}-call cells use {DEEP_SESSIONS} sessions (1000 x 1000 calls "
        f"would hold ~200 MB in memory), the others {SESSIONS}; pre-filled calls are spread over the {SEED_SPREAD_S / 60:g} minutes before "
        "the run, so most sit outside the 60 s window but are still kept, loaded and saved."
    )
    return "\n".join(out)


def _key(cell: tuple[str, str, int]) -> str:
    return f"{cell[0]}/{cell[1]}/{cell[2]}"


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and batches")
    parser.add_argument("--json", action="store_true", help="print JSON results instead")
    parser.add_argument("--rounds", type=int, help="timed batches per cell and repetition")
    args = parser.parse_args(argv)

    reps = 3 if args.quick else 5
    rounds = args.rounds or (80 if args.quick else 300)
    batch_us = 200.0

    baseline = railguard.loads(POLICY)
    assert baseline.sessions is None, "the baseline policy must not keep session state"

    with redis_server() as (server, skipped):
        configs: list[Config] = []
        for depth in DEPTHS:
            sessions = DEEP_SESSIONS if depth >= 1000 else SESSIONS
            configs.append(build_config("memory", f"memory://?max_calls={depth}", depth, sessions))
            if server is not None:
                url = server.url(f"max_calls={depth}&prefix=bench-d{depth}")
                configs.append(build_config("redis", url, depth, sessions))
        if server is not None:
            redis_line = (
                f"redis-server {server.version()} on 127.0.0.1:{server.port} "
                "(loopback, started and stopped by this bench)"
            )
        else:
            redis_line = f"skipped ({skipped})"

        problems: list[str] = []
        stores: dict[str, Any] = {}
        for cfg in configs:
            problems += check_config(cfg, baseline)
            if cfg.depth == MAIN_DEPTH:
                stores[cfg.name] = cfg.checks
        cells: dict[tuple[str, str, int], dict[str, Any]] = {}
        if not problems:
            cells = time_cells(baseline, configs, reps, rounds, batch_us)
        for cfg in configs:
            cfg.guard.sessions.close()

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
            "sessions": SESSIONS,
            "main_depth": MAIN_DEPTH,
            "depths": list(DEPTHS),
            "deep_sessions": DEEP_SESSIONS,
        },
        "policy": POLICY,
        "policy_with_session": POLICY_WITH_SESSION,
        "redis": redis_line,
        "checks": {"ok": not problems, "problems": problems, "stores": stores},
        "cells": {_key(k): v for k, v in cells.items()},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    elif problems:
        print(render_failed(report))
    else:
        print(render(report))
    return 1 if problems else 0


def render_failed(report: dict[str, Any]) -> str:
    lines = [f"redis: {report['redis']}", "check: FAILED (nothing timed)"]
    lines += [f"  problem: {p}" for p in report["checks"]["problems"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
