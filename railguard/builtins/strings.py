"""String tests: prefixes, suffixes, containment, length, case and RE2 matching."""

from __future__ import annotations

from typing import Annotated, Any

from railguard.builtins.collections import element_of
from railguard.builtins.regex import Regex
from railguard.builtins.registry import EvalError, builtin, type_of

Text = Annotated[str, "the text to test"]


@builtin("startswith", examples=['startswith(args.path, "/tmp/")'])
def startswith(value: Text, prefix: Annotated[str, "the prefix to look for"]) -> bool:
    """True when `value` begins with `prefix`."""
    return value.startswith(prefix)


@builtin("endswith", examples=['endswith(args.to, "@acme.com")'])
def endswith(value: Text, suffix: Annotated[str, "the suffix to look for"]) -> bool:
    """True when `value` ends with `suffix`."""
    return value.endswith(suffix)


@builtin(
    "contains",
    examples=['contains(content, "BEGIN PRIVATE KEY")', 'contains(args.cc, "ceo@acme.com")'],
)
def contains(
    value: Annotated[
        str | list[Any] | frozenset[Any] | dict[str, Any], "a string, list, set or object"
    ],
    item: Annotated[Any, "the substring, element or key to look for"],
) -> bool:
    """True when `item` is a substring of a string, an element of a list or set, or a key of an object."""
    if isinstance(value, str):
        if not isinstance(item, str):
            raise EvalError(f"contains: a string can only contain a string, got {type_of(item)}")
        return item in value
    if isinstance(value, dict):
        return type(item) is str and item in value
    return element_of(item, value)


@builtin("len", examples=["len(content) > 10000", "len(args.recipients) <= 5"])
def length(
    value: Annotated[
        str | list[Any] | frozenset[Any] | dict[str, Any], "a string, list, set or object"
    ],
) -> int:
    """The number of characters of a string, or of elements of a list, set or object."""
    return len(value)


@builtin("lower", examples=['lower(args.to) == "ceo@acme.com"'])
def lower(value: Text) -> str:
    """`value` in lower case (Unicode case folding)."""
    return value.casefold()


@builtin("upper", examples=['upper(args.currency) in {"USD", "EUR"}'])
def upper(value: Text) -> str:
    """`value` in upper case."""
    return value.upper()


@builtin("regex.search", examples=["regex.search(args.query, /(?i)\\bdrop\\s+table\\b/)"])
def regex_search(
    value: Text, pattern: Annotated[Regex, "an RE2 pattern, fixed in the policy"]
) -> bool:
    """True when `pattern` matches anywhere in `value`; the same test as `value matches pattern`.

    Patterns are RE2: matching takes time linear in the text, whatever the pattern.
    """
    return pattern.search(value)


@builtin("regex.full_match", examples=["regex.full_match(args.reference, /INV-[0-9]{6}/)"])
def regex_full_match(
    value: Text, pattern: Annotated[Regex, "an RE2 pattern, fixed in the policy"]
) -> bool:
    """True when `pattern` matches all of `value`, from its first character to its last."""
    return pattern.fullmatch(value)
