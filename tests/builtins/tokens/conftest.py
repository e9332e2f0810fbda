"""The fixture of texts with their token counts, and a switch that hides the tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from railguard.builtins.tokens import exact

FIXTURE = Path(__file__).parent / "fixtures" / "texts.yaml"


@pytest.fixture(scope="session")
def texts() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def no_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if `railguard[tokens]` were not installed."""
    monkeypatch.setattr(exact, "_package_dir", lambda: None)
    monkeypatch.setattr(exact, "_tokenizers", {})
