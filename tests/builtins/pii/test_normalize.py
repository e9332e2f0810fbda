"""Normalization against evasion maps every character back to the original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from railguard.builtins.pii.normalize import normalize

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"]
TEXT = st.lists(
    st.sampled_from(
        [*"ab 4-1.@", *INVISIBLE, "\uff14", "\uff21", "\u0661", "e\u0301", "\ufb01", "\u2460"]
    ),
    max_size=30,
).map("".join)


def test_ascii_text_is_the_identity() -> None:
    norm = normalize("mail john@acme.com, card 4111 1111 1111 1111")
    assert norm.is_identity
    assert norm.span(5, 18) == (5, 18)


def test_zero_width_full_width_and_other_digits() -> None:
    text = "card \uff14\u200b111-\u0661\u0661\u0661\u0661 x"
    norm = normalize(text)
    assert norm.text == "card 4111-1111 x"
    start = norm.text.index("4")
    assert norm.span(start, start + 9) == (5, 15)


def test_digits_spelled_out_one_by_one_are_joined() -> None:
    text = "pay 4 1 1 1-1 1 1 1 now"
    norm = normalize(text)
    assert norm.text == "pay 41111111 now"
    assert norm.span(4, 12) == (4, 19)


@given(TEXT)
def test_the_map_is_monotonic_and_covers_every_kept_character(text: str) -> None:
    norm = normalize(text)
    if norm.is_identity:
        assert norm.text == text
        return
    assert norm.starts is not None and norm.ends is not None
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for i in range(len(norm.text)):
        assert 0 <= norm.starts[i] < norm.ends[i] <= len(text)
        if i:
            assert norm.starts[i - 1] <= norm.starts[i]
            assert norm.ends[i - 1] <= norm.ends[i]


@given(TEXT)
def test_a_normalized_span_maps_to_text_that_normalizes_to_it(text: str) -> None:
    norm = normalize(text)
    n = len(norm.text)
    for s in range(n):
        for e in range(s + 1, n + 1):
            start, end = norm.span(s, e)
            again = normalize(text[start:end]).text
            # The original span normalizes to the normalized span, give or take the
            # characters of clusters cut at its ends.
            assert norm.text[s:e] in again or again in norm.text[s:e]


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=12),
    st.lists(st.sampled_from(INVISIBLE), max_size=5),
    st.integers(0, 20),
)
def test_a_planted_number_maps_back_to_exactly_its_characters(
    digits: str, junk: list[str], at: int
) -> None:
    planted = digits
    for i, ch in enumerate(junk):
        k = 1 + (i * 7) % (len(planted) - 1)
        planted = planted[:k] + ch + planted[k:]
    planted = "".join(chr(0xFF10 + int(c)) if c.isdigit() and at % 2 else c for c in planted)
    prefix = "x " * (at % 5)
    text = prefix + planted + " end"
    norm = normalize(text)
    s = norm.text.index(digits)
    assert norm.span(s, s + len(digits)) == (len(prefix), len(prefix) + len(planted))
