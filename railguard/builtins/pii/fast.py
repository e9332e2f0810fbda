"""The pattern path: what Presidio's pattern and checksum recognizers find, much faster.

`PatternPath.analyze(text)` returns the same results (entity, span, score) as Presidio's
`AnalyzerEngine.analyze` on a blank spaCy pipeline (which has no NER, and gives the context
enhancer no lemmas to work with), reusing Presidio's own recognizer objects, patterns and
validators. It is faster because it skips what cannot change the answer:

* no NLP pipeline runs, and no explanation objects are built;
* a recognizer's patterns run only on the stretches of text where they can match. From its
  patterns (their literals, classes and lookarounds) comes the set of characters a match
  can hold or look at; the others are barriers no match crosses. Each known recognizer has
  cheap seeds, read from the runs of digits of the text and a few characters around them
  (a run of seven digits for a medical licence, three digits and a dash for an SSN, an `@`
  for an e-mail address...), such that every match lies in the stretch between barriers
  around some seed. The patterns then run once on those stretches, joined with the
  barrier character on each side of each, and the matches are mapped back: a lookaround
  or a word boundary at the edge of a stretch reads the same character as in the text;
* the phone recognizer, which costs most (python-phonenumbers, once per region), is
  replaced by `phones.PhoneScanner`, which finds the same numbers with less work.

A text holding a digit outside ASCII (one that NFKC normalization did not fold) runs every
recognizer on the whole text: the seeds read ASCII digits. `shortcuts=False` does the same
for every text. `tests/builtins/pii/test_presidio_equivalence.py` checks the results against
Presidio's on the synthetic PII corpus and on generated text, with and without shortcuts.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from railguard.builtins.pii import presidio


class Hit(NamedTuple):
    """One detection: entity type, span in the analysed text, score, and what found it."""

    entity: str
    start: int
    end: int
    score: float
    source: str


_DIGITS = re.compile("[0-9]+")
# A colon with another within five characters: every IPv6 match holds such a pair.
_COLONS = re.compile(":(?=[^:]{0,4}:)")
_URL_GATE = re.compile(r"\.[^\s\d.]")  # a dot before a top-level domain's first letter
_SHORT = 512  # a text this short runs the patterns of a recognizer it has seeds for whole
_HEAVY = 2000  # patterns this long (in all) are cut to stretches even in a short text


@functools.cache
def _other_digit() -> Any:
    """A decimal digit outside ASCII, as the `regex` module (which runs Presidio's
    patterns) knows them."""
    import regex

    return regex.compile(r"[\d--[0-9]]", regex.V1)


class Text:
    """A text being analysed, with what several recognizers read from it, computed once."""

    __slots__ = ("_rev", "_run_starts", "_runs", "n", "simple", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        # The seeds read ASCII digits: a text with other digits runs without them.
        self.simple = text.isascii() or _other_digit().search(text) is None
        self._runs: list[tuple[int, int]] | None = None
        self._run_starts: list[int] | None = None
        self._rev: str | None = None

    @property
    def runs(self) -> list[tuple[int, int]]:
        """The runs of ASCII digits."""
        if self._runs is None:
            self._runs = [m.span() for m in _DIGITS.finditer(self.text)]
        return self._runs

    @property
    def rev(self) -> str:
        if self._rev is None:
            self._rev = self.text[::-1]
        return self._rev

    def digits(self, start: int, end: int) -> int:
        """How many ASCII digits `text[start:end]` holds (`start` and `end` not inside a run
        of digits)."""
        if self._run_starts is None:
            self._run_starts = [s for s, _ in self.runs]
        runs = self.runs
        i = bisect.bisect_left(self._run_starts, start)
        total = 0
        while i < len(runs) and runs[i][0] < end:
            total += runs[i][1] - runs[i][0]
            i += 1
        return total

    def stretches(
        self, barrier: Any, seeds: Iterable[int], shortest: int = 0, digits: int = 0
    ) -> list[tuple[int, int]]:
        """The stretches between characters that `barrier` matches around the positions
        `seeds` (in order), of `shortest` characters and `digits` ASCII digits or more."""
        text, n = self.text, self.n
        out: list[tuple[int, int]] = []
        end = -1
        for p in seeds:
            if p < end:
                continue
            found = barrier.search(text, p)
            right = found.start() if found is not None else n
            if right == p:  # the seed is a barrier
                end = p + 1
                continue
            found = barrier.search(self.rev, n - p)
            left = n - found.start() if found is not None else 0
            end = right
            if right - left >= shortest and (not digits or self.digits(left, right) >= digits):
                out.append((left, right))
        return out

    def pieces(self, stretches: list[tuple[int, int]]) -> Pieces:
        """The stretches, each with the character before and after it (a barrier, or the
        text's edge: the first and last stretches keep their place at the edges), joined."""
        n = self.n
        spans = [(max(0, a - 1), min(n, b + 1)) for a, b in stretches]
        text = self.text
        if len(spans) == 1:
            ((a, b),) = spans
            return Pieces(text[a:b], [a], [0])
        marks = []
        at = 0
        for a, b in spans:
            marks.append(at)
            at += b - a
        return Pieces("".join(text[a:b] for a, b in spans), [a for a, _ in spans], marks)


class Pieces(NamedTuple):
    """Stretches of a text joined in one string, and where each came from."""

    text: str
    starts: list[int]  # where each piece starts in the text
    marks: list[int]  # where each piece starts in `text`

    def shift(self, at: int) -> int:
        """What to add to a position in `text` to get the position in the original."""
        if len(self.marks) == 1:
            return self.starts[0]
        i = bisect.bisect_right(self.marks, at) - 1
        return self.starts[i] - self.marks[i]


def _letterish(ch: str) -> bool:
    """Maybe a letter to a case-insensitive `[A-Z]` (the long s and the Kelvin sign are)."""
    return ch.isalpha() or not ch.isascii()


def _alnumish(ch: str) -> bool:
    return ch.isalnum() or not ch.isascii()


# ---- seeds: positions such that every match of a recognizer lies in the stretch between
# barriers around one of them (see the module docstring). Each reads the recognizer's
# patterns; the equivalence tests check them on the corpus and on generated text.


def _long_runs(length: int) -> Callable[[Text], list[int]]:
    def seeds(t: Text) -> list[int]:
        return [s for s, e in t.runs if e - s >= length]

    return seeds


def _card(t: Text) -> list[int]:
    # Four digits, then three more, directly or after a dash or a space.
    text, n = t.text, t.n
    return [s for s, e in t.runs if e - s >= 7 or (e - s >= 4 and e < n and text[e] in "- ")]


def _ssn(t: Text) -> list[int]:
    # Runs of digits of 9, 5-4, 3-6 or 3-2-4 digits (each pattern has a word boundary at
    # both ends, so its groups are whole runs), joined by a separator.
    text, n, runs = t.text, t.n, t.runs
    out = []
    for i, (s, e) in enumerate(runs):
        size = e - s
        if size == 9:
            out.append(s)
        elif size in (3, 5) and e < n and text[e] in "- ." and i + 1 < len(runs):
            s2, e2 = runs[i + 1]
            if s2 != e + 1:
                continue
            if size == 5:
                if text[e] == "-" and e2 - s2 == 4:
                    out.append(s)
            elif e2 - s2 == 6:
                if text[e] == "-":
                    out.append(s)
            elif e2 - s2 == 2 and e2 < n and text[e2] in "- ." and i + 2 < len(runs):
                s3, e3 = runs[i + 2]
                if s3 == e2 + 1 and e3 - s3 == 4:
                    out.append(s)
    return out


def _nhs(t: Text) -> list[int]:
    text, n = t.text, t.n
    return [s for s, e in t.runs if e - s >= 6 or (e - s >= 3 and e < n and text[e] in "- ")]


def _itin(t: Text) -> list[int]:
    # `\b9\d{2}`: a run of three digits or more, starting with 9.
    text = t.text
    return [s for s, e in t.runs if e - s >= 3 and text[s] == "9"]


def _license(t: Text) -> list[int]:
    # A letter next to a digit (or `]` before one: a typo in the pattern), or six digits.
    text, n = t.text, t.n
    return [
        s
        for s, e in t.runs
        if e - s >= 6
        or (s and (text[s - 1] == "]" or _letterish(text[s - 1])))
        or (e < n and _letterish(text[e]))
    ]


def _date(t: Text) -> list[int]:
    # A digit before `-`, `/` or `.`, or a month's letter and `-` before a digit.
    text, n = t.text, t.n
    return [
        s
        for s, e in t.runs
        if (e < n and text[e] in "-/.")
        or (s >= 2 and text[s - 1] == "-" and _letterish(text[s - 2]))
    ]


def _ip(t: Text) -> list[int]:
    # IPv4: a digit, a dot, a digit. IPv6: two colons within five characters.
    text, n = t.text, t.n
    out = [s for s, e in t.runs if e + 1 < n and text[e] == "." and "0" <= text[e + 1] <= "9"]
    if ":" in text:
        out.extend(m.start() for m in _COLONS.finditer(text))
        out.sort()
    return out


def _crypto(t: Text) -> list[int]:
    # A digit (`1`, `3` or the `1` of `bc1`) in a stretch of 26 letters and digits: a
    # run of 26 digits, or a run next to a letter (stretches shorter than 26 are dropped).
    text, n = t.text, t.n
    return [
        s
        for s, e in t.runs
        if e - s >= 26 or (s and _alnumish(text[s - 1])) or (e < n and _alnumish(text[e]))
    ]


def _iban(t: Text) -> list[int]:
    # Two letters and two digits.
    text = t.text
    return [
        s
        for s, e in t.runs
        if e - s >= 2 and s >= 2 and _letterish(text[s - 2]) and _letterish(text[s - 1])
    ]


def _found(pattern: re.Pattern[str]) -> Callable[[Text], list[int]]:
    """Seeds where `pattern` matches."""

    def seeds(t: Text) -> list[int]:
        return [m.start() for m in pattern.finditer(t.text)]

    return seeds


def _mac(t: Text) -> list[int]:
    # `xx:xx:...` (or `-`): separators three apart; `xxxx.xxxx.xxxx`: dots five apart.
    text, n = t.text, t.n
    out = []
    for sep, step in ((":", 3), ("-", 3), (".", 5)):
        at = text.find(sep)
        while at >= 0:
            if at + step < n and text[at + step] == sep:
                out.append(at)
            at = text.find(sep, at + 1)
    out.sort()
    return out


def _uuid(t: Text) -> list[int]:
    # `8-4-4-4-12`: dashes five apart.
    text, n = t.text, t.n
    out = []
    at = text.find("-")
    while at >= 0:
        if at + 10 < n and text[at + 5] == "-" and text[at + 10] == "-":
            out.append(at)
        at = text.find("-", at + 1)
    return out


def _chars(ch: str) -> Callable[[Text], list[int]]:
    def seeds(t: Text) -> list[int]:
        out = []
        text = t.text
        at = text.find(ch)
        while at >= 0:
            out.append(at)
            at = text.find(ch, at + 1)
        return out

    return seeds


_SEEDS: dict[str, tuple[Callable[[Text], list[int]], int]] = {
    # recognizer: (seeds, fewest characters of a stretch that can hold a match)
    "CreditCardRecognizer": (_card, 13),
    "UsBankRecognizer": (_long_runs(8), 8),
    "UsLicenseRecognizer": (_license, 2),
    "UsItinRecognizer": (_itin, 9),
    "UsPassportRecognizer": (_long_runs(8), 9),
    "UsSsnRecognizer": (_ssn, 9),
    "NhsRecognizer": (_nhs, 10),
    "CryptoRecognizer": (_crypto, 26),
    "DateRecognizer": (_date, 3),
    "EmailRecognizer": (_chars("@"), 3),
    "IbanRecognizer": (_iban, 12),
    "IpRecognizer": (_ip, 2),
    "MedicalLicenseRecognizer": (_long_runs(7), 9),
    "MacAddressRecognizer": (_mac, 14),
    "UuidRecognizer": (_uuid, 36),
    "UrlRecognizer": (_found(_URL_GATE), 4),
}
# Recognizers with their own `analyze` that only reads each match and its text: they can
# run on the stretches like the others.
_LOCAL_ANALYZE = frozenset({"IbanRecognizer"})


@dataclass(slots=True)
class _Unit:
    name: str  # the recognizer's class name
    entity: str
    recognizer: Any
    # Compiled pattern, score, and characters every match holds (each string: one of its
    # characters); None: call the recognizer's `analyze`.
    patterns: list[tuple[Any, float, tuple[str, ...]]] | None
    seeds: Callable[[Text], list[int]] | None  # None: run on the whole text
    barrier: Any  # a `regex` pattern matching a character no match holds or reads past
    shortest: int = 0  # fewest characters of a stretch that can hold a match
    heavy: bool = False  # long patterns: worth cutting even a short text into stretches
    validates: bool = True  # the recognizer has its own `validate_result`
    invalidates: bool = True  # ... its own `invalidate_result`


class PatternPath:
    """Presidio's pattern recognizers, run directly (see the module docstring)."""

    def __init__(self, recognizers: Iterable[Any] | None = None, *, shortcuts: bool = True) -> None:
        import regex
        from presidio_analyzer import PatternRecognizer

        self.shortcuts = shortcuts
        self.units: list[_Unit] = []
        self.phone: Any = None
        for r in presidio.pattern_recognizers() if recognizers is None else recognizers:
            name = type(r).__name__
            if name == "PhoneRecognizer" and shortcuts:
                from railguard.builtins.pii.phones import PhoneScanner

                self.phone = PhoneScanner(r)
                continue
            plain = (
                isinstance(r, PatternRecognizer) and type(r).analyze is PatternRecognizer.analyze
            )
            patterns = None
            if plain:
                patterns = []
                for p in r.patterns:
                    if not p.compiled_regex or p.compiled_with_flags != r.global_regex_flags:
                        p.compiled_with_flags = r.global_regex_flags
                        p.compiled_regex = regex.compile(p.regex, flags=r.global_regex_flags)
                    patterns.append((p.compiled_regex, p.score, _needs(p.regex)))
            seeds, shortest = _SEEDS.get(name, (None, 0))
            barrier = None
            if shortcuts and seeds is not None and (plain or name in _LOCAL_ANALYZE):
                barrier = _barrier([p.regex for p in r.patterns])
            if barrier is None:
                seeds = None
            heavy = sum(len(p.regex) for p in getattr(r, "patterns", ())) > _HEAVY
            self.units.append(
                _Unit(
                    name,
                    r.supported_entities[0],
                    r,
                    patterns,
                    seeds,
                    barrier,
                    shortest,
                    heavy,
                    type(r).validate_result is not PatternRecognizer.validate_result,
                    type(r).invalidate_result is not PatternRecognizer.invalidate_result,
                )
            )

    def _run(self, unit: _Unit, text: str, offset: int, hits: list[Hit]) -> None:
        """A recognizer's results on `text`, shifted by `offset`: for a pattern
        recognizer, its matches scored as Presidio's `PatternRecognizer` does."""
        recognizer = unit.recognizer
        if unit.patterns is None:
            for res in recognizer.analyze(text, [unit.entity], None):
                hits.append(
                    Hit(res.entity_type, offset + res.start, offset + res.end, res.score, unit.name)
                )
            return
        validates, invalidates = unit.validates, unit.invalidates
        for compiled, score, needs in unit.patterns:
            if needs and not _holds(text, needs):
                continue
            for m in compiled.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                s = score
                if validates:
                    valid = recognizer.validate_result(text[start:end])
                    if valid is not None:
                        s = 1.0 if valid else 0.0
                if invalidates and recognizer.invalidate_result(text[start:end]):
                    s = 0.0
                if s > 0.0:
                    hits.append(Hit(unit.entity, offset + start, offset + end, s, unit.name))

    def _run_stretches(self, unit: _Unit, t: Text, hits: list[Hit]) -> None:
        """Run `unit` on the stretches around its seeds only (see the module docstring)."""
        seeds = unit.seeds(t) if unit.seeds is not None else ()
        if not seeds:
            return
        if t.n <= _SHORT and not unit.heavy:
            # Finding the stretches would cost more than the patterns on the whole text.
            self._run(unit, t.text, 0, hits)
            return
        stretches = t.stretches(unit.barrier, seeds, unit.shortest)
        if not stretches:
            return
        pieces = t.pieces(stretches)
        if len(stretches) == 1:
            self._run(unit, pieces.text, pieces.starts[0], hits)
            return
        found: list[Hit] = []
        self._run(unit, pieces.text, 0, found)
        for h in found:
            shift = pieces.shift(h.start)
            hits.append(h._replace(start=h.start + shift, end=h.end + shift))

    @property
    def entities(self) -> frozenset[str]:
        out = {u.entity for u in self.units}
        if self.phone is not None:
            out.add("PHONE_NUMBER")
        return frozenset(out)

    def context_words(self) -> dict[str, tuple[str, ...]]:
        """Each entity's context words, as Presidio's recognizers declare them."""
        out: dict[str, tuple[str, ...]] = {}
        for u in self.units:
            out[u.entity] = tuple(w.lower() for w in (u.recognizer.context or ()))
        if self.phone is not None:
            out["PHONE_NUMBER"] = tuple(w.lower() for w in self.phone.recognizer.context or ())
        return out

    def analyze(
        self, text: str | Text, entities: frozenset[str] | None = None, min_score: float = 0.0
    ) -> list[Hit]:
        """What Presidio's analyzer on a blank pipeline returns for `text`, as hits."""
        hits: list[Hit] = []
        t = text if isinstance(text, Text) else Text(text)
        text = t.text
        seeded = self.shortcuts and t.simple
        for unit in self.units:
            if entities is not None and unit.entity not in entities:
                continue
            if seeded and unit.seeds is not None:
                self._run_stretches(unit, t, hits)
            else:
                self._run(unit, text, 0, hits)
        if self.phone is not None and (entities is None or "PHONE_NUMBER" in entities):
            hits.extend(self.phone.scan(text, t))
        if min_score > 0:
            hits = [h for h in hits if h.score >= min_score]
        return remove_contained(hits)


# ---- barriers ----------------------------------------------------------------------


def _barrier(patterns: list[str]) -> Any:
    """A `regex` pattern matching the characters that no match of `patterns` can hold or
    look at (outside the one character its lookarounds and word boundaries read past the
    match), or None when the patterns can hold any character. Case is ignored: a wider
    set of characters only makes the stretches longer."""
    import regex

    classes: list[str] = []  # classes a character of a match may belong to
    negated: list[str] = []  # negated classes a character of a match may belong to
    try:
        for pattern in patterns:
            if not _atoms(re._parser.parse(pattern), classes, negated):
                return None
    except (re.error, ValueError, TypeError):
        return None
    if not classes and not negated:
        return None
    # A barrier is outside every class, and inside every negated class.
    if negated:
        source = "".join(f"(?=[{items}])" for items in negated[1:]) + f"[{negated[0]}]"
        if classes:
            source = f"(?![{''.join(dict.fromkeys(classes))}])" + source
    else:
        source = f"[^{''.join(dict.fromkeys(classes))}]"
    try:
        return regex.compile(source, regex.IGNORECASE)
    except regex.error:
        return None


def _atoms(parsed: Any, classes: list[str], negated: list[str]) -> bool:
    """Add the character classes of a parsed pattern; False when one is not understood."""
    from re import _constants as c

    for op, av in parsed:
        if op is c.LITERAL:
            classes.append(_char(av))
        elif op is c.IN:
            items = []
            negate = False
            for item_op, item in av:
                if item_op is c.NEGATE:
                    negate = True
                elif item_op is c.LITERAL:
                    items.append(_char(item))
                elif item_op is c.RANGE:
                    items.append(f"{_char(item[0])}-{_char(item[1])}")
                elif item_op is c.CATEGORY and item in _CATEGORIES:
                    items.append(_CATEGORIES[item])
                else:
                    return False
            (negated if negate else classes).append("".join(items))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if not _atoms(av[2], classes, negated):
                return False
        elif op is c.SUBPATTERN:
            if not _atoms(av[3], classes, negated):
                return False
        elif op is c.ATOMIC_GROUP:
            if not _atoms(av, classes, negated):
                return False
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if not _atoms(av[1], classes, negated):
                return False
        elif op is c.BRANCH:
            for branch in av[1]:
                if not _atoms(branch, classes, negated):
                    return False
        elif op is c.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None and not _atoms(branch, classes, negated):
                    return False
        elif op in (c.AT, c.GROUPREF):
            pass  # anchors and word boundaries read one character; a reference, a group's
        else:
            return False  # any character, a negated literal, ...
    return True


def _needs(pattern: str) -> tuple[str, ...]:
    """Characters every match of `pattern` holds, as strings of which a match holds one
    character: punctuation and digits only (no letters, which case may change)."""
    try:
        found = _required(re._parser.parse(pattern))
    except (re.error, ValueError, TypeError):
        return ()
    out = []
    for chars in found:
        alt = "".join(sorted(chars))
        if alt.isascii() and not any(ch.isalpha() for ch in alt) and alt not in out:
            out.append(alt)
    return tuple(out)


def _required(parsed: Any) -> list[frozenset[str]]:
    """Sets of characters of which every match holds one (lookarounds left out)."""
    from re import _constants as c

    out: list[frozenset[str]] = []
    for op, av in parsed:
        if op is c.LITERAL:
            out.append(frozenset(chr(av)))
        elif op is c.IN:
            if av and all(item_op is c.LITERAL for item_op, _ in av):
                out.append(frozenset(chr(item) for _, item in av))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                out.extend(_required(av[2]))
        elif op is c.SUBPATTERN:
            out.extend(_required(av[3]))
        elif op is c.ATOMIC_GROUP:
            out.extend(_required(av))
        elif op is c.BRANCH:
            common = set(_required(av[1][0]))
            for branch in av[1][1:]:
                common &= set(_required(branch))
            out.extend(common)
    return out


def _holds(text: str, needs: tuple[str, ...]) -> bool:
    for alt in needs:
        if len(alt) == 1:
            if alt not in text:
                return False
        elif not any(ch in text for ch in alt):
            return False
    return True


def _char(code: int) -> str:
    return f"\\U{code:08x}"


_CATEGORIES = {
    re._constants.CATEGORY_DIGIT: "\\d",
    re._constants.CATEGORY_WORD: "\\w",
    re._constants.CATEGORY_SPACE: "\\s",
}


def remove_contained(hits: list[Hit]) -> list[Hit]:
    """Presidio's `remove_duplicates`: drop a hit that another of the same entity contains
    with an equal or higher score (and exact repeats), and hits scored zero."""
    if len(hits) < 2:
        return [h for h in hits if h.score != 0]
    unique: dict[tuple[str, int, int, float], Hit] = {}
    for h in hits:
        unique.setdefault((h.entity, h.start, h.end, h.score), h)
    ordered = sorted(unique.values(), key=lambda h: (h.entity, h.start, h.start - h.end, -h.score))
    kept: list[Hit] = []
    active: list[Hit] = []
    entity = None
    for h in ordered:
        if h.score == 0:
            continue
        if h.entity != entity:
            entity = h.entity
            active = []
        active = [a for a in active if a.end >= h.start]
        if any(h.start >= a.start and h.end <= a.end and h.score <= a.score for a in active):
            continue
        kept.append(h)
        active.append(h)
    return kept
