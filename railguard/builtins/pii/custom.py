"""Custom recognizers: a name, RE2 patterns, context words and a score, declared by a policy.

A policy declares what its organisation calls personal or confidential (an employee id, an
internal project code), and the PII builtins find it beside Presidio's entities:

    from railguard.builtins import pii
    employee = pii.custom_recognizer("employee_id", [r"\\bEMP-[0-9]{6}\\b"],
                                     context=["employee", "staff"], score=0.6)
    pii.find("staff EMP-004211 left", recognizers=[employee])

Patterns are RE2 (linear time, no backreferences or lookaround); a pattern RE2 cannot run is
a `RegexError` when the recognizer is built, that is when the policy loads. A hit scores
`score`, plus 0.35 (at most 1.0) when a context word occurs among the five words before it.
The entity reported is the name in upper case (`EMPLOYEE_ID`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from railguard.builtins.pii.fast import Hit
from railguard.builtins.regex import Regex, RegexError

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_registered: dict[str, CustomRecognizer] = {}
_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class CustomRecognizer:
    """A compiled custom recognizer; build it with `custom_recognizer`."""

    name: str
    entity: str
    patterns: tuple[Regex, ...]
    context: tuple[str, ...]
    score: float

    def find(self, text: str) -> list[Hit]:
        return [
            Hit(self.entity, start, end, self.score, f"custom:{self.name}")
            for pattern in self.patterns
            for start, end in pattern.finditer(text)
            if end > start
        ]


def custom_recognizer(
    name: str,
    patterns: Sequence[str | Regex],
    context: Iterable[str] = (),
    score: float = 0.6,
) -> CustomRecognizer:
    """Build a recognizer; raises `ValueError` (or `RegexError`) on a bad declaration."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"a recognizer name is a letter then letters, digits or `_`, got `{name}`")
    if isinstance(patterns, str | Regex) or not patterns:
        raise ValueError(f"recognizer `{name}` needs a list of one or more patterns")
    compiled = []
    for p in patterns:
        if isinstance(p, Regex):
            compiled.append(p)
        elif isinstance(p, str):
            try:
                compiled.append(Regex(p))
            except RegexError as exc:
                raise RegexError(f"recognizer `{name}`: RE2 cannot run `{p}`: {exc}") from None
        else:
            raise ValueError(f"recognizer `{name}`: a pattern must be a string or a regex")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
        raise ValueError(f"recognizer `{name}`: the score must be in (0, 1], got {score!r}")
    words = tuple(str(w).lower() for w in context)
    if any(not w.strip() for w in words):
        raise ValueError(f"recognizer `{name}`: a context word is empty")
    return CustomRecognizer(name, name.upper(), tuple(compiled), words, float(score))


def register_recognizer(recognizer: CustomRecognizer) -> None:
    """Make `recognizer` available by name to `recognizers: ["name"]` in builtin calls.

    A name registered twice with a different declaration is an error.
    """
    with _lock:
        known = _registered.get(recognizer.name)
        if known is not None and (known.patterns, known.context, known.score) != (
            recognizer.patterns,
            recognizer.context,
            recognizer.score,
        ):
            raise ValueError(f"recognizer `{recognizer.name}` is already registered differently")
        _registered[recognizer.name] = recognizer


def unregister_recognizer(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def resolve_recognizers(items: Iterable[object]) -> tuple[CustomRecognizer, ...]:
    """Recognizer objects, or the names of registered ones, as recognizer objects."""
    out = []
    for item in items:
        if isinstance(item, CustomRecognizer):
            out.append(item)
        elif isinstance(item, str):
            found = _registered.get(item)
            if found is None:
                raise LookupError(f"no recognizer named `{item}` is declared")
            out.append(found)
        else:
            raise TypeError("`recognizers` holds recognizer names")
    return tuple(out)
