"""Presidio's phone recognizer: the same results for a fraction of the work.

Presidio runs python-phonenumbers' `PhoneNumberMatcher` over the whole text once per
region (eight by default): most of its analyzer's time. The answer is the union, over the
regions, of the matched spans. Every matcher meets the same candidates (the matches of its
candidate pattern) and, for each, checks the text around it, then tries to parse and
verify the whole candidate and, failing that, its inner groups; only parsing and
verification depend on the region. `PhoneScanner.scan` walks the candidates as each
matcher does, and does once what does not depend on the region, or skips it:

* the candidates are found once per text, with the matcher's own pattern and trimming
  (the search jumps to ten characters before the next digit, since a candidate holds a
  digit within its first eleven characters); a region's walk leaves them only after a
  match that ends inside a candidate (an inner group), and then searches again from
  there, as the matcher does, until it meets them again;
* the checks that read a candidate and the characters around it (dates, time stamps,
  brackets, page ranges, letters next to the number) are made once per candidate;
* a candidate, or a part of one, is refused without parsing when a condition that
  phonenumbers requires does not hold, read from its own metadata:
  - too few digits for the region, or for every region (the candidate is then skipped);
  - written nationally (no `+`, no international prefix, digits and separators only),
    no number type of the country code has a length and a pattern that the national
    numbers parsing could leave (the suffixes of its digits) match;
  - read in the region's national format (no `+`, no international prefix, not starting
    with the country code), the number's format requires the national prefix and the
    candidate lacks it (as `2024-03-02` in Germany or Israel): `_verify` refuses it;
* parsing and verification run once per string and region, and once for every region
  for a number written with `+` and a known country code (parsing then ignores the
  region);
* a candidate written with ASCII digits and separators only is not parsed at all: what
  parsing would read from it (the country code after a `+`, or the national number in
  the region's format, stripped of its national prefix) is read from its digits with
  phonenumbers' own helpers, and its validity from precompiled tables of the number
  types (`_plus_verdict`, `_national_verdict`); the rest goes through `parse` and
  `_verify`.

The matcher gives up after 65,535 failed tries; a text where the walk could get near that
many is left to phonenumbers' own matcher, as is a leniency other than Presidio's `VALID`.
phonenumbers' pattern cache is switched on (`enable_pattern_cache`) so that its regular
expressions are compiled once. `tests/builtins/pii/test_presidio_equivalence.py` compares
the scanner with Presidio's recognizer on the corpus and on generated numbers;
`tests/builtins/pii/test_phone_refusals.py` checks the refusals and the verdicts read
from digits against phonenumbers itself, region by region.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumber import CountryCodeSource
from phonenumbers.phonenumbermatcher import (
    _INNER_MATCHES,
    _LEAD_PATTERN,
    _MATCHING_BRACKETS,
    _PATTERN,
    _PUB_PAGES,
    _SLASH_SEPARATED_DATES,
    _TIME_STAMPS,
    _TIME_STAMPS_SUFFIX,
    PhoneNumberMatcher,
    _verify,
)
from phonenumbers.phonenumberutil import (
    _MAX_LENGTH_FOR_NSN,
    _MIN_LENGTH_FOR_NSN,
    _SECOND_NUMBER_START_PATTERN,
    _UNWANTED_END_CHAR_PATTERN,
    COUNTRY_CODE_TO_REGION_CODE,
    NumberParseException,
    ValidationResult,
    _build_national_number_for_parsing,
    _extract_country_code,
    _formatting_rule_has_first_group_only,
    _maybe_strip_extension,
    _maybe_strip_i18n_prefix_and_normalize,
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
    region_code_for_country_code,
)
from phonenumbers.re_util import fullmatch as _fullmatch

from railguard.builtins.pii.fast import Hit, Text

_VALID = 1  # phonenumbers' Leniency.VALID, Presidio's default
_MAX_TRIES = 65_535  # PhoneNumberMatcher's default
_SHORT = 512  # a text this short is searched for candidates whole, not by stretches
_LEAD = 10  # most characters before the first digit of a candidate (two `(` or `+`, four marks)
_PLUS_CHARS = "+\uff0b"
_DIGIT = re.compile(r"\d")
_NOT_ASCII_DIGIT_BYTES = bytes(c for c in range(128) if not 0x30 <= c <= 0x39)
_BRACKET = re.compile("[(\\[\uff08\uff3b)\\]\uff09\uff3d]")  # what `_MATCHING_BRACKETS` reads
_FIRST = re.compile("[+\uff0b\\d]")  # where parsing starts reading a number
# Anything but digits, spaces and separators: an extension (`x`, `ext`, `#`) or letters.
_NOT_PLAIN = re.compile(r"[^\d\s\-.()/\[\]\u2010-\u2015\u2212\uff0d-\uff0f]")
_NOT_PLAIN_OR_PLUS = re.compile(r"[^\d\s\-.()/\[\]\u2010-\u2015\u2212\uff0d-\uff0f+\uff0b]")
# The length checks after which `parse` keeps the national prefix it could strip.
_KEEPS_PREFIX = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
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
    types: dict[int, re.Pattern[str]]  # number type patterns, by valid length
    cc: str = ""  # the country calling code
    national_prefix: re.Pattern[str] | None = None  # the region's `national_prefix_for_parsing`
    meta: Any = None  # the region's metadata
    main: Any = None  # the metadata of the country code's main region (used by `_verify`)
    # The international and national prefixes when they are plain digits (a `startswith`
    # is then their match).
    idd_digits: str | None = None
    prefix_digits: str | None = None
    # The main region's number formats, in order: (leading digits pattern or None, format
    # pattern, whether the format requires the national prefix); see `_formats`.
    formats: tuple[tuple[re.Pattern[str] | None, re.Pattern[str], bool], ...] = ()


class _Part(NamedTuple):
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
    meta = phonenumbers.PhoneMetadata.metadata_for_region(code)
    cc = phonenumbers.country_code_for_region(code)
    group = [
        m
        for r in phonenumbers.region_codes_for_country_code(cc)
        if (m := phonenumbers.PhoneMetadata.metadata_for_region(r)) is not None
    ]
    main = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_country_code(cc)
    )
    intl = _intl_min()
    national = min(_min_length(m) for m in group)
    idd = meta.international_prefix if meta is not None else None
    national = min(national, _leading_digits(idd) + intl)
    strip = _prefix_strip(meta)
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
        # prefix, and parsing strips the national prefix once more; -1: parsing may rewrite
        # the digits rather than keep a suffix of them.
        -1 if strip is None else len(str(cc)) + 2 * strip,
        re.compile(idd) if idd else None,
        _types(group),
        str(cc),
        re.compile(meta.national_prefix_for_parsing)
        if meta is not None and meta.national_prefix_for_parsing
        else None,
        meta,
        main,
        idd if idd and idd.isdigit() else None,
        meta.national_prefix_for_parsing
        if meta is not None
        and meta.national_prefix_for_parsing
        and meta.national_prefix_for_parsing.isdigit()
        else None,
        _formats(main),
    )


def _formats(main: Any) -> tuple[tuple[re.Pattern[str] | None, re.Pattern[str], bool], ...]:
    """The number formats phonenumbers chooses from (`_choose_formatting_pattern_for_number`), compiled once: the
    last leading digits pattern (None when there is none), the format's pattern, and
    whether `_is_national_prefix_present_if_required` requires the national prefix for a
    number of that format."""
    if main is None:
        return ()
    out = []
    for rule in main.number_format:
        leading = rule.leading_digits_pattern
        out.append(
            (
                re.compile(leading[-1]) if leading else None,
                re.compile(rule.pattern),
                bool(
                    rule.national_prefix_formatting_rule
                    and not rule.national_prefix_optional_when_formatting
                    and not _formatting_rule_has_first_group_only(
                        rule.national_prefix_formatting_rule
                    )
                ),
            )
        )
    return tuple(out)


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


def _types(group: list[Any]) -> dict[int, re.Pattern[str]]:
    """The national number patterns of every number type of the regions in `group`, by the
    lengths valid for the type (when it lists none, those of its region), each length's
    patterns joined in one alternation."""
    out: dict[int, list[str]] = {}
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
            for n in chosen:
                out.setdefault(n, []).append(desc.national_number_pattern)
    return _alternations(out)


def _alternations(by_length: dict[int, list[str]]) -> dict[int, re.Pattern[str]]:
    """Each length's patterns joined in one alternation, compiled. No pattern of
    phonenumbers' metadata holds a back reference, so that the groups may be renumbered."""
    return {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in by_length.items()}


def _part(text: str) -> _Part:
    if text.isascii():
        digits = text.encode("ascii").translate(None, _NOT_ASCII_DIGIT_BYTES).decode("ascii")
    else:
        found = _DIGIT.findall(text)
        digits = "".join(c if c.isascii() else str(unicodedata.digit(c)) for c in found)
    first = _FIRST.search(text)
    return _Part(
        text,
        digits,
        first is not None and first.group() in _PLUS_CHARS,
        _NOT_PLAIN.search(text) is None,
    )


def _refused_national(region: _Region, digits: str) -> bool:
    """The refusals of a number written nationally with digits and separators only (see
    the module docstring)."""
    if region.meta is None or _starts_with_idd(region, digits):
        return False  # parsing may read an international prefix
    if digits.startswith(region.cc):
        # Parsing may read the country code, and strip the national prefix after it: one
        # of the suffixes it could leave must be a number of some type.
        if region.strip < 0:
            return False
        n = len(digits)
        for length in range(max(1, n - region.strip), n + 1):
            pattern = region.types.get(length)
            if pattern is not None and pattern.fullmatch(digits, n - length):
                return False
        return True
    # Parsing reads the digits in the national format: the national number it keeps must
    # be a number of some type, and have the national prefix if its format requires it.
    national = _national_number(region, digits)
    pattern = region.types.get(len(national))
    if pattern is None or not pattern.fullmatch(national):
        return True
    return _lacks_national_prefix(region, digits, national)


def _starts_with_idd(region: _Region, digits: str) -> bool:
    """`digits` start with what may be `region`'s international prefix."""
    if region.idd_digits is not None:
        return digits.startswith(region.idd_digits)
    return region.idd is not None and region.idd.match(digits) is not None


def _national_number(region: _Region, digits: str) -> str:
    """The national number `parse` keeps of `digits` read in `region`'s national format:
    without the national prefix (and carrier code), unless what is left is too short."""
    if region.prefix_digits is not None:
        if not digits.startswith(region.prefix_digits):
            return digits  # nothing to strip
    elif region.national_prefix is None or region.national_prefix.match(digits) is None:
        return digits
    _, national, _ = _maybe_strip_national_prefix_carrier_code(digits, region.meta)
    if _test_number_length(national, region.meta) in _KEEPS_PREFIX:
        return digits
    return str(national)


def _lacks_national_prefix(region: _Region, digits: str, national: str) -> bool:
    """True when `_verify` refuses the number parsed from `digits` in `region`'s national
    format (national number `national`) for lacking the national prefix its format
    requires (`_is_national_prefix_present_if_required`). The candidate holds digits and
    separators only, so its normalized raw input is `digits`."""
    main = region.main
    if main is None:
        return False
    # The format `_choose_formatting_pattern_for_number` chooses, and what it requires.
    for leading, pattern, requires in region.formats:
        if (leading is None or leading.match(national)) and pattern.fullmatch(national):
            if not requires:
                return False
            break
    else:
        return False  # no format: nothing is required
    return not _maybe_strip_national_prefix_carrier_code(digits, main)[2]


def _plus_shared(text: str, part: _Part) -> bool:
    """True when parsing `text` (which starts with `+`) gives the same result, or the same
    error, whatever the region: the `+` is followed by a known country code (parsing then
    reads the number in that country), or by too few digits."""
    if _NOT_PLAIN_OR_PLUS.search(text) is None:
        # No letters, no extension: parsing reads the digits after the `+`.
        full = part.digits
    else:
        try:
            number = _build_national_number_for_parsing(text)
        except NumberParseException:
            return True
        _, number = _maybe_strip_extension(number)
        source, full = _maybe_strip_i18n_prefix_and_normalize(number, "NonMatch")
        if source != CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN:
            return False
    return len(full) <= _MIN_LENGTH_FOR_NSN or _extract_country_code(str(full))[0] != 0


# A number written with one `+` and ASCII digits and separators (brackets around it
# allowed): parsing reads the digits after the `+`, and nothing else (no letters, no
# extension, no second number).
_PLAIN_PLUS = re.compile(r"[(\[]*\+[0-9 \-.()/\[\]]*[0-9][)\]]*")


def _plus_verdict(text: str, part: _Part, region: str) -> bool:
    """`_verified(text, region)` for any region, when `text` is a `_PLAIN_PLUS` number:
    what `parse` and `_verify` at `VALID` do with it, without the text handling. Parsing
    takes the country code after the `+` (too few digits or no known country code: an
    error), reads the rest in that country's metadata, stripping its national prefix when
    what is left keeps a possible length, and `_verify` then asks `is_valid_number` only
    (the national prefix rule applies to numbers written nationally)."""
    if _PLAIN_PLUS.fullmatch(text) is None:
        return _verified(text, region)
    digits = part.digits
    if len(digits) <= _MIN_LENGTH_FOR_NSN:
        return False
    cc, national = _extract_country_code(digits)
    if cc == 0 or len(national) < _MIN_LENGTH_FOR_NSN:
        return False
    meta = PhoneMetadata.metadata_for_region_or_calling_code(cc, region_code_for_country_code(cc))
    if meta is not None:
        _, stripped, _ = _maybe_strip_national_prefix_carrier_code(national, meta)
        if _test_number_length(stripped, meta) not in _KEEPS_PREFIX:
            national = stripped
    if not _MIN_LENGTH_FOR_NSN <= len(national) <= _MAX_LENGTH_FOR_NSN:
        return False
    return _valid_national(cc, national)


def _valid_national(cc: int, national: str) -> bool:
    """`is_valid_number` for country code `cc` and national significant number `national`:
    the region `region_code_for_number` picks, then its number types."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    if len(regions) == 1:
        meta = PhoneMetadata.metadata_for_region_or_calling_code(cc, regions[0])
        return meta is not None and _has_type(national, meta)
    # No region's number types match: whichever region claims the number, it is invalid.
    any_type = _any_type(cc).get(len(national))
    if any_type is None or any_type.fullmatch(national) is None:
        return False
    for code in regions:
        meta = PhoneMetadata.metadata_for_region(code, None)
        if meta is None:
            continue
        if meta.leading_digits is not None:
            if re.match(meta.leading_digits, national):
                return _has_type(national, meta)
        elif _has_type(national, meta):
            return True
    return False


def _has_type(national: str, meta: Any) -> bool:
    """`_number_type_helper(national, meta) != UNKNOWN`: the general pattern and one
    number type's pattern match, each at one of its possible lengths (any length when it
    lists none)."""
    general, by_length = _type_table(meta.id, meta.country_code)
    pattern = by_length.get(len(national))
    if general is None or pattern is None:
        return False
    lengths, general_pattern = general
    if lengths and len(national) not in lengths:
        return False
    return (
        general_pattern.fullmatch(national) is not None and pattern.fullmatch(national) is not None
    )


@functools.cache
def _type_table(
    region: str, cc: int
) -> tuple[tuple[frozenset[int], re.Pattern[str]] | None, dict[int, re.Pattern[str]]]:
    """For `_has_type`: the general description (its lengths and pattern) and, by length,
    the patterns of the number types that allow it, in one alternation."""
    meta = PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
    desc = meta.general_desc if meta is not None else None
    if desc is None or not desc.national_number_pattern:
        return None, {}
    general = (frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern))
    patterns: dict[int, list[str]] = {}
    for name in _DESCS[1:]:
        desc = getattr(meta, name, None)
        if desc is None or not desc.national_number_pattern:
            continue
        lengths = desc.possible_length or range(_MAX_LENGTH_FOR_NSN + 1)
        for n in lengths:
            patterns.setdefault(n, []).append(desc.national_number_pattern)
    return general, _alternations(patterns)


@functools.cache
def _any_type(cc: int) -> dict[int, re.Pattern[str]]:
    """By length, the number type patterns of every region of country code `cc` that allow
    it, in one alternation (see `_type_table`): a number none of them matches has no type
    in any of those regions."""
    patterns: dict[int, list[str]] = {}
    for code in COUNTRY_CODE_TO_REGION_CODE.get(cc, ()):
        for n, pattern in _type_table(code, cc)[1].items():
            patterns.setdefault(n, []).append(pattern.pattern)
    return _alternations(patterns)


_PLAIN_NATIONAL = re.compile(r"[(\[]*[0-9][0-9 \-.()/\[\]]*[0-9][)\]]*")


def _national_verdict(region: _Region, text: str, part: _Part) -> bool:
    """`_verified(text, region.code)`, without parsing the text when it is written
    nationally with ASCII digits and separators only (`_PLAIN_NATIONAL`) and starts with
    neither the international prefix nor the country code (whose readings parsing tries
    first): parsing then reads the digits in the region's national format (the national
    number `_national_number` keeps), and `_verify` asks `is_valid_number` and that the
    national prefix be there when the number's format requires it."""
    digits = part.digits
    if (
        part.plus
        or region.meta is None
        or _PLAIN_NATIONAL.fullmatch(text) is None
        or digits.startswith(region.cc)
        or _starts_with_idd(region, digits)
    ):
        return _verified(text, region.code)
    national = _national_number(region, digits)
    return (
        _MIN_LENGTH_FOR_NSN <= len(national) <= _MAX_LENGTH_FOR_NSN
        and _valid_national(int(region.cc), national)
        and not _lacks_national_prefix(region, digits, national)
    )


def _verified(text: str, region: str) -> bool:
    """phonenumbers' verdict: `text` parses in `region` and passes `_verify` at `VALID`."""
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except NumberParseException:
        return False
    return bool(_verify(_VALID, number, text, cast(Any, None)))  # VALID reads no matcher


# A candidate as the matcher trims it: start, end, text, number of digits, written with `+`.
_Cand = tuple[int, int, str, int, bool]


class _Walk:
    """One text's candidates, and what the regions' walks over them share."""

    __slots__ = (
        "chain",
        "checked",
        "floor",
        "groups",
        "inner",
        "parts",
        "refused",
        "searches",
        "shared",
        "skipped",
        "starts",
        "text",
        "tries",
        "verified",
        "whole",
    )

    def __init__(self, text: str, floor: int, scanned: Text | None = None) -> None:
        self.text = text
        self.floor = floor
        self.searches: dict[int, _Cand | None] = {}
        self.parts: dict[str, _Part] = {}
        self.whole: dict[int, _Part | None] = {}
        self.inner: dict[int, list[tuple[str, int, _Part]]] = {}
        self.checked: dict[tuple[str, int], bool] = {}
        self.skipped: set[int] = set()
        self.groups: dict[str, list[tuple[str, int]]] = {}
        self.refused: defaultdict[int, dict[str, bool]] = defaultdict(dict)  # by region
        self.verified: dict[tuple[str, str], bool] = {}
        self.shared: dict[str, bool] = {}
        chain: list[_Cand] = []
        search = self._search
        # Most tries a matcher can spend on a candidate: one, and one per inner group (at
        # most one, and one per position, for each of six patterns); each holds a digit.
        tries = 7 * scanned.total_digits + 6 * scanned.n if scanned is not None else 0
        if scanned is not None and scanned.simple and tries < _MAX_TRIES and scanned.n > _SHORT:
            # Only the stretches between characters no candidate holds that have enough
            # digits for a region: the others hold no candidate that can match, and a
            # search from the start of a stretch finds what the matcher finds there.
            for left, right in scanned.stretches(
                _barrier(), (s for s, _ in scanned.runs), floor, floor
            ):
                index = left
                while (c := search(index, right)) is not None:
                    chain.append(c)
                    index = c[1]
        else:
            index = 0
            tries = 0
            while (c := search(index)) is not None:
                chain.append(c)
                index = c[1]
                tries += 7 + 6 * (c[1] - c[0])
        self.chain = chain
        self.starts = [c[0] for c in chain]
        self.tries = tries

    def part(self, text: str) -> _Part:
        found = self.parts.get(text)
        if found is None:
            found = self.parts[text] = _part(text)
        return found

    def _search(self, index: int, end: int | None = None) -> _Cand | None:
        """The candidate the matcher finds searching from `index` (`_find`), if it ends by
        `end` (a character no candidate holds)."""
        text = self.text
        end = len(text) if end is None else end
        digit = _DIGIT.search(text, index, end)
        if digit is None:
            return None
        m = _PATTERN.search(text, max(index, digit.start() - _LEAD), end)
        if m is None:
            return None
        start = m.start()
        candidate = m.group()
        if "/" in candidate or "\\" in candidate:
            trim = _SECOND_NUMBER_START_PATTERN.search(candidate)
            if trim:
                candidate = candidate[: trim.start()]
        if len(candidate) < self.floor:
            return start, start + len(candidate), candidate, 0, False
        part = self.part(candidate)
        return start, start + len(candidate), candidate, len(part.digits), part.plus

    def search(self, index: int) -> _Cand | None:
        if index in self.searches:
            return self.searches[index]
        found = self.searches[index] = self._search(index)
        return found

    def union(self, regions: tuple[_Region, ...]) -> dict[tuple[int, int], None] | None:
        """The spans the matchers for `regions` find, or None when one might run out of
        tries. The regions take each candidate in turn; a region whose match ends inside a
        candidate searches again from there alone, until its search meets the candidates."""
        chain = self.chain
        out: dict[tuple[int, int], None] = {}
        resume = [0] * len(regions)  # the candidate each region takes next
        tries = [self.tries] * len(regions)
        every = list(range(len(regions)))
        diverged = False
        for k, c in enumerate(chain):
            active = [ri for ri in every if resume[ri] <= k] if diverged else every
            for ri, found in self._results(c, regions, active):
                out[found] = None
                if found[1] < c[1]:
                    at = self._diverge(regions, ri, found[1], out, tries)
                    if at is None:
                        return None
                    resume[ri] = at
                    diverged = True
        return out

    def _diverge(
        self,
        regions: tuple[_Region, ...],
        ri: int,
        index: int,
        out: dict[tuple[int, int], None],
        tries: list[int],
    ) -> int | None:
        """Walk region `ri` from `index` (after a match inside a candidate) as its matcher
        does, until the search meets the candidates again; returns the candidate's index
        (the number of candidates when the search ends), or None when the matcher might run
        out of tries."""
        chain, starts = self.chain, self.starts
        while True:
            d = self.search(index)
            if d is None:
                return len(chain)
            i = bisect.bisect_left(starts, d[0])
            if i < len(chain) and starts[i] == d[0]:
                return i
            tries[ri] += 7 + 6 * (d[1] - d[0])
            if tries[ri] >= _MAX_TRIES:
                return None
            found = self._results(d, regions, [ri])
            if found:
                out[found[0][1]] = None
                index = found[0][1][1]
            else:
                index = d[1]

    def _results(
        self, c: _Cand, regions: tuple[_Region, ...], active: list[int]
    ) -> list[tuple[int, tuple[int, int]]]:
        """`_extract_match` for each of the `active` regions: (region, span) of the whole
        candidate or of its first inner group that parses and verifies, for the regions
        that find one. What has too few digits for a region is refused without a look."""
        n, plus = c[3], c[4]
        pending = [
            ri
            for ri in active
            if n >= regions[ri].national_min or (plus and n >= regions[ri].intl_min)
        ]
        if not pending:
            return []
        start = c[0]
        if start in self.whole:
            whole = self.whole[start]
        else:
            whole = self.whole[start] = self._whole(c)
        if whole is None and start in self.skipped:
            return []  # a date or a time stamp: no inner group is tried either
        found: list[tuple[int, tuple[int, int]]] = []
        attempts: list[tuple[str, int, _Part]] = [] if whole is None else [(c[2], start, whole)]
        tried_inner = False
        checked, verified = self.checked, self.verified
        i = 0
        while pending:
            if i == len(attempts):
                if tried_inner:
                    break
                tried_inner = True
                inner = self.inner.get(start)
                if inner is None:
                    inner = self.inner[start] = self._inner(c)
                attempts = attempts + inner
                if i == len(attempts):
                    break
            text, offset, part = attempts[i]
            i += 1
            n, plus = len(part.digits), part.plus
            eligible = [
                ri
                for ri in pending
                if n >= regions[ri].national_min or (plus and n >= regions[ri].intl_min)
            ]
            if not eligible:
                continue
            if not plus and part.plain:
                # The refusals read the digits only: they come before the checks.
                digits = part.digits
                kept = []
                for ri in eligible:
                    refusals = self.refused[ri]
                    refused = refusals.get(digits)
                    if refused is None:
                        refused = refusals[digits] = _refused_national(regions[ri], digits)
                    if not refused:
                        kept.append(ri)
                eligible = kept
                if not eligible:
                    continue
            ok = checked.get((text, offset))
            if ok is None:
                ok = checked[(text, offset)] = self._check(text, offset)
            if not ok:
                continue
            span = (offset, offset + len(text))
            if plus:
                shared = self.shared.get(text)
                if shared is None:
                    shared = self.shared[text] = _plus_shared(text, part)
                if shared:  # the same verdict in every region
                    verdict = verified.get(("+", text))
                    if verdict is None:
                        verdict = verified[("+", text)] = _plus_verdict(text, part, regions[0].code)
                    matched = eligible if verdict else []
                else:
                    matched = [ri for ri in eligible if self._verdict(regions[ri], text, part)]
            else:
                matched = [ri for ri in eligible if self._verdict(regions[ri], text, part)]
            if matched:
                found.extend((ri, span) for ri in matched)
                pending = [ri for ri in pending if ri not in matched]
        return found

    def _verdict(self, region: _Region, text: str, part: _Part) -> bool:
        key = (region.code, text)
        verdict = self.verified.get(key)
        if verdict is None:
            verdict = self.verified[key] = _national_verdict(region, text, part)
        return verdict

    def _whole(self, c: _Cand) -> _Part | None:
        """The whole candidate, if the matcher parses it."""
        start, end, candidate = c[0], c[1], c[2]
        if ("/" in candidate and _SLASH_SEPARATED_DATES.search(candidate)) or (
            " " in candidate
            and _TIME_STAMPS.search(candidate)
            and _TIME_STAMPS_SUFFIX.match(self.text, end)
        ):
            self.skipped.add(start)
            return None
        if c[3] < self.floor:
            return None
        return self.part(candidate)

    def _inner(self, c: _Cand) -> list[tuple[str, int, _Part]]:
        """The inner groups of a candidate, in the matcher's order."""
        start, candidate = c[0], c[2]
        groups = self.groups.get(candidate)
        if groups is None:
            groups = self.groups[candidate] = _inner_groups(candidate)
        out = []
        for text, at in groups:
            if len(text) < self.floor:
                continue
            part = self.part(text)
            if len(part.digits) >= self.floor:
                out.append((text, start + at, part))
        return out

    def _check(self, text: str, offset: int) -> bool:
        """The checks of `_parse_and_verify` before parsing, which read `text` and the
        characters around it only."""
        if _BRACKET.search(text) is not None:
            if not _fullmatch(_MATCHING_BRACKETS, text) or _PUB_PAGES.search(text):
                return False
        elif not text:
            return False  # without brackets, `_MATCHING_BRACKETS` holds any other text
        whole = self.text
        if offset > 0 and not _LEAD_PATTERN.match(text):
            before = whole[offset - 1]
            if (not before.isascii() or before.isalpha() or before in "$%") and _bad_neighbour(
                before
            ):
                return False
        end = offset + len(text)
        if end < len(whole):
            after = whole[end]
            if (not after.isascii() or after.isalpha() or after in "$%") and _bad_neighbour(after):
                return False
        return True


def _bad_neighbour(ch: str) -> bool:
    """A character next to a number that makes the matcher refuse it (a Latin letter, `%`
    or a currency sign): `_is_invalid_punctuation_symbol` or `_is_latin_letter`."""
    return bool(
        PhoneNumberMatcher._is_invalid_punctuation_symbol(ch)
        or PhoneNumberMatcher._is_latin_letter(ch)
    )


@functools.cache
def _barrier() -> Any:
    """A character no candidate (a match of the matcher's pattern) holds."""
    from railguard.builtins.pii.fast import _barrier as barrier

    found = barrier([_PATTERN.pattern])
    if found is None:  # pragma: no cover - the pattern is known
        raise RuntimeError("no barrier for phonenumbers' candidate pattern")
    return found


class PhoneScanner:
    """Presidio's `PhoneRecognizer` (its regions, leniency, score), run as described above."""

    def __init__(self, recognizer: Any) -> None:
        phonenumbers.enable_pattern_cache()
        self.recognizer = recognizer
        self.regions = tuple(_region(r) for r in recognizer.supported_regions)
        self.leniency = recognizer.leniency
        self.score = float(recognizer.SCORE)
        self.entity = recognizer.supported_entities[0]
        self.source = type(recognizer).__name__
        self.floor = min((min(r.national_min, r.intl_min) for r in self.regions), default=1)

    def scan(self, text: str, scanned: Text | None = None) -> list[Hit]:
        """Presidio's phone numbers in `text` (`scanned`: the same, with what other
        recognizers read from it)."""
        hits: list[Hit] = []
        if _DIGIT.search(text) is None:
            return hits
        spans = None
        if self.leniency == _VALID:
            walk = _Walk(text, self.floor, scanned)
            if walk.tries < _MAX_TRIES:
                spans = walk.union(self.regions)
        if spans is None:
            spans = {}
            for region in self.regions:
                spans.update(dict.fromkeys(self._matches(text, region.code)))
        return [Hit(self.entity, s, e, self.score, self.source) for s, e in spans]

    def _matches(self, text: str, region: str) -> list[tuple[int, int]]:
        """phonenumbers' own matcher, as Presidio runs it."""
        return [
            (m.start, m.end)
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=self.leniency)
        ]


def _trim_end(candidate: str) -> str:
    if candidate and (candidate[-1].isalnum() or candidate[-1] == "#"):
        return candidate  # `(?:_|[^#\w])+$` cannot match
    m = _UNWANTED_END_CHAR_PATTERN.search(candidate)
    return candidate[: m.start()] if m else candidate


# A character each of the matcher's `_INNER_MATCHES` needs in a candidate to match it (""
# when the pattern is always tried).
_INNER_NEEDS = ("/", "(", "-", "", ".", "")
_NO_NEEDS = ("",) * len(_INNER_MATCHES)
_INNER_KNOWN = [p.pattern for p in _INNER_MATCHES] == [
    "/+(.*)",
    "(\\([^(]*)",
    "(?u)(?:\\s-|-\\s)\\s*(.+)",
    "(?u)[\u2012-\u2015\uff0d]\\s*(.+)",
    "(?u)\\.+\\s*([^.]+)",
    "(?u)\\s+(\\S+)",
]


def _inner_groups(candidate: str) -> list[tuple[str, int]]:
    """The parts `_extract_inner_match` tries, in its order, with their offsets."""
    out: list[tuple[str, int]] = []
    for inner, need in zip(
        _INNER_MATCHES, _INNER_NEEDS if _INNER_KNOWN else _NO_NEEDS, strict=True
    ):
        if need and need not in candidate:
            continue
        m = inner.search(candidate)
        first = True
        while m:
            if first:
                out.append((_trim_end(candidate[: m.start()]), 0))
                first = False
            out.append((_trim_end(m.group(1)), m.start(1)))
            m = inner.search(candidate, m.start() + 1)
    return out
