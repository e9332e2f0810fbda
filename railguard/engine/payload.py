"""Walking payloads: the size, depth and string-length limits, and applying redactions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from railguard.builtins.registry import EvalError, Redaction
from railguard.engine.rules import Limits

_SCALARS = (int, float, bool, type(None))
# JSON has no NaN or infinity, and both slip past comparisons (`NaN > 1000` is false).
_NOT_FINITE = "`{}` holds NaN or an infinite number, which JSON cannot carry"


def check_limits(value: Any, limits: Limits, what: str) -> str | None:
    """Why `value` breaks a limit (or is not JSON-shaped), or None when it is within them."""
    if type(value) is dict:
        # Fast path for the common flat object of short scalars; anything else is walked.
        size = 0
        for k, x in value.items():
            tx = type(x)
            if type(k) is not str:
                return _walk(value, limits, what)
            if tx is str:
                size += len(k) + len(x)
            elif tx is int or tx is bool or x is None or (tx is float and not x - x):
                size += len(k) + 8
            else:
                return _walk(value, limits, what)
        if size <= limits.string_length and size <= limits.payload_bytes:
            return None
    elif type(value) is str:
        n = len(value)
        if n <= limits.string_length and n <= limits.payload_bytes:
            return None
    return _walk(value, limits, what)


def _walk(value: Any, limits: Limits, what: str) -> str | None:
    max_str = limits.string_length
    max_depth = limits.depth
    budget = limits.payload_bytes
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is str:
            size += len(v)
            if len(v) > max_str:
                return (
                    f"a string in `{what}` is {len(v)} characters long, over the limit of {max_str}"
                )
            continue
        if t is dict or t is list or t is tuple:
            if depth > max_depth:
                return f"`{what}` nests deeper than the limit of {max_depth}"
            # A container costs its brackets, so that the byte budget also bounds how many
            # containers are walked (one list shared many times over is not a free payload).
            size += 2
            items = v.items() if t is dict else enumerate(v)
            for k, x in items:
                if t is dict:
                    if type(k) is not str:
                        return f"`{what}` has an object key that is not a string"
                    size += len(k)
                tx = type(x)
                if tx is str:
                    size += len(x)
                    if len(x) > max_str:
                        return f"a string in `{what}` is {len(x)} characters long, over the limit of {max_str}"
                elif tx is float and x - x:
                    return _NOT_FINITE.format(what)
                elif tx in _SCALARS:
                    size += 8
                else:
                    stack.append((x, depth + 1))
        elif t is float and v - v:
            return _NOT_FINITE.format(what)
        elif t in _SCALARS:
            size += 8
        else:
            return f"`{what}` holds a value of type `{t.__name__}`, which is not JSON"
        if size > budget:
            return f"`{what}` is larger than the limit of {budget} bytes"
    if size > budget:
        return f"`{what}` is larger than the limit of {budget} bytes"
    return None


def apply_redactor(
    value: Any,
    redactor: Callable[[str], list[Redaction]],
    path: str,
    target: tuple[str | int, ...] | None = None,
) -> tuple[Any, list[tuple[str, int, int, str]]]:
    """Rewrite every string leaf of `value`, or only the one at `target` when given.

    Returns the new value (containers along a rewritten path are copied, never mutated)
    and what was replaced, each with its path.
    """
    done: list[tuple[str, int, int, str]] = []

    def visit(v: Any, where: str) -> Any:
        if type(v) is str:
            spans = _merge(redactor(v))
            if not spans:
                return v
            out, last = [], 0
            for start, end, replacement in spans:
                out.append(v[last:start])
                out.append(replacement)
                done.append((where, start, end, replacement))
                last = end
            out.append(v[last:])
            return "".join(out)
        if type(v) is dict:
            return {k: visit(x, where + _key(k)) for k, x in v.items()}
        if type(v) in (list, tuple):
            return [visit(x, f"{where}[{i}]") for i, x in enumerate(v)]
        return v

    def visit_path(v: Any, keys: tuple[str | int, ...], where: str) -> Any:
        if not keys:
            if v is None:
                return v  # nothing there to rewrite
            if type(v) is not str:
                raise EvalError(f"`{where}` must be a string to be rewritten")
            return visit(v, where)
        key, rest = keys[0], keys[1:]
        if type(v) is dict and type(key) is str and key in v:
            return {**v, key: visit_path(v[key], rest, where + _key(key))}
        if type(v) in (list, tuple) and type(key) is int and -len(v) <= key < len(v):
            copy = list(v)
            copy[key] = visit_path(v[key], rest, f"{where}[{key}]")
            return copy
        return v

    if target is not None:
        return visit_path(value, target, path), done
    return visit(value, path), done


def _key(key: str) -> str:
    """`.name` for identifier keys, `["a.b"]` for the rest, so every path is unambiguous."""
    return f".{key}" if key.isidentifier() else f"[{json.dumps(key, ensure_ascii=False)}]"


def _merge(spans: list[Redaction]) -> list[Redaction]:
    """Sort spans and merge overlapping ones (the earlier span's replacement wins)."""
    merged: list[Redaction] = []
    for start, end, replacement in sorted(spans):
        if merged and start < merged[-1][1]:
            s, e, r = merged[-1]
            merged[-1] = (s, max(e, end), r)
        else:
            merged.append((start, end, replacement))
    return merged
