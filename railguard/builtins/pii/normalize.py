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

Two more folds are optional, for the prompt-injection indicators (`railguard/builtins/
injection/`), and off by default (the PII detectors leave them off):

* `confusables=True` folds the Cyrillic, Greek and other letters that look like Latin ones
  (`ignore` written with Cyrillic `U+0456`, `U+043E`, `U+0435`) to those Latin letters, after NFKC;
* `letters=True` joins words spelled out one letter at a time (`i g n o r e`, `i.g.n.o.r.e`,
  `i-g-n-o-r-e`): a run of at least four single letters separated by one space, dot, dash,
  underscore or asterisk loses its separators.

`digits=False` skips the joining of spelled-out digits. ASCII text without a run to join
is returned as it is, with no map (the identity).
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
_SPELLED_LETTERS = r"(?<![A-Za-z0-9])[A-Za-z](?:[ ._*\-][A-Za-z]){3,}(?![A-Za-z0-9])"
# Letters of other scripts that look like Latin ones (Unicode's confusables, the common
# subset: Cyrillic, Greek, Armenian, Latin small capitals and IPA), folded to ASCII.
_CONFUSABLES = str.maketrans(
    "\u0430\u0432\u0435\u0456\u0458\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445"
    "\u0455\u0501\u04bb\u0410\u0412\u0415\u0406\u0408\u041a\u041c\u041d\u041e\u0420"
    "\u0421\u0422\u0425\u0405\u04c0\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c"
    "\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03b9\u03ba\u03bd\u03c1\u03c5\u0578"
    "\u0585\u057d\u0261\u0251\u0131\u1d00\u0299\u1d04\u1d05\u1d07\u0262\u029c\u026a"
    "\u1d0a\u1d0b\u029f\u1d0d\u0274\u1d0f\u1d18\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21"
    "\u028f\u1d22",
    "aBeijkMHopcTyxsdhABEIJKMHOPCTXSIABEZHIKMNOPTYXoiKvpunosgaiABCDEGHIJKLMNOPRSTUVWYZ",
)


@functools.cache
def _patterns() -> tuple[Any, Any, Any]:
    """Spelled-out digits, runs outside ASCII and spelled-out letters: the `regex` module
    scans a long text for them several times faster than `re` (imported on first use)."""
    import regex

    return (
        regex.compile(_SPELLED),
        regex.compile(r"[^\x00-\x7f]+"),
        regex.compile(_SPELLED_LETTERS),
    )


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

    def dropped(self, length: int) -> bool:
        """True when some character of the original text (of `length` characters) maps to
        no character of the normalized one: an invisible character was removed."""
        if self._pieces is not None:
            at = 0
            for _, start, end, _kind in self._pieces:
                if start != at:
                    return True
                at = end
            return at != length
        if self._starts is None or self._ends is None:
            return False
        at = 0
        for start, end in zip(self._starts, self._ends, strict=True):
            if start > at:
                return True
            at = max(at, end)
        return at != length

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span `[start, end)` (which must not be empty)."""
        if self._pieces is not None:
            return self._start(start), self._end(end - 1)
        if self._starts is None or self._ends is None:
            return start, end
        return self._starts[start], self._ends[end - 1]


# Code points searched for changes: every plane with letters, digits or symbols that NFKC
# rewrites (the BMP, the supplementary planes of mathematical letters, enclosed forms and
# CJK compatibility ideographs), and the tag and variation-selector block.
_SEARCHED = ((0x80, 0x20000), (0x2F800, 0x2FA20), (0xE0000, 0xE01F0))


@functools.cache
def changing_chars(confusables: bool = False) -> frozenset[str]:
    """Every character outside ASCII that `normalize` (with these options) may rewrite or
    drop: NFKC-unstable, removed, combining marks, other digits (and look-alike letters).
    A run outside ASCII with none of them comes out unchanged. Built once (a third of a
    second), when a policy that needs it loads."""
    folded = frozenset(chr(c) for c in _CONFUSABLES) if confusables else frozenset()
    out = []
    for lo, hi in _SEARCHED:
        for code in range(lo, hi):
            if 0xD800 <= code <= 0xDFFF:
                continue
            ch = chr(code)
            if (
                ch in folded
                or _removed(ch)
                or unicodedata.category(ch)[0] == "M"
                or ch.isdecimal()
                or not unicodedata.is_normalized("NFKC", ch)
            ):
                out.append(ch)
    return frozenset(out)


def _removed(ch: str) -> bool:
    """Invisible characters normalization drops (category Cf, variation selectors, ...)."""
    return (
        ch in _INVISIBLE or unicodedata.category(ch) == "Cf" or "\U000e0100" <= ch <= "\U000e01ef"
    )


def _fold(piece: str, confusables: bool = False) -> str:
    if piece.isascii():
        return piece
    out = "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in piece
    )
    return out.translate(_CONFUSABLES) if confusables else out


def normalize(
    text: str, *, digits: bool = True, letters: bool = False, confusables: bool = False
) -> Normalized:
    """Normalize `text` for detection (see the module docstring for the options)."""
    runs = [p for p, on in ((_patterns()[0], digits), (_patterns()[2], letters)) if on]
    if text.isascii():
        if not any(p.search(text) for p in runs):
            return Normalized(text)
        joined = text
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:
        joined, pieces = _unicode_pass(text, confusables)
        if not any(p.search(joined) for p in runs):
            return Normalized(joined, pieces=pieces)
        norm = Normalized(joined, pieces=pieces)
        starts = list(norm.starts or ())
        ends = list(norm.ends or ())
    for pattern in runs:
        chars, starts, ends = _join_spelled(pattern, joined, starts, ends)
        joined = "".join(chars)
    return Normalized(joined, tuple(starts), tuple(ends))


def _unicode_pass(
    text: str, confusables: bool = False
) -> tuple[str, list[tuple[int, int, int, int]]]:
    """NFKC by cluster, invisible characters removed, digits folded (and look-alike letters,
    with `confusables`); ASCII runs are copied through in one piece. Returns the text and
    its map by pieces (see `Normalized`)."""
    out: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    at = 0  # length of the output so far
    done = 0  # text[:done] is handled
    changing = changing_chars(True) if confusables else None
    for m in _patterns()[1].finditer(text):
        start, end = m.span()
        run = m.group()
        if changing is not None:
            if changing.isdisjoint(run):
                continue  # nothing in it changes (a cheaper test than `_stable`)
        elif _stable(run):
            continue  # copied through with the ASCII around it
        # The cluster may start at the ASCII character before the run (`e` + U+0301).
        a = start - 1 if start > done and unicodedata.combining(run[0]) else start
        if a > done:
            out.append(text[done:a])
            pieces.append((at, done, a, 0))
            at += a - done
        at = _clusters(text, a, end, out, pieces, at, confusables)
        done = end
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
    text: str,
    i: int,
    n: int,
    out: list[str],
    pieces: list[tuple[int, int, int, int]],
    at: int,
    confusables: bool = False,
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
        folded = _fold(unicodedata.normalize("NFKC", "".join(kept)), confusables)
        if folded:
            out.append(folded)
            pieces.append((at, i, j, 1))
            at += len(folded)
        i = j
    return at


def _join_spelled(
    pattern: Any, joined: str, starts: list[int], ends: list[int]
) -> tuple[list[str], list[int], list[int]]:
    """Drop the separators of every run of single characters `pattern` finds."""
    drop: set[int] = set()
    for m in pattern.finditer(joined):
        drop.update(range(m.start() + 1, m.end(), 2))
    keep = [k for k in range(len(joined)) if k not in drop]
    return [joined[k] for k in keep], [starts[k] for k in keep], [ends[k] for k in keep]
