"""The sidecar's fast event check agrees with the full pydantic validation."""

from __future__ import annotations

from typing import Any

import pytest

from railguard.engine import events as ev


def _pydantic(data: Any) -> ev.Event:
    model = ev._validator().validate_python(data).model_dump()
    kind = model.pop("kind")
    return ev.EVENT_TYPES[kind](**model)


VALID = [
    {"kind": "call", "tool": "x"},
    {"kind": "call", "tool": "x", "args": {"a": [1, {"b": None}]}, "session": "s", "context": {}},
    {"kind": "input", "content": None},
    {"kind": "input", "content": "hi", "session": None, "context": {"user": "ana"}},
    {"kind": "result", "tool": "t", "content": {"rows": [1]}},
    {"kind": "output", "content": ["a", 1]},
    {"kind": "call", "tool": "y" * 256},
]
OTHER = [
    {"kind": "call", "tool": ""},
    {"kind": "call", "tool": "y" * 257},
    {"kind": "call", "tool": "x", "args": {1: "int key"}},
    {"kind": "call", "tool": "x", "context": {1: "int key"}},
    {"kind": "call", "tool": "x", "args": []},
    {"kind": "input"},
    {"kind": "result", "tool": "t"},
    {"kind": "output", "content": "x", "extra": 1},
    {"kind": "input", "content": "x", "session": 3},
    {"kind": "nope", "content": "x"},
    {"content": "x"},
    ["kind", "call"],
]


@pytest.mark.parametrize("data", VALID)
def test_plain_events_are_built_as_pydantic_builds_them(data: dict[str, Any]) -> None:
    plain = ev._plain_event(data)
    assert plain is not None and plain == _pydantic(data)


@pytest.mark.parametrize("data", OTHER)
def test_anything_else_takes_the_full_validation(data: Any) -> None:
    assert ev._plain_event(data) is None
