"""Request bodies off the wire: a size limit, strict JSON and a nesting-depth limit.

Both functions return the value or a `Problem`; neither raises on bad input.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from railguard.engine.problems import Problem


async def read_limited(
    chunks: AsyncIterator[bytes], declared: str | None, limit: int
) -> bytes | Problem:
    """The whole body, or a 413 as soon as it (or its Content-Length) passes `limit` bytes."""
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            return Problem(400, "bad_length", "the Content-Length header is not a number")
        if size > limit:
            return _too_large(limit)
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            return _too_large(limit)
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _too_large(limit: int) -> Problem:
    return Problem(413, "body_too_large", f"the request body is over the limit of {limit} bytes")


def _no_constant(name: str) -> Any:
    raise ValueError(f"`{name}` is not JSON")


_decode = json.JSONDecoder(parse_constant=_no_constant).decode


def parse_json(body: bytes, max_depth: int) -> Any | Problem:
    """Strict JSON (no NaN or Infinity) nested at most `max_depth` arrays and objects deep."""
    if not body:
        return Problem(400, "invalid_json", "the request body is empty; send a JSON object")
    # Only a body with more brackets than the limit can nest deeper than it.
    if body.count(b"[") + body.count(b"{") > max_depth:
        depth = nesting_depth(body)
        if depth > max_depth:
            return Problem(
                400,
                "too_deep",
                f"the request body nests {depth} levels deep, over the limit of {max_depth}",
            )
    try:
        return _decode(body.decode("utf-8"))
    except UnicodeDecodeError:
        return Problem(400, "invalid_json", "the request body is not UTF-8 text")
    except json.JSONDecodeError as exc:
        return Problem(
            400,
            "invalid_json",
            f"the request body is not JSON: {exc.msg.lower()} at line {exc.lineno} column {exc.colno}",
        )
    except (ValueError, RecursionError) as exc:
        return Problem(400, "invalid_json", f"the request body is not valid JSON: {exc}")


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of `[` and `{` outside strings (a linear scan of the bytes)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x5B or byte == 0x7B:
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte == 0x5D or byte == 0x7D:
            depth -= 1
    return deepest
