"""Number tests and the type test."""

from __future__ import annotations

from typing import Annotated, Any

from railguard.builtins.registry import Number, builtin, type_of


@builtin(
    "between", examples=["between(args.amount, 1, 10000)", "between(args.limit, min: 1, max: 100)"]
)
def between(
    value: Annotated[Number, "the number to test"],
    min: Annotated[Number, "the smallest allowed value"],
    max: Annotated[Number, "the largest allowed value"],
) -> bool:
    """True when `min <= value <= max`."""
    return min <= value <= max


@builtin("type", examples=['type(args.amount) == "number"'])
def type_name(value: Annotated[Any, "any value"]) -> str:
    """The type of `value`: "string", "number", "bool", "null", "list", "set" or "object"."""
    return type_of(value)
