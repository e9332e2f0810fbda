"""Presidio's phone recognizer, run only where a valid number can be.

Presidio runs python-phonenumbers' `PhoneNumberMatcher` over the whole text once per
region (eight by default) and parses every match once more: most of its analyzer's time on
short texts. The answer is the union, over the regions, of the matched spans. This scanner
computes the same union with less work:

* the matcher's candidate pattern runs once over the text, and only windows around
  candidates with enough digits to be valid in one of the regions go to the per-region
  matchers, with a margin wide enough for the checks a matcher makes on the characters
  around a candidate;
* the parts of a candidate the matcher tries when the whole does not parse (split at
  slashes, brackets, dashes, dots and spaces) depend on the candidate only, so they are
  computed once per scan and shared by the regions;
* a candidate, or a part of one, is refused without parsing when it has fewer digits than
  the shortest valid number for the region, or when it is written nationally (no `+`, no
  international prefix, no extension) and none of the national numbers parsing could leave
  (the suffixes of its digits, after the country code and national prefix) has a length
  and a pattern of some number type (fixed line, mobile, ...) of a region of that country
  code, which phonenumbers' validation requires;
* a candidate starting with `+` parses to the same number whatever the region, so it is
  parsed and verified once per scan;
* a candidate that an earlier region accepted whole is accepted again without parsing.

Every refusal is a necessary condition that phonenumbers itself checks, read from its own
metadata; phonenumbers' pattern cache is switched on (`enable_pattern_cache`) so that its
regular expressions are compiled once. `tests/builtins/pii/test_presidio_equivalence.py`
compares the scanner with Presidio's recognizer on the corpus and on generated numbers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from railguard.builtins.pii.fast import Hit

_MARGIN = 8  # characters kept on each side of a candidate window
_JOIN = 12  # candidates closer than this share a window
_PLUS_CHARS = "+\uff0b"
_DIGIT = re.compile(r"\d")
_FIRST = re.compile("[+\uff0b\\d]")  # where parsing starts reading a number
# Anything but digits, spaces and separators: an extension (`x`, `ext`, `#`) or letters.
_NOT_PLAIN = re.compile(r"[^\d\s\-.()/\[\]\u2010-\u2015\u2212\uff0d-\uff0f]")
_DESCS = (
    "general_desc fixed_line mobile toll_free premium_rate shared_cost personal_number "
    "voip pager uan voicemail"
).split()


@dataclass(frozen=True, slots=True)
class _Region:
    """What the refusals need to know about one region."""

    code: str
    national_min: int  # fewest digits of a valid number written nationally
    intl_min: int  # fewest digits of a valid number written with `+`
    lengths: frozenset[int]  # valid national number lengths for the country code
    strip: int  # most digits parsing may strip from a national candidate
    idd: re.Pattern[str] | None  # the international prefix
    types: dict[int, tuple[re.Pattern[str], ...]]  # number type patterns, by valid length


@dataclass(frozen=True, slots=True)
class _Part:
    """A candidate, or a part of one, with what the refusals read from it."""

    text: str
    digits: str
    plus: bool  # parsing reads it as international (it starts with `+`)
    plain: bool  # digits and separators only


def _min_length(meta: Any) -> int:
    lengths = [
        n
        for name in _DESCS
        if (desc := getattr(meta, name, None)) is not None
        for n in (desc.possible_length or ())
        if n > 0
    ]
    return min(lengths) if lengths else 1


@functools.cache
def _intl_min() -> int:
    """The fewest digits of a valid international number: country code and number."""
    import phonenumbers
    from phonenumbers.phonenumberutil import SUPPORTED_REGIONS

    return min(
        len(str(meta.country_code)) + _min_length(meta)
        for region in SUPPORTED_REGIONS
        if (meta := phonenumbers.PhoneMetadata.metadata_for_region(region)) is not None
    )


def _leading_digits(pattern: str | None) -> int:
    n = 0
    for ch in pattern or "":
        if not ch.isdigit():
            break
        n += 1
    return n


@functools.cache
def _region(code: str) -> _Region:
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(code)
    cc = phonenumbers.country_code_for_region(code)
    group = [
        m
        for r in phonenumbers.region_codes_for_country_code(cc)
        if (m := phonenumbers.PhoneMetadata.metadata_for_region(r)) is not None
    ]
    intl = _intl_min()
    national = min(_min_length(m) for m in group)
    idd = meta.international_prefix if meta is not None else None
    national = min(national, _leading_digits(idd) + intl)
    strip = _prefix_strip(meta)
    if meta is None or strip is None:
        # Parsing may rewrite the digits: no national refusal beyond the shortest length.
        return _Region(code, national, intl, frozenset(), 0, None, {})
    return _Region(
        code,
        national,
        intl,
        frozenset(
            n
            for m in group
            if m.general_desc is not None
            for n in (m.general_desc.possible_length or ())
            if n > 0
        ),
        # A national candidate that starts with the country code loses it and the national
        # prefix, and parsing strips the national prefix once more.
        len(str(cc)) + 2 * strip,
        re.compile(idd) if idd else None,
        _types(group),
    )


def _prefix_strip(meta: Any) -> int | None:
    """The most digits stripping the national prefix removes, or None when the region's
    transform rule may rewrite digits rather than keep a suffix of them. A rule `$N` that
    keeps a group ending the prefix pattern keeps a suffix: what it strips is the pattern's
    longest match less that group's shortest."""
    if meta is None:
        return None
    pattern = meta.national_prefix_for_parsing
    if not pattern:
        return 0
    parsed = re._parser.parse(pattern)
    longest = int(parsed.getwidth()[1])
    rule = meta.national_prefix_transform_rule
    if not rule:
        return longest
    kept = re.fullmatch(r"[\\$](\d)", rule)
    if kept is None or not pattern.endswith(")?") or not pattern[:-2].endswith("})"):
        return None
    widths = parsed.state.groupwidths
    group = int(kept.group(1))
    if group != len(widths) - 1 or widths[group] is None:
        return None  # only the last group, which ends the pattern
    return longest - int(widths[group][0])


def _types(group: list[Any]) -> dict[int, tuple[re.Pattern[str], ...]]:
    """The national number patterns of every number type of the regions in `group`, by the
    lengths valid for the type (when it lists none, those of its region)."""
    out: dict[int, list[re.Pattern[str]]] = {}
    for meta in group:
        general = frozenset(n for n in (meta.general_desc.possible_length or ()) if n > 0)
        for name in _DESCS[1:]:
            desc = getattr(meta, name, None)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = tuple(desc.possible_length or ())
            if lengths == (-1,):
                continue
            chosen = frozenset(n for n in lengths if n > 0) or general
            pattern = re.compile(desc.national_number_pattern)
            for n in chosen:
                out.setdefault(n, []).append(pattern)
    return {n: tuple(ps) for n, ps in out.items()}


def _part(text: str) -> _Part:
    found = _DIGIT.findall(text)
    digits = "".join(c if c.isascii() else str(unicodedata.digit(c)) for c in found)
    first = _FIRST.search(text)
    return _Part(
        text,
        digits,
        first is not None and first.group() in _PLUS_CHARS,
        _NOT_PLAIN.search(text) is None,
    )


def _refused(region: _Region, part: _Part, memo: dict[tuple[str, str], bool]) -> bool:
    """True when `part` cannot be a valid number for `region` (see the module docstring)."""
    n = len(part.digits)
    if n < region.national_min and (not part.plus or n < region.intl_min):
        return True
    if part.plus or not part.plain or not region.lengths:
        return False
    key = (region.code, part.digits)
    known = memo.get(key)
    if known is not None:
        return known
    refused = True
    if region.idd is not None and region.idd.match(part.digits) is not None:
        refused = False
    else:
        for length in range(max(1, n - region.strip), n + 1):
            if length in region.lengths:
                suffix = part.digits[n - length :]
                if any(p.fullmatch(suffix) for p in region.types.get(length, ())):
                    refused = False
                    break
    memo[key] = refused
    return refused


@dataclass(slots=True)
class _Scan:
    """What the regions of one window share."""

    parts: dict[str, _Part] = field(default_factory=dict)
    groups: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    refused: dict[tuple[str, str], bool] = field(default_factory=dict)
    plus: dict[tuple[int, str], Any] = field(default_factory=dict)
    accepted: dict[tuple[int, str], Any] = field(default_factory=dict)

    def part(self, text: str) -> _Part:
        found = self.parts.get(text)
        if found is None:
            found = self.parts[text] = _part(text)
        return found


class PhoneScanner:
    """Presidio's `PhoneRecognizer` (its regions, leniency, score), run as described above."""

    def __init__(self, recognizer: Any) -> None:
        import phonenumbers
        from phonenumbers.phonenumbermatcher import _PATTERN, PhoneNumberMatcher

        phonenumbers.enable_pattern_cache()
        self.recognizer = recognizer
        self.regions = tuple(_region(r) for r in recognizer.supported_regions)
        self.leniency = recognizer.leniency
        self.score = float(recognizer.SCORE)
        self.entity = recognizer.supported_entities[0]
        self.source = type(recognizer).__name__
        self._pattern = _PATTERN
        self.floor = min((min(r.national_min, r.intl_min) for r in self.regions), default=1)
        self._matcher = _matcher_class(PhoneNumberMatcher)

    def windows(self, text: str) -> list[tuple[int, int]]:
        """Spans of `text` around candidates with enough digits, merged when close."""
        out: list[tuple[int, int]] = []
        floor = self.floor
        for m in self._pattern.finditer(text):
            if len(_DIGIT.findall(m.group())) < floor:
                continue
            start, end = max(0, m.start() - _MARGIN), min(len(text), m.end() + _MARGIN)
            if out and start <= out[-1][1] + _JOIN:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out

    def scan(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        common = _Scan()  # what depends on a candidate's text only, shared by the windows
        for w_start, w_end in self.windows(text):
            piece = text[w_start:w_end]
            shared = _Scan(common.parts, common.groups, common.refused)
            candidates = self._candidates(piece)
            for region in self.regions:
                if self._nothing_for(region, candidates, shared):
                    continue
                matcher = self._matcher(piece, region.code, leniency=self.leniency)
                matcher.rg_region = region
                matcher.rg_shared = shared
                for match in matcher:
                    hits.append(
                        Hit(
                            self.entity,
                            w_start + match.start,
                            w_start + match.end,
                            self.score,
                            self.source,
                        )
                    )
        return hits

    def _candidates(self, piece: str) -> list[tuple[int, str]]:
        """The candidates a matcher meets in `piece` when none of them matches (the order
        and trimming of `PhoneNumberMatcher._find`)."""
        from phonenumbers.phonenumberutil import _SECOND_NUMBER_START_PATTERN

        out = []
        index = 0
        while (m := self._pattern.search(piece, index)) is not None:
            candidate = m.group()
            trim = _SECOND_NUMBER_START_PATTERN.search(candidate)
            if trim:
                candidate = candidate[: trim.start()]
            out.append((m.start(), candidate))
            index = m.start() + len(candidate) if candidate else m.end()
        return out

    @staticmethod
    def _nothing_for(region: _Region, candidates: list[tuple[int, str]], shared: _Scan) -> bool:
        """True when the region can add nothing to the union: it would refuse every
        candidate, and every part of one, without parsing, or meet a candidate an earlier
        region accepted whole (and so add the same span and go on after it alike)."""
        for offset, candidate in candidates:
            part = shared.part(candidate)
            if _refused_everywhere(region, part) or (offset, candidate) in shared.accepted:
                continue
            if not _refused(region, part, shared.refused):
                return False
            groups = shared.groups.get(candidate)
            if groups is None:
                groups = shared.groups[candidate] = _inner_groups(candidate)
            for group, _ in groups:
                if not _refused(region, shared.part(group), shared.refused):
                    return False
        return True


def _trim_end(candidate: str) -> str:
    from phonenumbers.phonenumberutil import _UNWANTED_END_CHAR_PATTERN

    m = _UNWANTED_END_CHAR_PATTERN.search(candidate)
    return candidate[: m.start()] if m else candidate


def _inner_groups(candidate: str) -> list[tuple[str, int]]:
    """The parts `_extract_inner_match` tries, in its order, with their offsets."""
    from phonenumbers.phonenumbermatcher import _INNER_MATCHES

    out: list[tuple[str, int]] = []
    for inner in _INNER_MATCHES:
        m = inner.search(candidate)
        first = True
        while m:
            if first:
                out.append((_trim_end(candidate[: m.start()]), 0))
                first = False
            out.append((_trim_end(m.group(1)), m.start(1)))
            m = inner.search(candidate, m.start() + 1)
    return out


@functools.cache
def _matcher_class(base: type) -> type:
    inner_groups = _inner_groups

    class _Matcher(base):  # type: ignore[misc]
        """A `PhoneNumberMatcher` that refuses, shares and reuses as described above."""

        rg_region: _Region
        rg_shared: _Scan

        def _extract_match(self, candidate: str, offset: int) -> Any:
            shared = self.rg_shared
            if _refused_everywhere(self.rg_region, shared.part(candidate)):
                return None
            key = (offset, candidate)
            known = shared.accepted.get(key)
            if known is not None:
                return known
            match = super()._extract_match(candidate, offset)
            if match is not None and match.start == offset and match.raw_string == candidate:
                shared.accepted[key] = match
            return match

        def _extract_inner_match(self, candidate: str, offset: int) -> Any:
            shared = self.rg_shared
            groups = shared.groups.get(candidate)
            if groups is None:
                groups = shared.groups[candidate] = inner_groups(candidate)
            for group, at in groups:
                if self._max_tries <= 0:
                    return None
                match = self._parse_and_verify(group, offset + at)
                if match is not None:
                    return match
                self._max_tries -= 1
            return None

        def _parse_and_verify(self, candidate: str, offset: int) -> Any:
            shared = self.rg_shared
            part = shared.part(candidate)
            if _refused(self.rg_region, part, shared.refused):
                return None
            if part.plus:
                key = (offset, candidate)
                if key not in shared.plus:
                    shared.plus[key] = super()._parse_and_verify(candidate, offset)
                return shared.plus[key]
            return super()._parse_and_verify(candidate, offset)

    return _Matcher


def _refused_everywhere(region: _Region, part: _Part) -> bool:
    """Too few digits for the candidate or any part of it to be valid in `region`."""
    n = len(part.digits)
    return n < region.national_min and (not part.plus or n < region.intl_min)
