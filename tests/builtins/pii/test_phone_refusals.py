"""The phone scanner's shortcuts give phonenumbers' own verdicts.

The refusals never drop a number phonenumbers would accept:

`phones._refused_national` refuses a nationally written candidate (digits and separators
only) in a region without parsing it; the scanner's walk then never parses it there. That
is only sound if phonenumbers itself, parsing and verifying the candidate in that region
at Presidio's leniency, refuses it too: checked here on generated numbers and on every
phone-number span of the corpus (with its separators), region by region.

`phones._plus_verdict` and `phones._national_verdict` decide a number written with `+`, or
nationally, without parsing the text: they must agree with parsing and verifying, on every
region's example numbers, on the corpus and on generated numbers.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railguard.builtins.pii import detect, phones

from .conftest import corpus


def regions() -> tuple[phones._Region, ...]:
    scanner = detect.pattern_path().phone
    assert scanner is not None
    return tuple(scanner.regions)


def check(text: str) -> None:
    part = phones._part(text)
    if part.plus or not part.digits:
        return
    for region in regions():
        verified = phones._verified(text, region.code)
        assert phones._national_verdict(region, text, part) == verified, (region.code, text)
        if part.plain and phones._refused_national(region, part.digits):
            assert not verified, (region.code, text)


# Digits with the prefixes that change how parsing reads them (national prefixes,
# international prefixes, country codes) over-represented.
LEADS = st.sampled_from(["", "0", "00", "011", "1", "44", "49", "33", "972", "91", "55", "01"])
GROUPS = st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5)
SEPARATORS = st.sampled_from([" ", "-", ".", "", " - "])


@settings(max_examples=400, deadline=None)
@given(LEADS, GROUPS, SEPARATORS, st.booleans())
def test_generated_numbers(lead: str, groups: list[str], sep: str, bracket: bool) -> None:
    check(f"({lead}) {sep.join(groups)}" if bracket and lead else lead + sep.join(groups))


def test_corpus_phone_numbers() -> None:
    for item in corpus():
        text = item["full_text"]
        for span in item["spans"]:
            if span["entity_type"] == "PHONE_NUMBER":
                check(text[span["start_position"] : span["end_position"]])


def check_plus(text: str) -> None:
    part = phones._part(text)
    if not part.plus or not phones._plus_shared(text, part):
        return
    for region in regions():
        assert phones._plus_verdict(text, part, region.code) == phones._verified(
            text, region.code
        ), (region.code, text)


def example_numbers() -> list[str]:
    """Every region's example numbers of every type, written internationally."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):  # every `PhoneNumberType` but UNKNOWN
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                )
    return out


def test_verdicts_on_every_example_number() -> None:
    numbers = example_numbers()
    assert len(numbers) > 1000
    for text in numbers:
        check_plus(text)
        check_plus(text.replace(" ", ""))
        check_plus(f"({text[:4]}) {text[4:]}")
        national = text.partition(" ")[2]  # written nationally, without the national prefix
        check(national)
        check("0" + national)


COUNTRY_CODES = st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE))


@settings(max_examples=600, deadline=None)
@given(COUNTRY_CODES, st.sampled_from(["", "0", "1", "00", "8"]), GROUPS, SEPARATORS)
def test_plus_verdict_on_generated_numbers(cc: int, lead: str, groups: list[str], sep: str) -> None:
    check_plus(f"+{cc}{sep}{lead}{sep.join(groups)}")


@pytest.mark.parametrize("text", ["+1 415-555-0132", "+44 20 7946 0958", "+1 555", "+99 123 456"])
def test_plus_verdict_examples(text: str) -> None:
    check_plus(text)
