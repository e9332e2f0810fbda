"""Credential detectors for the `secrets` builtins: RE2 patterns, linear in the text.

Each kind is a pattern (and, where the credential is a part of the match, the group that
holds it), a score, and for the generic kinds a check that the value looks random. The text
is normalized first (`normalize.py`: zero-width characters, full-width forms, soft hyphens),
and spans are mapped back, so `AKIA\u200bIOSF...` is found and masked whole.

Kinds: `aws_access_key_id` (AKIA, ASIA, ... and 16 characters, also written in groups of
four), `aws_secret_access_key` (40 characters after an AWS secret key name), `github_token`
(ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), `gitlab_token` (glpat-), `slack_token`
(xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxo-), `slack_webhook`, `stripe_key` (sk_live_,
rk_live_, sk_test_, rk_test_), `google_api_key` (AIza...), `openai_key` (sk-, sk-proj-,
sk-ant-, ...), `jwt`, `private_key` (a PEM private key block, to its END line or to the
end of the text), `url_password` (the password in `scheme://user:password@host`),
`bearer_token` (after `Authorization: Bearer`) and `generic_secret` (a value of twelve or
more characters, with letters and digits and enough entropy, assigned to a name holding
key, token, secret, password, ...).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import re2

from railguard.builtins.pii.normalize import normalize


def _compile(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    pattern: Any  # a compiled RE2 pattern
    group: int  # the group holding the credential (0: the whole match)
    score: float
    random: bool = False  # the value must look random (entropy, letters and digits)
    trigger: tuple[str, ...] = ()  # a substring one of which must occur (case-folded)


_KEYWORDS = (
    r"(?:api[_-]?key|apikey|secret[_-]?key|client[_-]?secret|access[_-]?key|auth[_-]?token"
    r"|access[_-]?token|refresh[_-]?token|token|secret|passwd|password|pwd|passphrase"
    r"|private[_-]?key|credentials?)"
)
KINDS: tuple[Kind, ...] = (
    Kind(
        "aws_access_key_id",
        _compile(
            r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)"
            r"(?:[A-Z0-9]{16}|(?:[ -][A-Z0-9]{4}){4})\b"
        ),
        0,
        1.0,
    ),
    Kind(
        "aws_secret_access_key",
        _compile(
            r"(?i)aws[_ .-]?(?:secret[_ .-]?(?:access[_ .-]?)?key|secret)[\"']?\s*[:=]?\s*[\"']?"
            r"([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"
        ),
        1,
        1.0,
        trigger=("aws",),
    ),
    Kind(
        "github_token",
        _compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        0,
        1.0,
        trigger=("gh", "github_pat_"),
    ),
    Kind("gitlab_token", _compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), 0, 1.0, trigger=("glpat-",)),
    Kind("slack_token", _compile(r"\bxox[aboprs]-[A-Za-z0-9-]{10,}"), 0, 1.0, trigger=("xox",)),
    Kind(
        "slack_webhook",
        _compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]{10,}"),
        0,
        1.0,
        trigger=("hooks.slack.com",),
    ),
    Kind(
        "stripe_key",
        _compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
        0,
        1.0,
        trigger=("_live_", "_test_"),
    ),
    Kind("google_api_key", _compile(r"\bAIza[0-9A-Za-z_\-]{35}"), 0, 1.0, trigger=("aiza",)),
    Kind(
        "openai_key",
        _compile(
            r"\bsk-(?:proj-|ant-(?:api\d\d-|admin\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"
        ),
        0,
        1.0,
        trigger=("sk-",),
    ),
    Kind(
        "jwt",
        _compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
        0,
        1.0,
        trigger=("eyj",),
    ),
    Kind(
        "private_key",
        _compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)"
        ),
        0,
        1.0,
        trigger=("private key",),
    ),
    Kind(
        "url_password",
        _compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@]{1,128}:([^\s:/@]{1,256})@[^\s/@]"),
        1,
        0.9,
        trigger=("://",),
    ),
    Kind(
        "bearer_token",
        _compile(
            r"(?i)\bauthorization\b[\"']?\s*[:=]\s*[\"']?bearer\s+([A-Za-z0-9_\-.~+/]{16,}=*)"
        ),
        1,
        0.9,
        True,
        trigger=("bearer",),
    ),
    Kind(
        "generic_secret",
        _compile(
            r"(?i)" + _KEYWORDS + r"[A-Za-z0-9_\-]{0,24}[\"']?\s*(?::=|=>|[:=])\s*[\"']?"
            r"([A-Za-z0-9_\-+/=.~!@#$%^&*]{12,256})"
        ),
        1,
        0.7,
        True,
    ),
)
KIND_NAMES = tuple(k.name for k in KINDS)

_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|\.+|-+|<.*>|\$\{.*\}|\{\{.*\}\}|%\(.*|your[_-].*|change[_-]?me.*|"
    r"example.*|placeholder.*|redacted.*|dummy.*|sample.*|none|null|true|false)$"
)
_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


def entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(value: str) -> bool:
    """Letters and digits mixed, no placeholder, no dotted name, entropy of 3 bits or more."""
    if _PLACEHOLDER.match(value) or _IDENTIFIER_PATH.match(value):
        return False
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    return entropy(value) >= 3.0


@dataclass(frozen=True, slots=True)
class SecretHit:
    kind: str
    start: int
    end: int
    score: float


def find(text: str, kinds: frozenset[str] | None = None) -> list[SecretHit]:
    """Credentials in `text` (spans in `text`), overlapping ones merged into the first."""
    if not text:
        return []
    norm = normalize(text)
    t = norm.text
    folded = t.lower()
    hits: list[SecretHit] = []
    for kind in KINDS:
        if kinds is not None and kind.name not in kinds:
            continue
        if kind.trigger and not any(s in folded for s in kind.trigger):
            continue
        for m in kind.pattern.finditer(t):
            start, end = m.span(kind.group)
            if start < 0 or end <= start:
                continue
            if kind.random and not looks_random(t[start:end]):
                continue
            hits.append(SecretHit(kind.name, start, end, kind.score))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start), -h.score))
    merged: list[SecretHit] = []
    for h in hits:
        if merged and h.start < merged[-1].end:
            if h.end > merged[-1].end:
                last = merged[-1]
                merged[-1] = SecretHit(last.kind, last.start, h.end, max(last.score, h.score))
            continue
        merged.append(h)
    if norm.is_identity:
        return merged
    out = []
    for h in merged:
        start, end = norm.span(h.start, h.end)
        out.append(SecretHit(h.kind, start, end, h.score))
    return out
