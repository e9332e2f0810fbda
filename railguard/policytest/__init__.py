"""Policy tests: `railguard test` runs test files of events and expected verdicts.

- `testfile`: find and read test files (YAML or JSON) and check their shape.
- `check`: run one case (its session history, then its event) and diff the verdict
  against what the case expects.
- `coverage`: which rules the cases exercised, and why each other one was missed.
- `runner`: collect test files, compile each one's policy once, run every case.
- `render`: the report as pytest-like text or one JSON document.

The format is documented in docs/testing.md; the builtin case files under `tests/cases/`
use it too.
"""

from __future__ import annotations

from railguard.policytest.check import Outcome, run_case
from railguard.policytest.coverage import Coverage, Recorder, traced
from railguard.policytest.runner import Report, UsageError, collect, run
from railguard.policytest.testfile import Case, TestFile, TestFileError, discover, load

__all__ = [
    "Case",
    "Coverage",
    "Outcome",
    "Recorder",
    "Report",
    "TestFile",
    "TestFileError",
    "UsageError",
    "collect",
    "discover",
    "load",
    "run",
    "run_case",
    "traced",
]
