"""docs/lint.md is generated from the lint rules, and every example in it does what it says:
the *Avoid* example raises the rule's code, the *Prefer* example does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from railguard.policylang.codes import CODES
from railguard.policylang.lint import lint
from railguard.policylang.lintrules import RULES
from railguard.policylang.lintrules.docs import EXAMPLE_FILES, render_markdown
from tests.conftest import ROOT

RULE_LIST = sorted(RULES.values(), key=lambda r: r.code)


def test_lint_page_is_current() -> None:
    page = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "run `make docs` to regenerate docs/lint.md"


def test_every_lint_code_is_a_lint_rule() -> None:
    """Every RG3xx code has its rule (and so its docs), and every rule its code."""
    lint_codes = {c for c in CODES if c.startswith("RG3")}
    assert lint_codes <= set(RULES)
    assert all(r.code in CODES and r.bad and r.good for r in RULE_LIST)


def _lint_example(tmp_path: Path, text: str) -> list[str]:
    for name, content in EXAMPLE_FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    example = tmp_path / "example.rail"
    example.write_text(text + "\n", encoding="utf-8")
    return [d.code for d in lint([example])]


@pytest.mark.parametrize("rule", RULE_LIST, ids=[r.code for r in RULE_LIST])
def test_bad_example_raises_the_code(rule: object, tmp_path: Path) -> None:
    assert rule.code in _lint_example(tmp_path, rule.bad)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", RULE_LIST, ids=[r.code for r in RULE_LIST])
def test_good_example_is_clean(rule: object, tmp_path: Path) -> None:
    assert _lint_example(tmp_path, rule.good) == []  # type: ignore[attr-defined]
