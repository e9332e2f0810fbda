"""A flaky tool (fails, then recovers) driven through the engine on an injected clock, on the
in-memory store and on a real `redis-server`; and two processes on one Redis, where a
half-open breaker admits exactly one trial in total."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import railguard
from railguard.engine.breakers.metrics import METRICS
from railguard.engine.guard import Guard
from railguard.engine.stores import open_store

ROOT = Path(__file__).resolve().parents[3]
POLICY = """
policy flaky {
  default deny
  allow call run_sql, run_sql_replica
  breaker run_sql: open after 3 failures within "60s" for "30s" kinds timeout, unavailable max "100s"
    fallback run_sql_replica
}
"""
CALL = {"kind": "call", "tool": "run_sql", "args": {"query": "select 1"}, "session": "s-1"}
OK = {"kind": "result", "tool": "run_sql", "content": [{"n": 1}], "session": "s-1"}


def failure(kind: str = "timeout", **extra: Any) -> dict[str, Any]:
    return {**OK, "content": "", "error": {"kind": kind, **extra}}


def fail_times(guard: Guard, n: int, kind: str = "timeout") -> None:
    for _ in range(n):
        assert guard.evaluate(CALL).allowed
        guard.evaluate(failure(kind))


def test_flaky_tool_opens_half_opens_and_closes(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 2)
    assert guard.evaluate(CALL).allowed  # two failures: still closed
    guard.evaluate(failure())  # the third within 60 s opens it

    # open: denied at once, naming the breaker, the failures and the last error kind
    verdict = guard.evaluate(CALL)
    assert verdict.denied
    (v,) = verdict.violations
    assert v.rule == "flaky.breaker.run_sql"
    assert "3 failures within 60s" in v.message and "last error: timeout" in v.message
    assert v.details is not None and v.details["state"] == "open"
    assert v.details["failures"] == 3 and v.details["last_error"] == "timeout"
    assert verdict.retry_after == 30.0
    assert verdict.fallback == ("run_sql_replica",)
    clock.advance(12.5)
    assert guard.evaluate(CALL).retry_after == 17.5
    clock.advance(17.499)
    assert guard.evaluate(CALL).retry_after == 0.001

    # half-open: exactly one trial passes; the others wait for it
    clock.advance(0.001)
    assert guard.evaluate(CALL).allowed
    busy = guard.evaluate(CALL)
    assert busy.denied and busy.violations[0].details["state"] == "half_open"  # type: ignore[index]
    assert busy.retry_after == 1.0
    assert guard.evaluate(CALL).denied

    # the trial fails: open again, for twice as long
    guard.evaluate(failure("unavailable"))
    reopened = guard.evaluate(CALL)
    assert reopened.denied and reopened.retry_after == 60.0
    assert "trial call failed again (last error: unavailable)" in reopened.violations[0].message
    clock.advance(60)
    assert guard.evaluate(CALL).allowed  # the next trial
    guard.evaluate(failure())
    assert guard.evaluate(CALL).retry_after == 100.0  # 120 s, capped by `max`
    clock.advance(100)

    # the tool recovers: the trial succeeds and the breaker closes
    assert guard.evaluate(CALL).allowed
    guard.evaluate(OK)
    for _ in range(5):
        assert guard.evaluate(CALL).allowed
    # closed again with the base cool-down: three failures open it for 30 s
    fail_times(guard, 3)
    assert guard.evaluate(CALL).retry_after == 30.0

    moves = {(old, new): n for (_, _, old, new), n in METRICS.transitions.items()}
    assert moves == {
        ("closed", "open"): 2,
        ("open", "half_open"): 3,
        ("half_open", "open"): 2,
        ("half_open", "closed"): 1,
    }


def test_failures_outside_the_window_and_other_kinds_do_not_open_it(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 2)
    clock.advance(61)  # those two leave the window
    fail_times(guard, 2)
    assert guard.evaluate(CALL).allowed
    guard.evaluate(failure("bad_request"))  # not a kind this breaker counts
    guard.evaluate(failure("rate_limited"))
    assert guard.evaluate(CALL).allowed
    guard.evaluate(failure())
    assert guard.evaluate(CALL).denied


def test_a_reported_retry_after_lengthens_the_cool_down(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 2)
    guard.evaluate(failure("timeout", retry_after=75))
    assert guard.evaluate(CALL).retry_after == 75.0
    fail_times_guard = make_guard(POLICY.replace("flaky", "other"))
    fail_times(fail_times_guard, 2)
    fail_times_guard.evaluate(failure("timeout", retry_after=5000))
    assert fail_times_guard.evaluate(CALL).retry_after == 100.0  # capped by `max`


def test_several_trials_all_must_succeed(make_guard: Callable[..., Guard], clock: Any) -> None:
    guard = make_guard(POLICY.replace('max "100s"', 'max "100s" trials 2'))
    fail_times(guard, 3)
    clock.advance(30)
    assert guard.evaluate(CALL).allowed
    assert guard.evaluate(CALL).allowed
    assert guard.evaluate(CALL).denied  # two trials at a time
    guard.evaluate(OK)
    assert guard.evaluate(CALL).denied  # one trial passed, one still out
    guard.evaluate(OK)
    assert guard.evaluate(CALL).allowed  # both passed: closed


def test_a_trial_the_policy_denies_is_given_back(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    policy = POLICY.replace(
        "fallback run_sql_replica",
        'fallback run_sql_replica\n  deny call run_sql when args.query matches /drop/ message "no"',
    )
    guard = make_guard(policy)
    fail_times(guard, 3)
    clock.advance(30)
    assert guard.evaluate({**CALL, "args": {"query": "drop t"}}).denied  # not a trial
    assert guard.evaluate(CALL).allowed  # so the trial is still free


def test_a_trial_whose_result_never_comes_is_given_up(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 3)
    clock.advance(30)
    assert guard.evaluate(CALL).allowed
    clock.advance(29)
    assert guard.evaluate(CALL).denied
    clock.advance(1)  # one base cool-down later, a new trial
    assert guard.evaluate(CALL).allowed


def test_rate_form_needs_the_minimum_number_of_calls(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(
        """
policy rates {
  breaker search: open at 50% failures of at least 10 calls within "60s" for "20s"
}
"""
    )
    call = {**CALL, "tool": "search"}
    ok = {**OK, "tool": "search"}
    bad = {**failure(), "tool": "search"}
    for _ in range(4):
        guard.evaluate(bad)
    assert guard.evaluate(call).allowed  # 4 of 4 failed, but fewer than 10 calls
    for _ in range(5):
        guard.evaluate(ok)
    guard.evaluate(bad)  # 5 of 10 failed: 50%
    verdict = guard.evaluate(call)
    assert verdict.denied and verdict.retry_after == 20.0
    assert "5 of 10 calls failed within 60s" in verdict.violations[0].message


def test_scopes_keep_health_apart(make_guard: Callable[..., Guard], clock: Any) -> None:
    guard = make_guard(POLICY.replace('max "100s"', 'max "100s" per tenant'))
    acme = {"context": {"tenant": "acme"}}
    globex = {"context": {"tenant": "globex"}}
    for _ in range(3):
        guard.evaluate({**failure(), **acme})
    assert guard.evaluate({**CALL, **acme}).denied
    assert guard.evaluate({**CALL, **globex}).allowed
    per_session = make_guard(POLICY.replace('max "100s"', 'max "100s" per session'))
    for _ in range(3):
        per_session.evaluate(failure())
    assert per_session.evaluate(CALL).denied
    assert per_session.evaluate({**CALL, "session": "s-2"}).allowed


def test_other_tools_and_events_are_untouched(make_guard: Callable[..., Guard]) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 3)
    assert guard.evaluate({**CALL, "tool": "run_sql_replica"}).allowed
    assert guard.evaluate({"kind": "input", "content": "hi", "session": "s-1"}).allowed
    assert guard.evaluate(OK).allowed  # a result is never denied by a breaker


# ---- two processes on one Redis ------------------------------------------------------------

WORKER = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import railguard
from railguard.engine.stores import open_store

url, start, now, count, policy = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
guard = railguard.loads(policy, sessions=open_store(url, clock=lambda: now))
call = {"kind": "call", "tool": "run_sql", "args": {"query": "select 1"}, "session": "s-1"}
guard.evaluate({**call, "tool": "run_sql_replica"})  # warm up
time.sleep(max(0.0, start - time.time()))
with ThreadPoolExecutor(count) as pool:
    verdicts = list(pool.map(lambda i: guard.evaluate(call), range(count)))
print(json.dumps([[v.decision, [x.rule for x in v.violations]] for v in verdicts]))
"""


def test_two_processes_admit_exactly_one_trial(redis_url: str) -> None:
    t0 = 1_700_000_000.0
    guard = railguard.loads(POLICY, sessions=open_store(redis_url, clock=lambda: t0))
    fail_times(guard, 3)
    assert guard.evaluate(CALL).denied
    start = time.time() + 3.0  # both processes import and compile before it
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_url, str(start), str(t0 + 31), "20", POLICY],
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
    assert len(results) == 40
    assert [d for d, _ in results].count("allow") == 1, results
    assert all(rules == ["flaky.breaker.run_sql"] for d, rules in results if d == "deny")


def test_threads_racing_a_half_open_breaker_get_one_trial(
    make_guard: Callable[..., Guard], clock: Any
) -> None:
    guard = make_guard(POLICY)
    fail_times(guard, 3)
    clock.advance(30)
    with ThreadPoolExecutor(16) as pool:
        verdicts = list(pool.map(lambda i: guard.evaluate(CALL), range(40)))
    assert sum(v.allowed for v in verdicts) == 1
