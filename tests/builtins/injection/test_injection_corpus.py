"""Quality on the public prompt-injection corpora (bench/injection_quality.py, quick mode):
the BIPIA detection and false-positive goals hold on both splits, and PurpleLlama does not
fall below what docs/injection.md reports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpora" / "prompt-injection"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the prompt-injection corpus is absent ({CORPUS})"
)


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "injection_quality", ROOT / "bench" / "injection_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["injection_quality"] = module
    spec.loader.exec_module(module)
    return module


def _rate(rows: list[dict[str, object]], bench: ModuleType, split: str) -> float:
    picked = [r for r in rows if r["split"] == split]
    return sum(bench.flagged(str(r["text"])) for r in picked) / len(picked)


@pytest.mark.parametrize("split", ["train", "held-out"])
def test_bipia_goals(split: str) -> None:
    bench = _bench()
    assert _rate(bench.planted(1), bench, split) >= 0.80
    assert _rate(bench.contexts(), bench, split) <= 0.02


@pytest.mark.parametrize(("split", "floor"), [("train", 0.73), ("held-out", 0.61)])
def test_purplellama_does_not_regress(split: str, floor: float) -> None:
    bench = _bench()
    assert _rate(bench.purplellama(), bench, split) >= floor
