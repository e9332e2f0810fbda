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
_SHORT = 512  # a text this short runs the (light) patterns of a recognizer it has seeds for
_HEAVY = 2000  # whole; patterns this long (in all), or holding letters, are heavy


@functools.cache
def _any_digits() -> Any:
    """Runs of decimal digits, as the `regex` module (which runs Presidio's patterns)
    knows them."""
    import regex

    return regex.compile(r"\d+")


class Text:
    """A text being analysed, with what several recognizers read from it, computed once."""

    __slots__ = ("_rev", "_run_starts", "_runs", "memo", "n", "simple", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self._runs: list[tuple[int, int]] | None = None
        # The seeds read ASCII digits: a text with other digits runs without them.
        self.simple = True
        if not text.isascii():
            self._runs = [m.span() for m in _any_digits().finditer(text)]
            self.simple = all(text[s:e].isascii() for s, e in self._runs)
        self._run_starts: list[int] | None = None
        self._rev: str | None = None
        self.memo: dict[str, Any] = {}  # what else readers share

    @property
    def runs(self) -> list[tuple[int, int]]:
        """The runs of ASCII digits (of digits, in a text that is not `simple`)."""
        if self._runs is None:
            self._runs = [m.span() for m in _DIGITS.finditer(self.text)]
        return self._runs

    @property
    def total_digits(self) -> int:
        found: int | None = self.memo.get("digits")
        if found is None:
            found = self.memo["digits"] = sum(e - s for s, e in self.runs)
        return found

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


# ---- seeds: positions such that every match of a recognizer lies in the stretch between
# barriers around one of them (see the module docstring). Each reads the recognizer's
# patterns; the equivalence tests check them on the corpus and on generated text.


def _run_seeds(t: Text) -> dict[str, list[int]]:
    """The seeds read from the runs of ASCII digits, for every recognizer at once."""
    found: dict[str, list[int]] | None = t.memo.get("seeds")
    if found is not None:
        return found
    text, n, runs = t.text, t.n, t.runs
    card: list[int] = []
    long8: list[int] = []
    long7: list[int] = []
    lic: list[int] = []
    itin: list[int] = []
    ssn: list[int] = []
    nhs: list[int] = []
    crypto: list[int] = []
    date: list[int] = []
    ip: list[int] = []
    iban: list[int] = []
    last = len(runs) - 1
    for i, (s, e) in enumerate(runs):
        size = e - s
        before = text[s - 1] if s else ""
        after = text[e] if e < n else ""
        # A letter to a case-insensitive `[A-Z]` maybe: the long s and the Kelvin sign are.
        letter_before = before != "" and (before.isalpha() or not before.isascii())
        letter_after = after != "" and (after.isalpha() or not after.isascii())
        sep_after = after == "-" or after == " "
        if size >= 8:  # bank numbers and passports: eight digits or more
            long8.append(s)
        if size >= 7:  # medical licences: seven
            long7.append(s)
        # Driver's licences: a letter next to a digit (or `]` before one: a typo in the
        # pattern), or six digits.
        if size >= 6 or letter_before or before == "]" or letter_after:
            lic.append(s)
        # Cards: four digits, then three more, directly or after a dash or a space.
        if size >= 7 or (size >= 4 and sep_after):
            card.append(s)
        # NHS numbers: 3-3-4 digits, separators optional.
        if size >= 6 or (size >= 3 and sep_after):
            nhs.append(s)
        # ITINs: `\b9\d{2}`.
        if size >= 3 and text[s] == "9":
            itin.append(s)
        # Dates: the first number of a date (1, 2 or 4 digits, after a word boundary) before
        # `-`, `/` or `.`, or a month's letter and `-` before the year (2 or 4 digits).
        if (size <= 2 or size == 4) and (
            after == "-"
            or after == "/"
            or after == "."
            or (
                before == "-"
                and size != 1
                and s >= 2
                and (text[s - 2].isalpha() or not text[s - 2].isascii())
            )
        ):
            date.append(s)
        # IPv4: a digit, a dot, a digit.
        if after == "." and e + 1 < n and "0" <= text[e + 1] <= "9":
            ip.append(s)
        # Crypto addresses: a digit in a stretch of 26 letters and digits (shorter
        # stretches are dropped): a run of 26 digits, or a run next to a letter.
        if size >= 26 or letter_before or letter_after:
            crypto.append(s)
        # IBANs: two letters and two digits.
        if size >= 2 and letter_before and s >= 2:
            ch = text[s - 2]
            if ch.isalpha() or not ch.isascii():
                iban.append(s)
        # SSNs: runs of 9, 5-4, 3-6 or 3-2-4 digits (each pattern has a word boundary at
        # both ends, so its groups are whole runs), joined by a separator.
        if size == 9:
            ssn.append(s)
        elif (size == 3 or size == 5) and after in ("-", " ", ".") and i < last:
            s2, e2 = runs[i + 1]
            if s2 == e + 1:
                if size == 5:
                    if after == "-" and e2 - s2 == 4:
                        ssn.append(s)
                elif e2 - s2 == 6:
                    if after == "-":
                        ssn.append(s)
                elif e2 - s2 == 2 and e2 < n and text[e2] in "- ." and i + 1 < last:
                    s3, e3 = runs[i + 2]
                    if s3 == e2 + 1 and e3 - s3 == 4:
                        ssn.append(s)
    if ":" in text:
        # IPv6: two colons within five characters.
        ip.extend(m.start() for m in _COLONS.finditer(text))
        ip.sort()
    found = t.memo["seeds"] = {
        "card": card,
        "long8": long8,
        "long7": long7,
        "license": lic,
        "itin": itin,
        "ssn": ssn,
        "nhs": nhs,
        "crypto": crypto,
        "date": date,
        "ip": ip,
        "iban": iban,
    }
    return found


def _runs(kind: str) -> Callable[[Text], list[int]]:
    def seeds(t: Text) -> list[int]:
        return _run_seeds(t)[kind]

    seeds.kind = kind  # type: ignore[attr-defined]  # (read by `PatternPath.analyze`)
    return seeds


def _found(pattern: re.Pattern[str]) -> Callable[[Text], list[int]]:
    """Seeds where `pattern` matches."""

    def seeds(t: Text) -> list[int]:
        return [m.start() for m in pattern.finditer(t.text)]

    return seeds


def _spaced(sep: str, step: int, count: int) -> Callable[[Text], list[int]]:
    """Seeds where `count` more `sep` follow a `sep`, `step` characters apart."""
    last = step * count

    offsets = range(step, last + 1, step)

    def seeds(t: Text) -> list[int]:
        text = t.text
        out: list[int] = []
        if text.count(sep) <= count:
            return out
        stop = t.n - last
        at = text.find(sep)
        while 0 <= at < stop:
            for k in offsets:
                if text[at + k] != sep:
                    break
            else:
                out.append(at)
            at = text.find(sep, at + 1)
        return out

    return seeds


_COLON_MAC, _DASH_MAC, _DOT_MAC = _spaced(":", 3, 4), _spaced("-", 3, 4), _spaced(".", 5, 1)


def _mac(t: Text) -> list[int]:
    # `xx:xx:xx:xx:xx:xx` (or `-`): five separators three apart; `xxxx.xxxx.xxxx`: two
    # dots five apart.
    return sorted(_COLON_MAC(t) + _DASH_MAC(t) + _DOT_MAC(t))


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
    "CreditCardRecognizer": (_runs("card"), 13),
    "UsBankRecognizer": (_runs("long8"), 8),
    "UsLicenseRecognizer": (_runs("license"), 2),
    "UsItinRecognizer": (_runs("itin"), 9),
    "UsPassportRecognizer": (_runs("long8"), 9),
    "UsSsnRecognizer": (_runs("ssn"), 9),
    "NhsRecognizer": (_runs("nhs"), 10),
    "CryptoRecognizer": (_runs("crypto"), 26),
    "DateRecognizer": (_runs("date"), 3),
    "EmailRecognizer": (_chars("@"), 3),
    "IbanRecognizer": (_runs("iban"), 12),
    "IpRecognizer": (_runs("ip"), 2),
    "MedicalLicenseRecognizer": (_runs("long7"), 9),
    "MacAddressRecognizer": (_mac, 14),
    "UuidRecognizer": (_spaced("-", 5, 3), 36),  # `8-4-4-4-12`: four dashes five apart
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
    heavy: bool = False  # slow patterns: worth cutting even a short text into stretches
    # The recognizer's own `validate_result` (or an equivalent: `_validator`), if it has one.
    validate: Callable[[str], bool | None] | None = None
    invalidates: bool = True  # the recognizer has its own `invalidate_result`
    kind: str | None = None  # the seeds' name in `_run_seeds`, for seeds read from runs


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
            # Patterns that can hold letters try a match at most positions of a text, and
            # long ones are slow: cut even a short text to stretches for them.
            heavy = barrier is not None and (
                barrier.match("a") is None or sum(len(p.regex) for p in r.patterns) > _HEAVY
            )
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
                    _validator(r, PatternRecognizer),
                    getattr(type(r), "invalidate_result", None)
                    is not PatternRecognizer.invalidate_result,
                    getattr(seeds, "kind", None),
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
        validate, invalidates = unit.validate, unit.invalidates
        for compiled, score, needs in unit.patterns:
            if needs and not _holds(text, needs):
                continue
            for m in compiled.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                s = score
                if validate is not None:
                    valid = validate(text[start:end])
                    if valid is not None:
                        s = 1.0 if valid else 0.0
                if invalidates and recognizer.invalidate_result(text[start:end]):
                    s = 0.0
                if s > 0.0:
                    hits.append(Hit(unit.entity, offset + start, offset + end, s, unit.name))

    def _run_stretches(
        self,
        unit: _Unit,
        t: Text,
        seeds: list[int],
        hits: list[Hit],
        emails: list[tuple[int, int]] | None = None,
    ) -> None:
        """Run `unit` on the stretches around `seeds` only (see the module docstring).
        `emails`: leave out the stretches where a URL can only be inside these addresses."""
        if t.n <= _SHORT and not unit.heavy:
            # Finding the stretches would cost more than the patterns on the whole text.
            self._run(unit, t.text, 0, hits)
            return
        stretches = t.stretches(unit.barrier, seeds, unit.shortest)
        if emails:
            stretches = [s for s in stretches if not _only_in_emails(t.text, s, emails)]
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
        self,
        text: str | Text,
        entities: frozenset[str] | None = None,
        min_score: float = 0.0,
        *,
        resolved: bool = False,
    ) -> list[Hit]:
        """What Presidio's analyzer on a blank pipeline returns for `text`, as hits.

        `resolved`: the caller drops a URL inside an e-mail address, as `extra.resolve`
        does; URLs that can only be inside the e-mail addresses found may be left out."""
        hits: list[Hit] = []
        t = text if isinstance(text, Text) else Text(text)
        text = t.text
        seeded = self.shortcuts and t.simple
        emails: list[tuple[int, int]] = []
        run_seeds = _run_seeds(t) if seeded else None
        for unit in self.units:
            if entities is not None and unit.entity not in entities:
                continue
            if run_seeds is not None and unit.seeds is not None:
                seeds = run_seeds[unit.kind] if unit.kind is not None else unit.seeds(t)
                if not seeds:
                    continue
                inside = None
                if unit.name == "UrlRecognizer" and emails and resolved:
                    inside = emails
                found = len(hits)
                self._run_stretches(unit, t, seeds, hits, inside)
                if unit.name == "EmailRecognizer":
                    emails = [(h.start, h.end) for h in hits[found:]]
            else:
                self._run(unit, text, 0, hits)
        if self.phone is not None and (entities is None or "PHONE_NUMBER" in entities):
            hits.extend(self.phone.scan(text, t))
        if min_score > 0:
            hits = [h for h in hits if h.score >= min_score]
        return remove_contained(hits)


def _validator(recognizer: Any, base: Any) -> Callable[[str], bool | None] | None:
    """The recognizer's `validate_result`, None when it keeps the base class's (which
    validates nothing); for Presidio's card recognizer with its default replacements, an
    equivalent Luhn check without its lists of digits, and for its e-mail recognizer an
    equivalent domain check (`_email_validator`)."""
    own = getattr(type(recognizer), "validate_result", None)
    if own is None or own is base.validate_result:
        return None
    validate: Callable[[str], bool | None] = recognizer.validate_result
    if type(recognizer).__name__ == "CreditCardRecognizer" and recognizer.replacement_pairs == [
        ("-", ""),
        (" ", ""),
    ]:

        def card(match: str) -> bool | None:
            digits = match.replace("-", "").replace(" ", "")
            if digits.isascii() and digits.isdigit():
                return luhn(digits)
            return validate(match)  # other digits (`int` reads them), or other characters

        return card
    if type(recognizer).__name__ == "EmailRecognizer":
        return _email_validator() or validate
    return validate


_IDEOGRAPHIC_DOTS = str.maketrans("\u3002\uff0e\uff61", "...")  # read as dots by tldextract


def _email_validator() -> Callable[[str], bool] | None:
    """Presidio's e-mail validation, `tldextract.extract(match).fqdn != ""`, without the
    result objects on the way: the host as `tldextract` reads it from the match, and
    whether its public suffix (private domains excluded, as `extract` asks) has a domain
    before it. None when `tldextract` lacks the parts this reads (another version)."""
    presidio.keep_offline()  # the extractor reads the bundled suffix list, never the network
    try:
        import tldextract.tldextract as tld
        from tldextract.remote import lenient_netloc, looks_like_ipv6

        tld.TLD_EXTRACTOR._get_tld_extractor().suffix_index  # noqa: B018
    except (ImportError, AttributeError):
        return None

    def email(match: str) -> bool:
        host = lenient_netloc(match).translate(_IDEOGRAPHIC_DOTS)
        if len(host) >= 4 and host[0] == "[" and host[-1] == "]" and looks_like_ipv6(host[1:-1]):
            return False
        labels = host.split(".")
        found = tld.TLD_EXTRACTOR._get_tld_extractor().suffix_index(
            labels, include_psl_private_domains=False
        )
        if not found:
            return False  # no suffix (an IPv4 address among them)
        (at, node), _ = found
        suffix = ".".join(labels[at:])
        domain = labels[at - 1] if at > 0 else ""
        return bool(suffix) and (bool(domain) or bool(node.is_private))

    return email


def luhn(digits: str) -> bool:
    """The Luhn checksum of a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _only_in_emails(text: str, stretch: tuple[int, int], emails: list[tuple[int, int]]) -> bool:
    """True when every match of Presidio's URL patterns in `stretch` lies inside one of the
    e-mail addresses found (`emails`, each scored 1.0 by its validation), so that the
    resolution drops it and it changes nothing else. Without `/` (a scheme or a path) and
    quotes, a URL match is a run of letters, digits, dots and dashes with a dot in it: it is
    inside an address when every such run of the stretch is."""
    left, right = stretch
    piece = text[left:right]
    if "/" in piece or '"' in piece or "'" in piece:
        return False
    for m in _url_runs().finditer(text, left, right):
        if "." in m.group() and not any(a <= m.start() and m.end() <= b for a, b in emails):
            return False
    return True


@functools.cache
def _url_runs() -> Any:
    import regex

    return regex.compile(r"[a-z0-9.\-\d]+", regex.IGNORECASE)


# ---- barriers ----------------------------------------------------------------------


def _barrier(patterns: list[str]) -> Any:
    """A `regex` pattern matching the characters that no match of `patterns` can hold or
    look at (outside the one character its lookarounds and word boundaries read past the
    match), or None when the patterns can hold any character. Case is ignored: a wider
    set of characters only makes the stretches longer."""
    import regex

    classes: list[str] = []  # classes a character of a match may belong to
    negated: list[tuple[tuple[Any, ...], ...]] = []  # negated classes, item by item
    try:
        for pattern in patterns:
            if not _atoms(re._parser.parse(pattern), classes, negated):
                return None
    except (re.error, ValueError, TypeError):
        return None
    if not classes and not negated:
        return None
    union = "".join(dict.fromkeys(classes))
    # A barrier is outside every class, and inside every negated class.
    if not negated:
        source = f"[^{union}]"
    elif len(set(negated)) == 1 and (simple := _outside(negated[0], union)) is not None:
        source = simple
    else:
        source = "".join(f"(?=[{_items(n)}])" for n in negated[1:]) + f"[{_items(negated[0])}]"
        if classes:
            source = f"(?![{union}])" + source
    try:
        return regex.compile(source, regex.IGNORECASE)
    except regex.error:
        return None


def _items(negated: tuple[tuple[Any, ...], ...]) -> str:
    out = []
    for item in negated:
        if item[0] == "lit":
            out.append(_char(item[1]))
        elif item[0] == "range":
            out.append(f"{_char(item[1])}-{_char(item[2])}")
        else:
            out.append(item[1])
    return "".join(out)


def _outside(negated: tuple[tuple[Any, ...], ...], union: str) -> str | None:
    """The class of the characters in `negated` and in none of the classes `union`, spelled
    out (a faster barrier than the lookahead), or None when that takes too long."""
    import regex

    inside = regex.compile(f"[{union}]", regex.IGNORECASE) if union else None
    out = []
    for item in negated:
        if item[0] == "lit":
            chars = [item[1]]
        elif item[0] == "range":
            if item[2] - item[1] > 512:
                return None
            chars = list(range(item[1], item[2] + 1))
        else:
            if item[1] != "\\s":
                return None
            # A blank of the union would have to be left out: keep it simple.
            if inside is not None and any(inside.match(ch) for ch in _blanks()):
                return None
            out.append("\\s")
            continue
        out.extend(_char(c) for c in chars if inside is None or not inside.match(chr(c)))
    return f"[{''.join(out)}]" if out else None


@functools.cache
def _blanks() -> tuple[str, ...]:
    """Every character of the `regex` module's `\\s` (all below U+3001)."""
    import regex

    blank = regex.compile(r"\s")
    return tuple(chr(c) for c in range(0x3001) if blank.match(chr(c)))


def _atoms(parsed: Any, classes: list[str], negated: list[tuple[tuple[Any, ...], ...]]) -> bool:
    """Add the character classes of a parsed pattern; False when one is not understood."""
    from re import _constants as c

    for op, av in parsed:
        if op is c.LITERAL:
            classes.append(_char(av))
        elif op is c.IN:
            items: list[tuple[Any, ...]] = []
            negate = False
            for item_op, item in av:
                if item_op is c.NEGATE:
                    negate = True
                elif item_op is c.LITERAL:
                    items.append(("lit", item))
                elif item_op is c.RANGE:
                    items.append(("range", item[0], item[1]))
                elif item_op is c.CATEGORY and item in _CATEGORIES:
                    items.append(("cat", _CATEGORIES[item]))
                else:
                    return False
            if negate:
                negated.append(tuple(items))
            else:
                classes.append(_items(tuple(items)))
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
    """`text` holds a character of each of `needs`."""
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
    with an equal or higher score (and exact repeats), and hits scored zero. The hits come
    back in order of entity, start, length (longest first) and score (highest first)."""
    if len(hits) < 2:
        return [h for h in hits if h.score != 0]
    groups: dict[str, list[Hit]] = {}
    for h in hits:
        if h.score != 0:
            groups.setdefault(h.entity, []).append(h)
    kept: list[Hit] = []
    for group in groups.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        unique: dict[tuple[int, int, float], Hit] = {}
        for h in group:
            unique.setdefault((h.start, h.end, h.score), h)
        active: list[Hit] = []
        for h in sorted(unique.values(), key=_contained_order):
            active = [a for a in active if a.end >= h.start]
            if any(h.start >= a.start and h.end <= a.end and h.score <= a.score for a in active):
                continue
            kept.append(h)
            active.append(h)
    kept.sort(key=_order)
    return kept


def _contained_order(h: Hit) -> tuple[int, int, float]:
    return (h.start, h.start - h.end, -h.score)


def _order(h: Hit) -> tuple[str, int, int, float]:
    return (h.entity, h.start, h.start - h.end, -h.score)
