"""`railguard fmt` is idempotent and keeps a policy's meaning and comments.

Checked on generated policies, on every `*.rail` under `policies/` and `examples/`, and
on the golden pairs in `golden/fmt/` (`NAME.rail` formats to `NAME.formatted.rail`,
which formats to itself). `UPDATE_GOLDEN=1` rewrites the `.formatted.rail` files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics
from railguard.policylang.formatter import format_module
from railguard.policylang.parser import parse
from tests.conftest import ROOT
from tests.policylang.strategies import policy_files

GOLDEN = Path(__file__).parent / "golden" / "fmt"
CORPUS = sorted(p for d in ("policies", "examples") for p in (ROOT / d).rglob("*.rail"))


def parse_clean(text: str) -> ast.Module:
    diagnostics = Diagnostics()
    module = parse(text, "<fmt>", diagnostics)
    errors = [d.render() for d in diagnostics.items if d.is_error]
    assert not errors, "\n\n".join(errors) + "\n--- in ---\n" + text
    return module


def fmt(text: str) -> str:
    return format_module(parse_clean(text), text)


def comments(module: ast.Module) -> list[str]:
    return [c.text for c in module.comments]


def check_round_trip(text: str) -> str:
    """Format `text`; assert the result means the same and formats to itself."""
    module = parse_clean(text)
    once = format_module(module, text)
    again = parse_clean(once)
    assert again == module, f"fmt changed the meaning\n--- in ---\n{text}\n--- out ---\n{once}"
    assert comments(again) == comments(module), f"fmt lost or moved comments\n{once}"
    assert fmt(once) == once, f"fmt is not idempotent\n--- once ---\n{once}"
    return once


@settings(deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(policy_files(clean=False))
def test_fmt_round_trips_generated_policies(text: str) -> None:
    check_round_trip(text)


@pytest.mark.parametrize(
    "path", CORPUS or [None], ids=[str(p.relative_to(ROOT)) for p in CORPUS] or ["none"]
)
def test_fmt_round_trips_shipped_policies(path: Path | None) -> None:
    if path is None:
        pytest.skip("no *.rail files under policies/ or examples/")
    check_round_trip(path.read_text(encoding="utf-8"))


def golden_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".rail") for p in GOLDEN.glob("*.rail") if ".formatted" not in p.name
    )


@pytest.mark.parametrize("name", golden_names())
def test_fmt_golden(name: str) -> None:
    source = (GOLDEN / f"{name}.rail").read_text(encoding="utf-8")
    expected_path = GOLDEN / f"{name}.formatted.rail"
    formatted = check_round_trip(source)
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(formatted, encoding="utf-8")
    assert formatted == expected_path.read_text(encoding="utf-8")
    assert fmt(formatted) == formatted  # the expected file is in canonical form


def test_there_are_enough_golden_pairs() -> None:
    assert len(golden_names()) >= 8
