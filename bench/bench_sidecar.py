#!/usr/bin/env python3
"""Load-test `railguard serve` on loopback beside a trivial Starlette endpoint.

    python bench/bench_sidecar.py            # 3 rounds of 5 s per cell, memory at 20k and 200k
    python bench/bench_sidecar.py --quick    # 1 round of 2 s per cell, memory at 2k and 20k

Cells, each a server on a free 127.0.0.1 port, loaded by `wrk` (one thread, 16 keep-alive
connections, a fixed duration; the cells with the same worker count take turns, and each
reports the median of its rounds) with the same `send_payment` call on the
allowlist policy of `bench_evaluate.py`:

1. the trivial Starlette JSON endpoint on uvicorn (uvloop, httptools), one and two workers;
2. FastAPI with a pydantic body on the same server, one worker (when fastapi is installed);
3. the sidecar, one and two workers;

then the sidecar's resident memory after N and 10 N requests (one worker). It reports
requests/s, p50 and p99 latency, and each cell's ratio to the trivial endpoint with the same
number of workers, measured in this run. wrk and the servers share this machine's cores,
so the absolute numbers are lower than on a dedicated client. Without `wrk` on PATH
(`apt-get install wrk`; .ci/run installs it) every cell is skipped with a message.
The exit status does not depend on speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import timing  # noqa: E402
from bench_evaluate import POLICY  # noqa: E402

PY = sys.executable
RAILGUARD = str(Path(PY).with_name("railguard"))
CONCURRENCY = 16
EVENT = {
    "kind": "call",
    "tool": "send_payment",
    "args": {"reference": "INV-123456", "amount": 250, "currency": "EUR"},
}
GOAL_RATIO = 0.60
GOAL_MEMORY = 0.10

LUA = """
wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass
class Cell:
    name: str
    workers: int
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    skipped: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


class Server:
    def __init__(self, kind: str, workers: int, policy: Path) -> None:
        self.port = free_port()
        if kind == "sidecar":
            cmd = [RAILGUARD, "serve", str(policy), "--port", str(self.port)]
            cmd += ["--workers", str(workers)]
            self.ready = "/readyz"
        else:
            app = (
                "sidecar_baseline:trivial" if kind == "trivial" else "sidecar_baseline:fastapi_app"
            )
            cmd = [PY, "-m", "uvicorn", app, "--port", str(self.port), "--loop", "uvloop"]
            cmd += ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
            cmd += ["--app-dir", str(HERE), "--workers", str(workers)]
            if kind == "fastapi":
                cmd.append("--factory")
            self.ready = None
        env = dict(os.environ, RAILGUARD_TOKEN="")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
        )
        if self.ready:
            wait_ready(self.port, self.ready, self.proc)
        else:
            wait_port(self.port, self.proc)

    def rss_kib(self) -> int:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        m = re.search(r"VmRSS:\s+(\d+) kB", text)
        return int(m.group(1)) if m else 0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(0.5)  # let every worker start
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def wrk(port: int, script: Path, seconds: float) -> dict[str, float]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{CONCURRENCY}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
    ]
    cmd.append(f"http://127.0.0.1:{port}/v1/evaluate")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())

    def pct(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return float(m.group(1)) * scale

    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "errors": float(errors),
    }


def run_group(cells: list[Cell], policy: Path, script: Path, seconds: float, rounds: int) -> None:
    """Cells with the same worker count: all servers up, wrk runs interleaved by round.

    Each cell reports the median of its rounds, so that a slow phase of a shared machine
    hits every cell alike instead of landing on one of them.
    """
    servers: dict[str, Server] = {}
    results: dict[str, list[dict[str, float]]] = {c.name: [] for c in cells}
    try:
        for cell in cells:
            try:
                servers[cell.name] = Server(cell.name.split()[0], cell.workers, policy)
                wrk(servers[cell.name].port, script, 1.0)  # warm up
            except Exception as exc:  # report, keep going
                cell.skipped = f"failed: {exc}"
        live = [c for c in cells if c.name in servers]
        for r in range(rounds):
            for cell in live[r % len(live) :] + live[: r % len(live)] if live else []:
                results[cell.name].append(wrk(servers[cell.name].port, script, seconds))
    finally:
        for server in servers.values():
            server.stop()
    for cell in cells:
        got = results[cell.name]
        if cell.skipped or not got:
            continue
        cell.rps = statistics.median(x["rps"] for x in got)
        cell.p50_ms = statistics.median(x["p50_ms"] for x in got)
        cell.p99_ms = statistics.median(x["p99_ms"] for x in got)
        cell.errors = int(sum(x["errors"] for x in got))


def send(port: int, script: Path, count: int) -> int:
    """At least `count` requests, in wrk runs sized from the rate measured so far."""
    first = wrk(port, script, 1.0)
    sent, rate = int(first["requests"]), max(first["rps"], 100.0)
    while sent < count:
        secs = min(max((count - sent) / rate, 1.0), 60.0)
        result = wrk(port, script, secs)
        sent += int(result["requests"])
        rate = max(result["rps"], 100.0)
    return sent


def memory(policy: Path, script: Path, first: int) -> tuple[int, int, int, int]:
    """RSS (KiB) after `first` requests and after ten times as many, and the counts sent."""
    server = Server("sidecar", 1, policy)
    try:
        sent1 = send(server.port, script, first)
        rss1 = server.rss_kib()
        sent2 = sent1 + send(server.port, script, first * 10 - sent1)
        rss2 = server.rss_kib()
    finally:
        server.stop()
    return rss1, rss2, sent1, sent2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s cells, 2k/20k requests")
    parser.add_argument("--seconds", type=float, default=None, help="duration of a cell")
    parser.add_argument("--json", action="store_true", help="results as JSON")
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    first = 2_000 if args.quick else 20_000
    rounds = 1 if args.quick else 3

    print(
        f"railguard sidecar load test (loopback, wrk -t1 -c{CONCURRENCY}, {seconds:.0f} s per run, "
        f"median of {rounds} interleaved rounds)"
    )
    if shutil.which("wrk") is None:
        print("skipped: `wrk` is not on PATH (apt-get install wrk); no sidecar cell was measured")
        return 0
    try:
        import fastapi  # noqa: F401

        have_fastapi = True
    except ImportError:
        have_fastapi = False

    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "payments.rail"
        policy.write_text(POLICY)
        script = Path(tmp) / "post.lua"
        script.write_text(LUA % json.dumps(EVENT))
        cells = [
            Cell("trivial starlette", 1),
            Cell("sidecar", 1),
            Cell("trivial starlette", 2),
            Cell("sidecar", 2),
        ]
        if have_fastapi:
            cells.insert(1, Cell("fastapi pydantic", 1))
        else:
            print("note: fastapi is not installed; its cell is skipped")
        for workers in (1, 2):
            group = [c for c in cells if c.workers == workers]
            run_group(group, policy, script, seconds, rounds)
        rss1, rss2, sent1, sent2 = memory(policy, script, first)

    base = {c.workers: c.rps for c in cells if c.name.startswith("trivial") and c.rps}
    rows: list[list[object]] = []
    for c in cells:
        if c.skipped:
            rows.append([f"{c.name} ({c.workers}w)", c.skipped, None, None, None, None])
            continue
        ratio = (c.rps or 0) / base[c.workers] if base.get(c.workers) else None
        rows.append([f"{c.name} ({c.workers}w)", c.rps, c.p50_ms, c.p99_ms, ratio, c.errors])
    print(
        timing.format_table(
            ["cell (workers)", "req/s", "p50 ms", "p99 ms", "vs trivial", "errors"], rows
        )
    )
    growth = (rss2 - rss1) / rss1 if rss1 else float("nan")
    print(
        f"\nmemory (sidecar, 1 worker): {rss1 / 1024:.1f} MiB after {sent1:,} requests, "
        f"{rss2 / 1024:.1f} MiB after {sent2:,} ({growth:+.1%})"
    )
    print("\ngoals:")
    for c in cells:
        if c.name == "sidecar" and not c.skipped and base.get(c.workers):
            ratio = (c.rps or 0) / base[c.workers]
            verdict = "PASS" if ratio >= GOAL_RATIO else "FAIL"
            print(
                f"  {verdict}  sidecar {c.workers}w at {ratio:.0%} of the trivial endpoint (goal >= 60%)"
            )
    print(
        f"  {'PASS' if abs(growth) <= GOAL_MEMORY else 'FAIL'}  memory growth {growth:+.1%} (goal within 10%)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "cells": [c.__dict__ for c in cells],
                    "memory_kib": {"first": [sent1, rss1], "second": [sent2, rss2]},
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
