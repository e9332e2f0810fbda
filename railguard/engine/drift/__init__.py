"""`railguard drift`: what changed between two slices of a decision log.

```python
from railguard.engine.drift import drift
report = drift(["decisions.jsonl"])                      # the two models in the log
report = drift(["decisions.jsonl"], baseline="time<2026-11-01", candidate="time>=2026-11-01")
for m in report.changed: print(m.id, m.diff, m.q)
```

One pass over the log (`auditread.records`, rotated segments included) feeds fixed-size
counters per slice (`slices.SliceStats`); the comparison (`report.compare`) never sees a
record. Memory does not grow with the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from railguard.engine.drift.report import DriftReport, Thresholds, compare
from railguard.engine.drift.slices import SelectorError, SliceStats, parse_selector, record_model

__all__ = ["DriftError", "DriftReport", "SelectorError", "collect", "drift"]


class DriftError(ValueError):
    """The slices cannot be formed (a usage error: exit 2 on the command line)."""


def collect(
    paths: Iterable[str | Path],
    baseline: str | None = None,
    candidate: str | None = None,
) -> tuple[SliceStats, SliceStats, list[str]]:
    """Aggregate the two slices in one pass; returns them with notes for the reader.

    With both selectors, a record goes to each slice whose selector it matches. With
    neither, records are grouped by model: the log must hold exactly two, and the one seen
    first is the baseline."""
    if (baseline is None) != (candidate is None):
        raise DriftError(
            "give both --baseline and --candidate, or neither (to compare the two models of the log)"
        )
    notes: list[str] = []
    if baseline is not None and candidate is not None:
        pick_base, pick_cand = parse_selector(baseline), parse_selector(candidate)
        base, cand = SliceStats(baseline), SliceStats(candidate)
        both = 0
        for record in _decisions(paths):
            in_base = pick_base.matches(record)
            in_cand = pick_cand.matches(record)
            if in_base:
                base.add(record)
            if in_cand:
                cand.add(record)
            both += in_base and in_cand
        if both:
            notes.append(f"{both} records match both selectors and count in both slices")
    else:
        by_model: dict[str, SliceStats] = {}
        unassigned = 0
        for record in _decisions(paths):
            model = record_model(record)
            if model is None:
                unassigned += 1
                continue
            stats = by_model.get(model)
            if stats is None:
                stats = by_model[model] = SliceStats(f"model={model}")
            stats.add(record)
        if len(by_model) != 2:
            seen = ", ".join(f"{m} ({s.events} events)" for m, s in by_model.items()) or "none"
            raise DriftError(
                f"grouping by model needs exactly two models in the log, found {len(by_model)}: "
                f"{seen}; pick two slices with --baseline EXPR --candidate EXPR "
                "(e.g. --baseline model=gpt-4o-2024-08-06 --candidate model=gpt-4o-2024-11-20)"
            )
        base, cand = by_model.values()  # insertion order: the model seen first is the baseline
        if unassigned:
            notes.append(f"{unassigned} records without a model were left out")
    for name, s in (("baseline", base), ("candidate", cand)):
        if s.events == 0:
            raise DriftError(f"the {name} slice `{s.selector}` holds no records")
    return base, cand, notes


def drift(
    paths: Iterable[str | Path],
    baseline: str | None = None,
    candidate: str | None = None,
    alpha: float = 0.05,
    fail_on: Thresholds | None = None,
) -> DriftReport:
    """Compare two slices of the logs at `paths` (see `collect` and `report.compare`)."""
    try:
        base, cand, notes = collect(paths, baseline, candidate)
    except SelectorError as exc:
        raise DriftError(str(exc)) from None
    return compare(base, cand, alpha=alpha, fail_on=fail_on, notes=notes)


_EVENT_KINDS = frozenset({"input", "call", "result", "output"})


def _decisions(paths: Iterable[str | Path]) -> Iterator[dict[str, Any]]:
    """The log's verdicts; other records (approvals, recoveries) are not compared."""
    from railguard.engine.auditread import records

    for _, _, record in records(paths):
        if record.get("kind") in _EVENT_KINDS:
            yield record
