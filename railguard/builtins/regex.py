"""Linear-time regular expressions: RE2 semantics, with a proven-safe fast path.

Every policy pattern must compile under RE2, so a pattern RE2 cannot run (backreferences,
lookaround) is rejected when the policy compiles. Matching then goes through one of two
engines that give the same answer:

* RE2 itself, linear in the input for every pattern;
* Python's `re`, about ten times cheaper per call, used only where it cannot backtrack
  badly and cannot disagree with RE2: the pattern is ASCII, contains no nested
  repetition, its choice points multiply to at most `_MAX_CHOICES` per start position (no
  unbounded repetition, or a single one in a pattern anchored with `^`), none of the
  syntax the two engines read differently, and the text is ASCII without newlines or
  vertical tabs (where `$`, `\\s` and case folding differ).

`tests/builtins/test_regex.py` checks both engines against each other on generated input.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import re2

_MAX_CHOICES = 256
# The binding's own `search` maps byte offsets back to characters in Python, which costs
# several microseconds; a yes/no answer needs only the raw RE2 call on UTF-8 bytes.
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
_ANCHOR_BOTH = re2._re2.RE2.Anchor.ANCHOR_BOTH


class RegexError(ValueError):
    """A pattern that RE2 cannot compile; the message says why."""


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


@dataclass(frozen=True, eq=False)
class Regex:
    """A compiled policy regular expression (`/.../flags` or a string pattern)."""

    pattern: str
    flags: str = ""
    _re2: Any = field(init=False, repr=False)
    _fast: re.Pattern[str] | None = field(init=False, repr=False)
    _anchored: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        source = f"(?{self.flags}){self.pattern}" if self.flags else self.pattern
        try:
            compiled = re2.compile(source, _re2_options())
        except re2.error as exc:
            raise RegexError(_re2_message(exc)) from None
        object.__setattr__(self, "_re2", compiled)
        fast, anchored = _fast_path(self.pattern, self.flags)
        object.__setattr__(self, "_fast", fast)
        object.__setattr__(self, "_anchored", anchored)

    @property
    def uses_fast_path(self) -> bool:
        return self._fast is not None

    def search(self, text: str) -> bool:
        """True when the pattern matches somewhere in `text` (RE2 `PartialMatch`)."""
        fast = self._fast
        if fast is not None and text.isascii() and "\n" not in text and "\x0b" not in text:
            if self._anchored:
                return fast.match(text) is not None
            return fast.search(text) is not None
        encoded = text.encode("utf-8", "surrogatepass")
        return bool(self._re2._regexp.Match(_UNANCHORED, encoded, 0, len(encoded))[0][1] >= 0)

    def fullmatch(self, text: str) -> bool:
        encoded = text.encode("utf-8", "surrogatepass")
        return bool(self._re2._regexp.Match(_ANCHOR_BOTH, encoded, 0, len(encoded))[0][1] >= 0)

    def span_in(self, data: bytes, pos: int = 0) -> tuple[int, int] | None:
        """The first match in UTF-8 `data` at or after byte `pos`, in byte offsets (a search
        from a position that does not encode the text again)."""
        start, end = self._re2._regexp.Match(_UNANCHORED, data, pos, len(data))[0]
        return None if end < 0 else (start, end)

    def finditer(self, text: str) -> list[tuple[int, int]]:
        """Spans of the non-overlapping matches, in order (character offsets)."""
        return [m.span() for m in self._re2.finditer(text)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regex) and (self.pattern, self.flags) == (
            other.pattern,
            other.flags,
        )

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __str__(self) -> str:
        return f"/{self.pattern}/{self.flags}"


def _re2_message(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else str(exc)
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    # RE2 calls both an escape it does not know; name the two features users reach for.
    if re.fullmatch(r"invalid escape sequence: \\[1-9]", text):
        return f"it uses the backreference `{text[-2:]}`"
    if text in ("invalid perl operator: (?=", "invalid perl operator: (?!"):
        return f"it uses the lookahead `{text[-3:]}`"
    if text in ("invalid perl operator: (?<=", "invalid perl operator: (?<!"):
        return f"it uses the lookbehind `{text[-4:]}`"
    return text


# ---- the fast path ----------------------------------------------------------

# `\B` matches the empty string in RE2 but not in Python's `re` (before 3.14).
_RISKY_SYNTAX = ("[:", "{,", "\\p", "\\P", "\\Q", "\\C", "\\x{", "\\z", "(?U", "\\B")


def _fast_path(pattern: str, flags: str) -> tuple[re.Pattern[str] | None, bool]:
    if not pattern.isascii() or any(s in pattern for s in _RISKY_SYNTAX) or "m" in flags:
        return None, False
    py_flags = re.ASCII
    if "i" in flags:
        py_flags |= re.IGNORECASE
    if "s" in flags:
        py_flags |= re.DOTALL
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = re._parser.parse(pattern, py_flags)
            compiled = re.compile(pattern, py_flags)
    except (re.error, FutureWarning, DeprecationWarning, RecursionError):
        return None, False
    if parsed.state.flags & (re.MULTILINE | re.VERBOSE):
        return None, False
    analysis = _Analysis()
    if not analysis.walk(parsed.data, nested=False):
        return None, False
    anchored = bool(parsed.data) and _is_start_anchor(parsed.data[0])
    if analysis.unbounded > 1 or (analysis.unbounded == 1 and not anchored):
        return None, False
    if analysis.choices > _MAX_CHOICES:
        return None, False
    return compiled, anchored


def _is_start_anchor(node: tuple[Any, Any]) -> bool:
    op, arg = node
    return str(op) == "AT" and str(arg) in ("AT_BEGINNING", "AT_BEGINNING_STRING")


class _Analysis:
    """Counts the choice points of a parsed pattern; rejects nested repetition."""

    def __init__(self) -> None:
        self.choices = 1
        self.unbounded = 0

    def walk(self, nodes: Any, *, nested: bool) -> bool:
        for op, arg in nodes:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, body = arg
                inner = _Analysis()  # the body's choices are made again on every iteration
                if (nested and high > 1) or not inner.walk(body, nested=nested or high > 1):
                    return False
                self.unbounded += inner.unbounded
                if high == re._constants.MAXREPEAT:
                    if inner.choices > 1:
                        return False
                    self.unbounded += 1
                else:
                    self.choices *= (high - low + 1) * inner.choices**high
            elif name == "SUBPATTERN":
                if not self.walk(arg[-1], nested=nested):
                    return False
            elif name == "BRANCH":
                if nested:
                    return False
                self.choices *= max(len(arg[1]), 1)
                for branch in arg[1]:
                    if not self.walk(branch, nested=nested):
                        return False
            elif name in ("ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS", "ATOMIC_GROUP"):
                return False
            if self.choices > _MAX_CHOICES:
                return False
        return True
