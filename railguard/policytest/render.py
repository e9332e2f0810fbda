"""How `railguard test` prints a report: pytest-like text, or one JSON document."""

from __future__ import annotations

import json
from typing import Any

from railguard.policytest.runner import Report

WIDTH = 80


def coverage_ok(report: Report, minimum: float | None) -> bool:
    return minimum is None or report.coverage.percent >= minimum


def render_text(
    report: Report, *, verbose: bool = False, coverage: bool = False, minimum: float | None = None
) -> str:
    """Dots per test file (`F` for a failure), each failure with its diff and verdict, the
    coverage when asked, and a summary line."""
    lines: list[str] = []
    for result in report.results:
        if verbose:
            for o in result.outcomes:
                status = "PASSED" if o.passed else "FAILED"
                lines.append(f"{result.test.path}::{o.case.name} {status}")
        else:
            marks = "".join("." if o.passed else "F" for o in result.outcomes)
            lines.append(f"{result.test.path} {marks}")
    failed = report.failed
    if failed:
        lines += ["", _rule("FAILURES", "=")]
        for test, outcome in failed:
            case = outcome.case
            lines.append(_rule(f"{test.path}::{case.name}", "_"))
            lines.append(f"{test.path}:{case.line}: {case.summary}")
            if case.note:
                lines.append(f"note: {case.note.strip()}")
            lines.append(outcome.report())
            lines.append("")
        lines.pop()
    if coverage or minimum is not None:
        lines += ["", *_coverage_lines(report, minimum)]
    counts = []
    if failed:
        counts.append(f"{len(failed)} failed")
    counts.append(f"{report.passed_count} passed")
    if minimum is not None and not coverage_ok(report, minimum):
        counts.append("coverage under the minimum")
    lines.append(_rule(f"{', '.join(counts)} in {report.elapsed_s:.2f}s", "="))
    return "\n".join(lines)


def _coverage_lines(report: Report, minimum: float | None) -> list[str]:
    cov = report.coverage
    lines = [
        _rule("rule coverage", "-"),
        f"{cov.covered} of {cov.total} rules covered ({_percent(cov.percent)})",
    ]
    for r in cov.uncovered:
        lines.append(f"{r.location}: `{r.rule}` ({r.effect}) is not covered: {r.reason}")
    if minimum is not None and not coverage_ok(report, minimum):
        lines.append(
            f"FAIL: rule coverage {_percent(cov.percent)} is under the minimum of {_percent(minimum)}"
        )
    return lines


def _percent(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def _rule(title: str, char: str) -> str:
    """` title ` centred in a line of `char`, as pytest draws its separators."""
    text = f" {title} "
    if len(text) >= WIDTH - 2:
        return char * 2 + text + char * 2
    left = (WIDTH - len(text)) // 2
    return char * left + text + char * (WIDTH - len(text) - left)


def render_json(report: Report, minimum: float | None = None) -> str:
    """One JSON document: a summary, every case (failures with expected, actual, the diff and
    the verdict) and the coverage."""
    cases: list[dict[str, Any]] = []
    for result in report.results:
        for o in result.outcomes:
            item: dict[str, Any] = {
                "file": str(result.test.path),
                "name": o.case.name,
                "line": o.case.line,
                "event": o.case.summary,
                "passed": o.passed,
            }
            if not o.passed:
                item["expected"] = o.expected
                item["actual"] = o.actual
                item["diff"] = o.diff()
                item["verdict"] = o.verdict.to_dict()
            cases.append(item)
    failed = len(report.failed)
    doc = {
        "summary": {
            "files": len(report.results),
            "cases": len(cases),
            "passed": report.passed_count,
            "failed": failed,
            "ok": failed == 0 and coverage_ok(report, minimum),
            "elapsed_s": round(report.elapsed_s, 3),
        },
        "cases": cases,
        "coverage": report.coverage.to_dict(minimum),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
