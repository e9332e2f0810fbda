"""Replacements for masked spans: a tag, a fixed text, a partial mask or a keyed hash.

Spans that overlap are merged first (the union is replaced once, named after its
highest-scored entity), so a redaction never leaves a piece of a value behind.

* `tag`: `<ENTITY>`;
* `fixed`: the given replacement text;
* `partial`: every letter and digit but the last `keep` ones becomes `*`, separators stay
  (`**** **** **** 1111`);
* `hash`: `<ENTITY:` and the first 16 hex digits of HMAC-SHA256 `>`, over the value's
  canonical form (normalized; for numbers only the digits, for the rest case-folded without
  blanks), so that two mentions of one value, however written, give the same tag while the
  value stays secret. The key comes from an environment variable; without a key the mask
  fails (the event is denied rather than passed with a guessable hash).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from typing import NamedTuple

from railguard.builtins.pii.normalize import normalize
from railguard.builtins.registry import EvalError, Redaction

MODES = ("tag", "fixed", "partial", "hash")
DEFAULT_KEY_ENV = "RAILGUARD_PII_HASH_KEY"
_NUMERIC = frozenset(
    {
        "CREDIT_CARD",
        "PHONE_NUMBER",
        "US_SSN",
        "US_ITIN",
        "US_BANK_NUMBER",
        "IBAN_CODE",
        "UK_NHS",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
    }
)


class Span(NamedTuple):
    entity: str
    start: int
    end: int
    score: float


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sort and merge overlapping spans; a merged span takes its best-scored entity."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1].end:
            last = out[-1]
            best = last if last.score >= s.score else s
            out[-1] = Span(best.entity, last.start, max(last.end, s.end), max(last.score, s.score))
        else:
            out.append(s)
    return out


def hash_key(env: str) -> bytes:
    key = os.environ.get(env, "")
    if not key:
        raise EvalError(f"hash masking needs a key in the environment variable `{env}`")
    return key.encode("utf-8")


def canonical(entity: str, value: str) -> str:
    text = normalize(value).text
    if entity in _NUMERIC:
        return "".join(c for c in text if c.isalnum()).upper()
    return "".join(text.split()).casefold()


def replacement(
    entity: str, value: str, mode: str, fixed: str, keep: int, key: bytes | None
) -> str:
    if mode == "tag":
        return f"<{entity}>"
    if mode == "fixed":
        return fixed
    if mode == "partial":
        alnum = sum(c.isalnum() for c in value)
        hide = max(0, alnum - max(0, keep))
        out = []
        for c in value:
            if c.isalnum() and hide > 0:
                out.append("*")
                hide -= 1
            else:
                out.append(c)
        return "".join(out)
    if mode == "hash":
        assert key is not None
        digest = hmac.new(key, canonical(entity, value).encode("utf-8"), hashlib.sha256).hexdigest()
        return f"<{entity}:{digest[:16]}>"
    raise EvalError(f"unknown mask mode `{mode}`; modes are {', '.join(MODES)}")


def redactions(
    text: str,
    spans: Iterable[Span],
    mode: str = "tag",
    fixed: str = "<REDACTED>",
    keep: int = 4,
    key_env: str = DEFAULT_KEY_ENV,
) -> list[Redaction]:
    """The `(start, end, replacement)` list for `text`, spans merged."""
    if mode not in MODES:
        raise EvalError(f"unknown mask mode `{mode}`; modes are {', '.join(MODES)}")
    key = hash_key(key_env) if mode == "hash" else None
    return [
        (s.start, s.end, replacement(s.entity, text[s.start : s.end], mode, fixed, keep, key))
        for s in merge(spans)
    ]
