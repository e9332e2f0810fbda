"""Whether a text is JSON that was cut off: what a model returns when it hits its output
limit in the middle of a structured answer.

The text (after an optional Markdown code fence) must start like a JSON object or array
and fail to parse only because it ends too early: an open string, an object or array not
closed, a literal or number cut short. JSON that parses, text that is not JSON at all, and
JSON followed by other text are not truncated.
"""

from __future__ import annotations

import json
import re

_FENCE = re.compile(r"\A```[A-Za-z0-9_-]*[ \t]*\r?\n")
_PARTIAL_SCALAR = re.compile(
    r"\A(?:t(?:r(?:ue?)?)?|f(?:a(?:l(?:se?)?)?)?|n(?:u(?:ll?)?)?|-?\d*\.?\d*(?:[eE][-+]?\d*)?)\Z"
)


def truncated_json(text: str) -> bool:
    body = text.strip()
    fence = _FENCE.match(body)
    if fence is not None:
        body = body[fence.end() :].rstrip()
        body = body.removesuffix("```").strip()
    return _cut(body)


def _cut(body: str) -> bool:
    if not body or body[0] not in "{[":
        return False
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return False
        return (
            exc.pos >= len(body)
            or exc.msg.startswith("Unterminated string")
            or _PARTIAL_SCALAR.match(body[exc.pos :]) is not None
        )
    return False
