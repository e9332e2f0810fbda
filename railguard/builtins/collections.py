"""List and set tests: membership of all or any elements, sums and extremes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from railguard.builtins.registry import EvalError, Number, builtin, type_of

Items = Annotated[list[Any] | frozenset[Any], "a list or set"]


def _numbers(values: Iterable[Any], name: str) -> list[Number]:
    out = []
    for v in values:
        if type(v) not in (int, float):
            raise EvalError(f"{name}: every element must be a number, got {type_of(v)}")
        out.append(v)
    return out


def same(a: Any, b: Any) -> bool:
    """The language's `==`: Python equality, except that `true` is not `1`."""
    return bool(a == b) and (type(a) is bool) == (type(b) is bool)


def element_of(item: Any, container: list[Any] | tuple[Any, ...] | frozenset[Any]) -> bool:
    """The language's `in` on a list or set (Python's `in` finds `true` in `[1]`)."""
    if type(container) in (frozenset, set) and type(item) not in (bool, int, float):
        try:
            return item in container
        except TypeError:  # unhashable: no set element can equal it
            return False
    return any(same(item, x) for x in container)


@builtin("all_in", examples=['all_in(args.recipients, {"ana@acme.com", "bo@acme.com"})'])
def all_in(
    values: Items, allowed: Annotated[list[Any] | frozenset[Any], "the allowed elements"]
) -> bool:
    """True when every element of `values` is in `allowed` (true for an empty list)."""
    return all(element_of(v, allowed) for v in values)


@builtin("any_in", examples=['any_in(args.labels, {"secret", "internal"})'])
def any_in(
    values: Items, candidates: Annotated[list[Any] | frozenset[Any], "the elements to look for"]
) -> bool:
    """True when at least one element of `values` is in `candidates`."""
    return any(element_of(v, candidates) for v in values)


@builtin("sum", examples=["sum(args.amounts) > 10000"])
def total(values: Annotated[list[Any], "a list of numbers"]) -> Number:
    """The sum of a list of numbers (0 for an empty list)."""
    return sum(_numbers(values, "sum"))


@builtin("max", examples=["max(args.amounts) <= 500"])
def maximum(values: Annotated[list[Any], "a non-empty list of numbers"]) -> Number:
    """The largest number of a non-empty list."""
    numbers = _numbers(values, "max")
    if not numbers:
        raise EvalError("max: the list is empty")
    return max(numbers)


@builtin("min", examples=["min(args.amounts) >= 1"])
def minimum(values: Annotated[list[Any], "a non-empty list of numbers"]) -> Number:
    """The smallest number of a non-empty list."""
    numbers = _numbers(values, "min")
    if not numbers:
        raise EvalError("min: the list is empty")
    return min(numbers)


@builtin("keys", examples=['keys(args) - {"to", "subject", "body"}'])
def keys(value: Annotated[dict[str, Any], "an object"]) -> frozenset[Any]:
    """The set of an object's keys."""
    return frozenset(value)
