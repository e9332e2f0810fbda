"""Session rules under concurrency and across processes: check and record are atomic, so a
limit of 10 lets exactly 10 of 50 racing calls through, whichever process they reach."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import railguard

ROOT = Path(__file__).resolve().parents[3]
LIMIT = """
policy limits {
  rule rate:
    deny call send_email when session.count("send_email", within: "1m") >= 10
      message "at most 10 e-mails a minute"
}
"""

# One engine in its own OS process: wait for the start time, then fire its share of the
# calls from as many threads, and print the decisions.
WORKER = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import railguard

url, start, count, policy = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
guard = railguard.loads(policy, sessions=url)
event = {"kind": "call", "tool": "send_email", "args": {"to": "a@acme.com"}, "session": "race"}
guard.evaluate({**event, "session": "warm-up"})
time.sleep(max(0.0, start - time.time()))
with ThreadPoolExecutor(count) as pool:
    verdicts = list(pool.map(lambda i: guard.evaluate({**event, "args": {"to": f"{i}@acme.com"}}), range(count)))
print(json.dumps([[v.decision, v.retry_after, [x.error for x in v.violations]] for v in verdicts]))
"""


def test_threads_sharing_one_engine_respect_the_limit(store_url: str) -> None:
    guard = railguard.loads(LIMIT, sessions=store_url)
    event = {"kind": "call", "tool": "send_email", "args": {}, "session": "race"}
    with ThreadPoolExecutor(25) as pool:
        verdicts = list(pool.map(lambda i: guard.evaluate({**event, "args": {"n": i}}), range(50)))
    assert sum(v.allowed for v in verdicts) == 10
    denied = [v for v in verdicts if v.denied]
    assert all(
        v.violations[0].rule == "limits.rate" and v.violations[0].error is None for v in denied
    )
    assert all(v.retry_after is not None and 0 < v.retry_after <= 60 for v in denied)


def test_two_processes_sharing_redis_enforce_one_limit(redis_url: str) -> None:
    start = time.time() + 3.0  # both processes import and compile before it
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_url, str(start), "25", LIMIT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    results = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err.decode()
        results += json.loads(out)
    assert len(results) == 50
    decisions = [decision for decision, _, _ in results]
    assert decisions.count("allow") == 10, decisions
    for decision, retry_after, errors in results:
        if decision == "deny":
            assert errors == [None]  # denied by the limit, not by a store error
            assert retry_after is not None and 0 < retry_after <= 60
    # and the store holds exactly the 10 allowed calls
    guard = railguard.loads(LIMIT, sessions=redis_url)
    check = guard.evaluate({"kind": "call", "tool": "send_email", "args": {}, "session": "race"})
    assert check.denied
