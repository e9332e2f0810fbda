"""Small policies with known bugs: each `lint_cases/NNN_name.rail` says on its first line
which findings lint must report, as `# expect: CODE@LINE[:SEVERITY] ...`, and lint must
report exactly those (lines count the header). Files under `_support/` are the catalog
and included files the cases share.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from railguard.policylang.lint import lint

CASES_DIR = Path(__file__).parent / "lint_cases"
CASES = sorted(CASES_DIR.glob("*.rail"))
_EXPECT = re.compile(r"^# expect: (.+)$")


def expected(case: Path) -> list[str]:
    first = case.read_text(encoding="utf-8").split("\n", 1)[0]
    m = _EXPECT.match(first)
    assert m, f"{case.name} does not start with `# expect: CODE@LINE ...`"
    return sorted(m.group(1).split())


def found(case: Path, with_severity: list[str]) -> list[str]:
    out = []
    for d in lint(case):
        item = f"{d.code}@{d.span.line}"
        if f"{item}:{d.severity}" in with_severity:
            item += f":{d.severity}"
        out.append(item)
    return sorted(out)


def test_there_are_at_least_40_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_lint_finds_the_known_bug(case: Path) -> None:
    want = expected(case)
    assert found(case, want) == want


# Findings whose case depends on what is installed, with where they are tested instead.
ELSEWHERE = {
    "RG320": "tests/builtins/tokens (whether the tokens extra is installed)",
}


def test_every_lint_code_has_a_case() -> None:
    """Every RG3xx lint rule (and RG211) is exercised by at least one case."""
    from railguard.policylang.lintrules import RULES

    covered = {item.split("@")[0] for case in CASES for item in expected(case)}
    assert set(RULES) - covered - set(ELSEWHERE) == set()
