"""The pattern path finds what Presidio's analyzer on a blank pipeline finds, exactly.

Same entities, spans and scores as `AnalyzerEngine.analyze` on every text of the synthetic
PII corpus, on long texts made of it (where the word-wise shortcut applies), and on
generated phone-like and number-rich text; with and without the shortcuts.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railguard.builtins.pii import detect, presidio
from railguard.builtins.pii.fast import PatternPath

from .conftest import corpus


@pytest.fixture(scope="module")
def analyzer() -> object:
    return presidio.analyzer(None)


@pytest.fixture(scope="module")
def plain() -> PatternPath:
    return PatternPath(shortcuts=False)


def reference(analyzer: object, text: str) -> list[tuple[str, int, int, float]]:
    results = analyzer.analyze(text, language="en")  # type: ignore[attr-defined]
    return sorted((r.entity_type, r.start, r.end, r.score) for r in results)


def ours(path: PatternPath, text: str) -> list[tuple[str, int, int, float]]:
    return sorted((h.entity, h.start, h.end, h.score) for h in path.analyze(text))


def test_every_corpus_text(analyzer: object, plain: PatternPath) -> None:
    fast = detect.pattern_path()
    differ = []
    for item in corpus():
        text = item["full_text"]
        want = reference(analyzer, text)
        if ours(fast, text) != want or ours(plain, text) != want:
            differ.append(text)
    assert differ == []


def test_long_texts_built_from_the_corpus(analyzer: object) -> None:
    fast = detect.pattern_path()
    texts = [item["full_text"] for item in corpus()]
    rng = random.Random(4)
    for _ in range(12):
        text = "\n\n".join(rng.sample(texts, 25))
        assert ours(fast, text) == reference(analyzer, text)


PIECES = st.sampled_from(
    [
        "+1 415-555-0132",
        "(212) 555-0199",
        "030 1234567",
        "+49 30 901820",
        "0171 1234567",
        "4111 1111 1111 1111",
        "2024-03-02",
        "12/31/2023",
        "078-05-1120",
        "536-22-8741",
        "10.0.0.1",
        "fe80::1",
        "john@acme.com",
        "www.acme.com",
        "x123",
        "ext. 45",
        "/",
        "(",
        ")",
        "-",
        " ",
        "  ",
        "\n",
        ":",
        ".",
        "+",
        "0",
        "7",
        "00",
        "44 20 7946 0958",
        "phone",
        "call me",
        "DE89 3704 0044 0532 0130 00",
        "1Lbcfr7sAHTD9CgdQo3HTMTkV8LK4ZnX71",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join))
def test_generated_text(text: str) -> None:
    assert ours(detect.pattern_path(), text) == reference(presidio.analyzer(None), text)


CARD_LIKE = st.text(st.sampled_from("0123456789 -٣٧"), min_size=1, max_size=24)


@settings(max_examples=500, deadline=None)
@given(CARD_LIKE)
def test_card_validator_is_presidios(text: str) -> None:
    """The card recognizer's Luhn check, run without Presidio's lists of digits, gives
    Presidio's answer (or its error, for characters `int` refuses)."""
    unit = next(u for u in detect.pattern_path().units if u.name == "CreditCardRecognizer")
    assert unit.validate is not None
    try:
        expected: object = unit.recognizer.validate_result(text)
    except ValueError as exc:
        expected = type(exc)
    try:
        got: object = unit.validate(text)
    except ValueError as exc:
        got = type(exc)
    assert got == expected


HOST_PIECES = st.sampled_from(
    ["a", "jane.roe", "+", "-", ".", "@", "@@", ":", ":80", "/", "?q=1", "#x", "//", "http://",
     "example", "com", "co.uk", "github.io", "blogspot.com", "ck", "www.ck", "city.kawasaki.jp",
     "xn--p1ai", "local", "1.2.3.4", "[::1]", "\u3002", "\uff0e", "\uff61", "\u00e9"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(HOST_PIECES, min_size=1, max_size=8).map("".join))
def test_email_validator_is_presidios(text: str) -> None:
    """The e-mail recognizer's domain check, run without `tldextract`'s result objects,
    gives Presidio's answer (`tldextract.extract(text).fqdn != ""`)."""
    unit = next(u for u in detect.pattern_path().units if u.name == "EmailRecognizer")
    assert unit.validate is not None
    assert unit.validate(text) == unit.recognizer.validate_result(text)
