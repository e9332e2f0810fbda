"""`tokens.estimate` stays within its documented error bounds on the fixture."""

from __future__ import annotations

from typing import Any

from railguard.builtins.tokens import estimate

PER_TEXT = 0.15  # every text, as docs/tokens.md and the builtin's docstring say
WHOLE = 0.02  # the fixture as a whole


def test_every_text_within_bounds(texts: dict[str, Any]) -> None:
    errors = {
        t["name"]: (estimate(t["text"]) - t["o200k_base"]) / t["o200k_base"] for t in texts["texts"]
    }
    outside = {name: round(e, 3) for name, e in errors.items() if abs(e) > PER_TEXT + 1e-9}
    assert not outside


def test_whole_fixture_within_bounds(texts: dict[str, Any]) -> None:
    exact = sum(t["o200k_base"] for t in texts["texts"])
    estimated = sum(estimate(t["text"]) for t in texts["texts"])
    assert abs(estimated - exact) / exact <= WHOLE


def test_published_examples_are_close(texts: dict[str, Any]) -> None:
    for item in texts["published"]:
        assert abs(estimate(item["text"]) - len(item["o200k_base"])) <= 3


def test_empty_and_json() -> None:
    assert estimate("") == 0
    assert estimate({"a": 1}) == estimate('{"a":1}')
