"""Text normalization against evasion, with every character mapped back to the original.

Detection runs on a normalized copy of the text, and each span found there is mapped back
to the characters of the original text that produced it, so masking hits exactly what was
written. The normalization:

* applies Unicode NFKC to each cluster of a starter and its combining marks (full-width
  letters, digits and punctuation become ASCII, ligatures are split);
* removes invisible format characters: zero-width spaces and joiners, soft hyphens, word
  joiners, byte-order marks, bidirectional controls (Unicode category `Cf`) and variation
  selectors;
* folds every Unicode decimal digit (Arabic-Indic, Devanagari, ...) to its ASCII digit;
* joins digits spelled out one at a time (`4 1 1 1 1 1 1 1 ...`, `4-1-1-1-...`): a run of at
  least eight single digits separated by one space or dash loses its separators.

ASCII text without such a run is returned as it is, with no map (the identity).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters removed outright, besides category Cf.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0" + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_SPELLED_DIGITS = re.compile(r"(?<![0-9])[0-9](?:[ \-][0-9]){7,}(?![0-9])")


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized text and, for each of its characters, the original span it came from.

    `starts` and `ends` are None when the text is unchanged (the identity map).
    """

    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @property
    def is_identity(self) -> bool:
        return self.starts is None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span `[start, end)` (which must not be empty)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _removed(ch: str) -> bool:
    return (
        ch in _INVISIBLE or unicodedata.category(ch) == "Cf" or "\U000e0100" <= ch <= "\U000e01ef"
    )


def _fold(piece: str) -> str:
    if piece.isascii():
        return piece
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in piece
    )


def normalize(text: str) -> Normalized:
    """Normalize `text` for detection (see the module docstring)."""
    if text.isascii():
        if _SPELLED_DIGITS.search(text) is None:
            return Normalized(text)
        chars = list(text)
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:
        chars, starts, ends = _unicode_pass(text)
    joined = "".join(chars)
    if _SPELLED_DIGITS.search(joined) is not None:
        chars, starts, ends = _join_spelled_digits(joined, starts, ends)
        joined = "".join(chars)
    return Normalized(joined, tuple(starts), tuple(ends))


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _unicode_pass(text: str) -> tuple[list[str], list[int], list[int]]:
    """NFKC by cluster, invisible characters removed, digits folded; ASCII runs are copied
    through in one piece (the map of a run is a range)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0  # text[:done] is handled
    for m in _NON_ASCII.finditer(text):
        # The cluster may start at the ASCII character before the run (`e` + U+0301).
        a = m.start() - 1 if m.start() > done and unicodedata.combining(m.group()[0]) else m.start()
        if a > done:
            chars.extend(text[done:a])
            starts.extend(range(done, a))
            ends.extend(range(done + 1, a + 1))
        _clusters(text, a, m.end(), chars, starts, ends)
        done = m.end()
    if done < len(text):
        chars.extend(text[done:])
        starts.extend(range(done, len(text)))
        ends.extend(range(done + 1, len(text) + 1))
    return chars, starts, ends


def _clusters(
    text: str, i: int, n: int, chars: list[str], starts: list[int], ends: list[int]
) -> None:
    """Normalize `text[i:n]` cluster by cluster (a character and the combining marks or
    removed characters after it)."""
    while i < n:
        ch = text[i]
        if _removed(ch):
            i += 1
            continue
        j = i + 1
        kept = [ch]
        while j < n:
            nxt = text[j]
            if _removed(nxt):
                j += 1
            elif unicodedata.combining(nxt):
                kept.append(nxt)
                j += 1
            else:
                break
        out = _fold(unicodedata.normalize("NFKC", "".join(kept)))
        for c in out:
            chars.append(c)
            starts.append(i)
            ends.append(j)
        i = j


def _join_spelled_digits(
    joined: str, starts: list[int], ends: list[int]
) -> tuple[list[str], list[int], list[int]]:
    drop: set[int] = set()
    for m in _SPELLED_DIGITS.finditer(joined):
        drop.update(range(m.start() + 1, m.end(), 2))
    keep = [k for k in range(len(joined)) if k not in drop]
    return [joined[k] for k in keep], [starts[k] for k in keep], [ends[k] for k in keep]
