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

import functools
import unicodedata
from typing import Any

# Characters removed outright, besides category Cf.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0" + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_SPELLED = r"(?<![0-9])[0-9](?:[ \-][0-9]){7,}(?![0-9])"


@functools.cache
def _patterns() -> tuple[Any, Any]:
    """Spelled-out digits, and runs outside ASCII: the `regex` module scans a long text
    for them several times faster than `re` (it is imported on first use)."""
    import regex

    return regex.compile(_SPELLED), regex.compile(r"[^\x00-\x7f]+")


class Normalized:
    """A normalized text and, for each of its characters, the original span it came from.

    The map is kept by pieces: runs copied as they are (a character maps to its own
    position, shifted) and the characters a cluster produced (each maps to the whole
    cluster). `starts` and `ends` spell it out per character, and are None when the text
    is unchanged (the identity map).
    """

    __slots__ = ("_ends", "_pieces", "_starts", "text")

    def __init__(
        self,
        text: str,
        starts: tuple[int, ...] | None = None,
        ends: tuple[int, ...] | None = None,
        pieces: list[tuple[int, int, int, int]] | None = None,
    ) -> None:
        self.text = text
        self._starts = starts
        self._ends = ends
        # (normalized offset, original start, original end, kind): kind 0 is a run copied
        # as it is (original start is the run's); kind 1 the characters of one cluster.
        self._pieces = pieces

    @property
    def is_identity(self) -> bool:
        return self._starts is None and self._pieces is None

    @property
    def starts(self) -> tuple[int, ...] | None:
        if self._starts is None and self._pieces is not None:
            self._spell_out()
        return self._starts

    @property
    def ends(self) -> tuple[int, ...] | None:
        if self._ends is None and self._pieces is not None:
            self._spell_out()
        return self._ends

    def _spell_out(self) -> None:
        self._starts = tuple(self._start(i) for i in range(len(self.text)))
        self._ends = tuple(self._end(i) for i in range(len(self.text)))

    def _piece(self, i: int) -> tuple[int, int, int, int]:
        pieces = self._pieces
        assert pieces is not None
        lo, hi = 0, len(pieces)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if pieces[mid][0] <= i:
                lo = mid
            else:
                hi = mid
        return pieces[lo]

    def _start(self, i: int) -> int:
        at, start, _, kind = self._piece(i)
        return start + (i - at) if kind == 0 else start

    def _end(self, i: int) -> int:
        at, start, end, kind = self._piece(i)
        return start + (i - at) + 1 if kind == 0 else end

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span `[start, end)` (which must not be empty)."""
        if self._pieces is not None:
            return self._start(start), self._end(end - 1)
        if self._starts is None or self._ends is None:
            return start, end
        return self._starts[start], self._ends[end - 1]


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
        if _patterns()[0].search(text) is None:
            return Normalized(text)
        chars = list(text)
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:
        joined, pieces = _unicode_pass(text)
        if _patterns()[0].search(joined) is None:
            return Normalized(joined, pieces=pieces)
        norm = Normalized(joined, pieces=pieces)
        chars = list(joined)
        starts = list(norm.starts or ())
        ends = list(norm.ends or ())
    joined = "".join(chars)
    chars, starts, ends = _join_spelled_digits(joined, starts, ends)
    return Normalized("".join(chars), tuple(starts), tuple(ends))


def _unicode_pass(text: str) -> tuple[str, list[tuple[int, int, int, int]]]:
    """NFKC by cluster, invisible characters removed, digits folded; ASCII runs are copied
    through in one piece. Returns the text and its map by pieces (see `Normalized`)."""
    out: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    at = 0  # length of the output so far
    done = 0  # text[:done] is handled
    for m in _patterns()[1].finditer(text):
        run = m.group()
        if _stable(run):
            continue  # copied through with the ASCII around it
        # The cluster may start at the ASCII character before the run (`e` + U+0301).
        a = m.start() - 1 if m.start() > done and unicodedata.combining(run[0]) else m.start()
        if a > done:
            out.append(text[done:a])
            pieces.append((at, done, a, 0))
            at += a - done
        at = _clusters(text, a, m.end(), out, pieces, at)
        done = m.end()
    if done < len(text):
        out.append(text[done:])
        pieces.append((at, done, len(text), 0))
    return "".join(out), pieces


def _stable(run: str) -> bool:
    """True when normalization keeps every character of a run outside ASCII as it is, each
    its own cluster (no combining mark): NFKC changes none of them, and none is removed or
    a digit."""
    return unicodedata.is_normalized("NFKC", run) and not any(
        unicodedata.combining(ch) or ch.isdecimal() or _removed(ch) for ch in run
    )


def _clusters(
    text: str, i: int, n: int, out: list[str], pieces: list[tuple[int, int, int, int]], at: int
) -> int:
    """Normalize `text[i:n]` cluster by cluster (a character and the combining marks or
    removed characters after it); returns the length of the output after it."""
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
        folded = _fold(unicodedata.normalize("NFKC", "".join(kept)))
        if folded:
            out.append(folded)
            pieces.append((at, i, j, 1))
            at += len(folded)
        i = j
    return at


def _join_spelled_digits(
    joined: str, starts: list[int], ends: list[int]
) -> tuple[list[str], list[int], list[int]]:
    drop: set[int] = set()
    for m in _patterns()[0].finditer(joined):
        drop.update(range(m.start() + 1, m.end(), 2))
    keep = [k for k in range(len(joined)) if k not in drop]
    return [joined[k] for k in keep], [starts[k] for k in keep], [ends[k] for k in keep]
