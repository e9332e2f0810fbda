"""The phone scanner's refusals never drop a number phonenumbers would accept.

`phones._refused_national` refuses a nationally written candidate (digits and separators
only) in a region without parsing it; the scanner's walk then never parses it there. That
is only sound if phonenumbers itself, parsing and verifying the candidate in that region
at Presidio's leniency, refuses it too: checked here on generated numbers and on every
phone-number span of the corpus (with its separators), region by region.
"""

from __future__ import annotations

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
    if part.plus or not part.plain or not part.digits:
        return
    for region in regions():
        if phones._refused_national(region, part.digits):
            assert not phones._verified(text, region.code), (region.code, text)


# Digits with the prefixes that change how parsing reads them (national prefixes,
# international prefixes, country codes) over-represented.
LEADS = st.sampled_from(["", "0", "00", "011", "1", "44", "49", "33", "972", "91", "55", "01"])
GROUPS = st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5)
SEPARATORS = st.sampled_from([" ", "-", ".", "", " - "])


@settings(max_examples=400, deadline=None)
@given(LEADS, GROUPS, SEPARATORS)
def test_generated_numbers(lead: str, groups: list[str], sep: str) -> None:
    check(lead + sep.join(groups))


def test_corpus_phone_numbers() -> None:
    for item in corpus():
        text = item["full_text"]
        for span in item["spans"]:
            if span["entity_type"] == "PHONE_NUMBER":
                check(text[span["start_position"] : span["end_position"]])
