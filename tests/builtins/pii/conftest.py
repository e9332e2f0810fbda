"""Shared fixtures for the PII tests: the corpus, and whether the small model is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from railguard.builtins.pii import presidio

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpora" / "pii" / "synth_dataset_v2.json"


def corpus() -> list[dict[str, Any]]:
    if not CORPUS.is_file():
        pytest.skip(f"the PII corpus is absent ({CORPUS})")
    data: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def needs_model() -> None:
    if not presidio.model_installed(presidio.SMALL_MODEL):
        pytest.skip("the small spaCy model is not installed (pip install 'railguard[ner]')")
