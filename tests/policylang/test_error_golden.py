"""Golden files for `railguard lint`: each `golden/errors/NAME.rail` beside `NAME.expected`.

The expected text is exactly what the CLI prints: the rendered diagnostics, a blank line and
the summary. The CLI runs from the golden folder, so printed paths are relative and stable.
Regenerate with `UPDATE_GOLDEN=1 pytest tests/policylang/test_error_golden.py`, then read
every changed file: a golden file records a message someone checked, not just any output.
Files under `golden/errors/_support/` are helpers (included files, tool catalogs), not cases.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from railguard.cli import main

GOLDEN = Path(__file__).parent / "golden" / "errors"
CASES = sorted(GOLDEN.glob("*.rail"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def run_lint(case: Path) -> tuple[int, str]:
    """`railguard lint NAME.rail` run from the golden folder: its exit code and output."""
    result = CliRunner().invoke(main, ["lint", case.name], catch_exceptions=False)
    return result.exit_code, result.output


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lint_output(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    code, output = run_lint(case)
    expected_file = case.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(output, encoding="utf-8")
    assert expected_file.is_file(), f"no {expected_file.name}: run with UPDATE_GOLDEN=1"
    assert output == expected_file.read_text(encoding="utf-8")
    summary = output.splitlines()[-1]  # "found 2 errors and 1 warning", "found 1 warning"
    assert code == (1 if "error" in summary else 0), output


def test_every_expected_file_has_a_case() -> None:
    orphans = [e.name for e in GOLDEN.glob("*.expected") if not e.with_suffix(".rail").is_file()]
    assert not orphans, f"expected files without a case: {orphans}"
