"""Every diagnostic code the code base emits is documented, and docs/errors.md is current."""

from __future__ import annotations

import re

from railguard.policylang.codes import CODES, render_markdown
from tests.conftest import ROOT


def test_every_emitted_code_is_documented() -> None:
    emitted = set()
    for path in (ROOT / "railguard").rglob("*.py"):
        emitted |= set(re.findall(r'"(RG\d{3})"', path.read_text()))
    emitted -= set(CODES) & emitted
    assert not emitted, f"codes without an entry in codes.py: {sorted(emitted)}"


def test_errors_page_is_current() -> None:
    page = (ROOT / "docs" / "errors.md").read_text()
    assert page == render_markdown(), "run `make docs` to regenerate docs/errors.md"
