"""Property tests: the engine's session rules against a plain model of a sliding window.

Random traces of calls (tools, arguments, gaps that often land exactly on a window's edge)
run through a rate rule and a loop rule; the model says which calls must be allowed and,
for each denial, when the window frees. The engine must agree on every event.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

import railguard
from railguard.engine.stores import MemoryStore

WINDOW = 10.0
LIMIT = 3
POLICY = f"""
policy props {{
  rule rate:
    deny call * when session.count(tool, within: "{WINDOW:g}s") >= {LIMIT}
  rule loop:
    deny call * when session.repeats(within: "{WINDOW:g}s") >= 2
}}
"""
GUARD = railguard.loads(POLICY)

steps = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.5, 1.0, 2.5, 5.0, 10.0]),  # the gap since the last event
        st.sampled_from(["a", "b"]),
        st.sampled_from([{}, {"x": 1}, {"x": 2}]),
    ),
    max_size=25,
)


def model(trace: list[tuple[float, str, dict[str, int]]]) -> list[tuple[str, float | None]]:
    """(decision, retry_after) for each call, from first principles."""
    allowed: list[tuple[float, str, str]] = []  # (time, tool, args) of allowed calls
    out: list[tuple[str, float | None]] = []
    now = 0.0
    for gap, tool, args in trace:
        now += gap
        key = repr(sorted(args.items()))
        live = [c for c in allowed if c[0] > now - WINDOW]
        same_tool = sorted(t for t, name, _ in live if name == tool)
        same_call = sorted(t for t, name, a in live if name == tool and a == key)
        waits = []
        if len(same_tool) >= LIMIT:  # frees when all but LIMIT - 1 have left
            waits.append(same_tool[len(same_tool) - LIMIT] + WINDOW - now)
        if len(same_call) >= 2:
            waits.append(same_call[len(same_call) - 2] + WINDOW - now)
        if waits:
            out.append(("deny", math.ceil(max(waits) * 1000) / 1000))
        else:
            allowed.append((now, tool, key))
            out.append(("allow", None))
    return out


@settings(max_examples=150, deadline=None)
@given(steps)
def test_windows_match_the_model(trace: list[tuple[float, str, dict[str, int]]]) -> None:
    now = [1_700_000_000.0]
    guard = GUARD.with_sessions(MemoryStore(clock=lambda: now[0]))
    got = []
    for gap, tool, args in trace:
        now[0] += gap
        verdict = guard.evaluate({"kind": "call", "tool": tool, "args": args, "session": "p"})
        got.append((verdict.decision, verdict.retry_after))
    assert got == model(trace)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_a_call_retried_at_retry_after_is_not_denied_by_the_same_window(
    trace: list[tuple[float, str, dict[str, int]]],
) -> None:
    now = [1_700_000_000.0]
    store = MemoryStore(clock=lambda: now[0])
    guard = GUARD.with_sessions(store)
    for gap, tool, args in trace:
        now[0] += gap
        event = {"kind": "call", "tool": tool, "args": args, "session": "p"}
        verdict = guard.evaluate(event)
        if verdict.denied:
            assert verdict.retry_after is not None and verdict.retry_after > 0
            now[0] += verdict.retry_after
            assert guard.evaluate(event).allowed  # records it: the trace goes on from there


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.0, max_value=WINDOW), st.floats(min_value=0.0, max_value=5.0))
def test_retry_after_never_exceeds_the_window_when_another_evaluator_stamped_later(
    first: float, ahead: float
) -> None:
    """Two sidecars on one store: the calls were stamped by one whose clock read `ahead`
    seconds later than the evaluator that is denied. The wait is still within the window."""
    now = [1_700_000_000.0]
    guard = GUARD.with_sessions(MemoryStore(clock=lambda: now[0]))
    event = {"kind": "call", "tool": "a", "args": {}, "session": "p"}
    for i, gap in enumerate((0.0, first, 0.0)):
        now[0] += gap
        assert guard.evaluate({**event, "args": {"x": i}}).allowed
    now[0] -= ahead
    verdict = guard.evaluate({**event, "args": {"x": 9}})
    assert verdict.denied
    assert verdict.retry_after is not None and 0 < verdict.retry_after <= WINDOW
