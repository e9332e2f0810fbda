"""Tiny stdlib-only timing helper for the Railguard benchmarks.

``measure(fn, rounds=..., inner=...)`` calls the zero-argument ``fn`` in
batches of ``inner`` calls, times each batch with ``time.perf_counter_ns``,
and reports the per-call median and p99 in microseconds.

Why batches: one ``perf_counter_ns`` pair costs about as much as the
fastest decisions we time (a few hundred ns), so timing single calls would
mostly measure the clock. Each round times ``inner`` back-to-back calls and
divides, which amortizes the timer. The price is that the percentiles are
percentiles of *batch means*: p99 here is "the 99th percentile of the
per-call cost averaged over a batch of ``inner`` calls", which smooths
one-off spikes inside a batch. ``inner=None`` sizes batches automatically
to about ``target_batch_us`` so that slow and fast functions get comparable
batch lengths (and small batches for slow functions, where the timer is
negligible anyway).

``measure_interleaved({key: fn})`` times several functions in turns (a few
batches of each per turn, in rotating order) so that slow phases of a
shared or throttled machine hit all of them alike: use it when the point is
to compare them. (On the 2-core VM this was written on, the whole machine
runs about 2x slower for seconds at a time; timed one after the other, two
functions could land in different phases.)

The garbage collector is disabled while measuring (and restored after), so
a collection triggered by someone else's garbage does not land in our p99.
Pass ``disable_gc=False`` for workloads where collections are part of the
real cost (e.g. compiling a large policy).
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)

__all__ = [
    "Stats",
    "calibrate_inner",
    "format_table",
    "measure",
    "measure_interleaved",
    "percentile",
]


@dataclass(frozen=True)
class Stats:
    """Per-call timings of one measured function, in microseconds."""

    median_us: float
    p99_us: float
    mean_us: float
    min_us: float
    max_us: float
    rounds: int
    inner: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of an already sorted sequence."""
    if not sorted_values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in 0..100, got {q}")
    n = len(sorted_values)
    # nearest rank: the smallest value with at least q% of the data at or below it
    rank = max(1, -(-q * n // 100))  # ceil(q*n/100), at least 1
    return sorted_values[int(rank) - 1]


def _time_batch(fn: Callable[[], object], inner: int) -> int:
    """Nanoseconds taken by ``inner`` calls of ``fn``."""
    repeat = itertools.repeat
    clock = time.perf_counter_ns
    start = clock()
    for _ in repeat(None, inner):
        fn()
    return clock() - start


def calibrate_inner(
    fn: Callable[[], object], *, target_batch_us: float = 200.0, max_inner: int = 100_000
) -> int:
    """How many calls of ``fn`` fill a batch of about ``target_batch_us``."""
    inner = 1
    while True:
        elapsed = _time_batch(fn, inner)
        if elapsed >= target_batch_us * 1_000 / 4 or inner >= max_inner:
            break
        inner *= 4
    per_call_ns = max(elapsed / inner, 1.0)
    return max(1, min(max_inner, round(target_batch_us * 1_000 / per_call_ns)))


def measure(
    fn: Callable[[], object],
    *,
    rounds: int,
    inner: int | None,
    warmup: int | None = None,
    target_batch_us: float = 200.0,
    disable_gc: bool = True,
) -> Stats:
    """Time ``fn()`` and return per-call statistics in microseconds.

    ``rounds`` batches are timed, each of ``inner`` calls (``None``: sized
    automatically, see :func:`calibrate_inner`). Before timing, ``warmup``
    batches run untimed (default: a tenth of ``rounds``, at least 1) so that
    caches, lazy initialisation and the specialising interpreter settle.
    """
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    if inner is None:
        inner = calibrate_inner(fn, target_batch_us=target_batch_us)
    if inner < 1:
        raise ValueError("inner must be >= 1")
    if warmup is None:
        warmup = max(1, rounds // 10)

    for _ in range(warmup):
        _time_batch(fn, inner)

    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.collect()
        gc.disable()
    try:
        samples_ns = [_time_batch(fn, inner) for _ in range(rounds)]
    finally:
        if disable_gc and gc_was_enabled:
            gc.enable()

    return _stats(samples_ns, inner)


def measure_interleaved(
    fns: Mapping[K, Callable[[], object]],
    *,
    rounds: int,
    inner: int | None,
    block: int = 10,
    warmup: int | None = None,
    target_batch_us: float = 200.0,
    disable_gc: bool = True,
) -> dict[K, Stats]:
    """Like :func:`measure` for several functions at once, interleaved.

    The functions take turns, in rotating order: each turn runs one untimed
    batch (to re-warm caches after the other functions ran) and then times
    ``block`` batches, until every function has ``rounds`` timed batches.
    Batch sizes are per function (``inner=None`` calibrates each to about
    ``target_batch_us``). Turns of ``block`` batches rather than single
    batches matter: a slow function's batch is one or two calls, and timing
    only calls that directly follow another library's would measure cold
    caches, not the function.
    """
    if rounds < 1 or block < 1:
        raise ValueError("rounds and block must be >= 1")
    names = list(fns)
    inners = {
        n: inner if inner is not None else calibrate_inner(fns[n], target_batch_us=target_batch_us)
        for n in names
    }
    if any(i < 1 for i in inners.values()):
        raise ValueError("inner must be >= 1")
    if warmup is None:
        warmup = max(1, rounds // 10)
    for n in names:
        for _ in range(warmup):
            _time_batch(fns[n], inners[n])

    samples: dict[K, list[int]] = {n: [] for n in names}
    k = len(names)
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.collect()
        gc.disable()
    try:
        turn = 0
        while any(len(v) < rounds for v in samples.values()):
            for j in range(k):
                n = names[(turn + j) % k]
                want = min(block, rounds - len(samples[n]))
                if want <= 0:
                    continue
                fn, batch = fns[n], inners[n]
                _time_batch(fn, batch)  # re-warm, untimed
                samples[n].extend(_time_batch(fn, batch) for _ in range(want))
            turn += 1
    finally:
        if disable_gc and gc_was_enabled:
            gc.enable()
    return {n: _stats(samples[n], inners[n]) for n in names}


def _stats(samples_ns: Sequence[int], inner: int) -> Stats:
    per_call_us = sorted(ns / inner / 1_000 for ns in samples_ns)
    return Stats(
        median_us=statistics.median(per_call_us),
        p99_us=percentile(per_call_us, 99),
        mean_us=statistics.fmean(per_call_us),
        min_us=per_call_us[0],
        max_us=per_call_us[-1],
        rounds=len(per_call_us),
        inner=inner,
    )


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    align: str | None = None,
    gap: int = 2,
) -> str:
    """Render a plain-text table.

    ``align`` has one letter per column, ``l`` or ``r``; by default the first
    column is left-aligned and the others right-aligned. Floats are shown
    with two decimals below 10 and one above; ``None`` is shown as ``-``.
    A row that is a single string (not a sequence of cells) is printed as-is,
    which is handy for section labels.
    """
    ncols = len(headers)
    if align is None:
        align = "l" + "r" * (ncols - 1)
    if len(align) != ncols:
        raise ValueError("align needs one letter per column")

    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    body: list[list[str] | str] = []
    for row in rows:
        if isinstance(row, str):
            body.append(row)
            continue
        cells = [cell(v) for v in row]
        if len(cells) != ncols:
            raise ValueError(f"row has {len(cells)} cells, expected {ncols}: {row!r}")
        body.append(cells)

    widths = [len(h) for h in headers]
    for row in body:
        if isinstance(row, list):
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    sep = " " * gap

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ]
        return sep.join(parts).rstrip()

    out = [line(list(headers)), sep.join("-" * w for w in widths)]
    for row in body:
        out.append(row if isinstance(row, str) else line(row))
    return "\n".join(out)


def fmt_us(value: float) -> str:
    """Microseconds: two decimals under 10, one above."""
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def fmt_added(value: float) -> str:
    """A signed difference in microseconds."""
    return ("+" if value >= 0 else "-") + fmt_us(abs(value))


def fmt_ratio(value: float) -> str:
    """A ratio such as `6.67x` or `81.8x`."""
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"
