"""The pattern path: what Presidio's pattern and checksum recognizers find, much faster.

`PatternPath.analyze(text)` returns the same results (entity, span, score) as Presidio's
`AnalyzerEngine.analyze` on a blank spaCy pipeline (which has no NER, and gives the context
enhancer no lemmas to work with), reusing Presidio's own recognizer objects, patterns and
validators. It is faster because it skips what does not change the answer:

* a recognizer whose trigger is absent from the text is not run: each known recognizer has
  a cheap necessary condition (an `@` for e-mail, four digits in a row for cards, ...);
* most patterns (e-mail, URL, IP, dates, licences, ...) cannot match a blank, so they run
  only on the blank-delimited words where their trigger occurs;
* no NLP pipeline runs, and no explanation objects are built;
* the phone recognizer, which costs most (python-phonenumbers, once per region), runs only
  on windows around candidates with enough digits to be a valid number in some region,
  skips any candidate (or part of one) with fewer digits than the region's shortest valid
  number, and does not verify again in a later region a candidate an earlier region
  accepted whole.

`tests/builtins/pii/test_presidio_equivalence.py` checks the results against Presidio's on
the synthetic PII corpus and on generated text, with and without the shortcuts.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
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


_I = re.IGNORECASE
# A necessary condition for each known recognizer to find anything: when the gate does not
# match, the recognizer is skipped. A recognizer that is not listed always runs.
_GATES: dict[str, re.Pattern[str] | str] = {
    "CreditCardRecognizer": re.compile(r"[1-6]\d{3}"),
    "UsBankRecognizer": re.compile(r"\d{8}"),
    "UsLicenseRecognizer": re.compile(r"\d"),
    "UsItinRecognizer": re.compile(r"9\d\d"),
    "UsPassportRecognizer": re.compile(r"\d{8}"),
    "UsSsnRecognizer": re.compile(r"\d{3}"),
    "NhsRecognizer": re.compile(r"\d{3}"),
    "CryptoRecognizer": re.compile(r"[13][a-z0-9]{25}", _I),
    "DateRecognizer": re.compile(r"\d"),
    "EmailRecognizer": re.compile("@"),
    "IbanRecognizer": re.compile(r"[a-z]{2}\d\d", _I),
    "IpRecognizer": re.compile(r"\d\.\d|:"),
    "MedicalLicenseRecognizer": re.compile(r"\d{7}"),
    "MacAddressRecognizer": re.compile(r"[0-9a-f]{2}[:-][0-9a-f]{2}|[0-9a-f]{4}\.", _I),
    "UuidRecognizer": re.compile(r"[0-9a-f]{8}-", _I),
    "UrlRecognizer": re.compile(r"[a-z0-9.\-]\.[a-z]", _I),
}

# Recognizers none of whose patterns can match a blank (checked by the equivalence tests):
# on texts longer than `_WINDOW_FROM`, they run only on the words that hold their trigger.
_WORDWISE = frozenset(
    "EmailRecognizer UrlRecognizer IpRecognizer MedicalLicenseRecognizer CryptoRecognizer "
    "MacAddressRecognizer UuidRecognizer UsLicenseRecognizer DateRecognizer UsBankRecognizer "
    "UsPassportRecognizer".split()
)
_WINDOW_FROM = 0
# Blanks in both `re` and `regex` (the Unicode White_Space property).
_WORD = re.compile("[^ \t\n\r\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


@dataclass(slots=True)
class _Unit:
    name: str  # the recognizer's class name
    entity: str
    recognizer: Any
    patterns: list[tuple[Any, float]] | None  # compiled pattern and score; None: call analyze
    gate: re.Pattern[str] | str | None
    wordwise: bool = False


class PatternPath:
    """Presidio's pattern recognizers, run directly (see the module docstring)."""

    def __init__(self, recognizers: Iterable[Any] | None = None, *, shortcuts: bool = True) -> None:
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
                        import regex

                        p.compiled_with_flags = r.global_regex_flags
                        p.compiled_regex = regex.compile(p.regex, flags=r.global_regex_flags)
                    patterns.append((p.compiled_regex, p.score))
            self.units.append(
                _Unit(
                    name,
                    r.supported_entities[0],
                    r,
                    patterns,
                    _GATES.get(name) if shortcuts else None,
                    shortcuts and name in _WORDWISE and patterns is not None,
                )
            )

    @staticmethod
    def _run(unit: _Unit, text: str, offset: int, hits: list[Hit]) -> None:
        """A pattern recognizer's matches, scored as Presidio's `PatternRecognizer` does."""
        recognizer = unit.recognizer
        for compiled, score in unit.patterns or ():
            for m in compiled.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                matched = text[start:end]
                s = score
                valid = recognizer.validate_result(matched)
                if valid is not None:
                    s = 1.0 if valid else 0.0
                if recognizer.invalidate_result(matched):
                    s = 0.0
                if s > 0.0:
                    hits.append(Hit(unit.entity, offset + start, offset + end, s, unit.name))

    @classmethod
    def _run_words(
        cls, unit: _Unit, text: str, words: list[tuple[int, int]], hits: list[Hit]
    ) -> None:
        """Run a recognizer that cannot match a blank on `words` only: joined by single
        spaces into one string (one call per pattern), the matches mapped back."""
        if len(words) == 1:
            ((start, end),) = words
            cls._run(unit, text[start:end], start, hits)
            return
        if not words:
            return
        marks = []
        at = 0
        for start, end in words:
            marks.append(at)
            at += end - start + 1
        found: list[Hit] = []
        cls._run(unit, " ".join(text[start:end] for start, end in words), 0, found)
        for h in found:
            i = bisect.bisect_right(marks, h.start) - 1
            shift = words[i][0] - marks[i]
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
        self, text: str, entities: frozenset[str] | None = None, min_score: float = 0.0
    ) -> list[Hit]:
        """What Presidio's analyzer on a blank pipeline returns for `text`, as hits."""
        hits: list[Hit] = []
        words: list[tuple[int, int]] | None = None
        long_text = len(text) > _WINDOW_FROM
        for unit in self.units:
            if entities is not None and unit.entity not in entities:
                continue
            gate = unit.gate
            if gate is not None:
                if type(gate) is str:
                    if gate not in text:
                        continue
                elif gate.search(text) is None:  # type: ignore[union-attr]
                    continue
            if unit.patterns is None:
                for res in unit.recognizer.analyze(text, [unit.entity], None):
                    hits.append(Hit(res.entity_type, res.start, res.end, res.score, unit.name))
                continue
            if unit.wordwise and long_text and isinstance(gate, re.Pattern):
                if words is None:
                    words = [m.span() for m in _WORD.finditer(text)]
                self._run_words(unit, text, _words_with(gate, text, words), hits)
            else:
                self._run(unit, text, 0, hits)
        if self.phone is not None and (entities is None or "PHONE_NUMBER" in entities):
            hits.extend(self.phone.scan(text))
        if min_score > 0:
            hits = [h for h in hits if h.score >= min_score]
        return remove_contained(hits)


def _words_with(
    gate: re.Pattern[str], text: str, words: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The words (blank-delimited spans) that hold a match of `gate`, in order, merged where
    a match runs over a blank."""
    starts = [w[0] for w in words]
    out: list[tuple[int, int]] = []
    pos = 0
    while (m := gate.search(text, pos)) is not None:
        i = bisect.bisect_right(starts, m.start()) - 1
        if i < 0 or words[i][1] <= m.start():  # the match starts on a blank
            i = bisect.bisect_left(starts, m.start())
            if i >= len(words):
                break
        word = words[i]
        if word[1] < m.end():  # the trigger runs past the word (a blank inside it)
            word = (word[0], words[bisect.bisect_left(starts, m.end()) - 1][1])
        if out and out[-1][1] >= word[0]:
            out[-1] = (out[-1][0], max(out[-1][1], word[1]))
        else:
            out.append(word)
        pos = max(word[1], m.start() + 1)
    return out


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
