"""`json.truncated`: cut-off JSON, and nothing else."""

from __future__ import annotations

import json

import pytest

from railguard.builtins.tokens import truncated

COMPLETE = '{"order": "ORD-1", "lines": [{"sku": "KB-104", "qty": 2, "price": 49.9}], "ok": true, "note": null}'


def test_every_prefix_of_complete_json_is_truncated() -> None:
    for end in range(1, len(COMPLETE)):
        prefix = COMPLETE[:end]
        if prefix.rstrip() != prefix:
            continue
        assert truncated(prefix), prefix
    assert not truncated(COMPLETE)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The order shipped on Tuesday",
        "[Note: the order shipped on Tuesday",
        '{"a": 1} and some prose after it',
        "[1, 2]",
        '```json\n{"a": 1}\n```',
        '{"a": 1,}',  # malformed, not cut off
        "{]",
    ],
)
def test_not_truncated(text: str) -> None:
    assert not truncated(text)


@pytest.mark.parametrize(
    "text",
    ['```json\n{"summary": "The customer asked', "```\n[1, 2,", '  {"a": {"b": [tr', '{"a": -1.5e'],
)
def test_truncated(text: str) -> None:
    assert truncated(text)


def test_values_that_are_not_strings() -> None:
    assert not truncated({"a": 1})
    assert not truncated(None)
    assert not truncated(json.loads("[1]"))
