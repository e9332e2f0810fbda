"""`Regex` answers exactly as RE2 does, whichever engine it picks, and stays linear.

`railguard.builtins.regex.Regex` runs a pattern with Python's `re` when it proves that is
safe and gives RE2's answer, else with RE2. Here generated RE2 patterns (literals,
classes, `\\d \\w \\s \\b`, anchors, groups, alternation, bounded and unbounded repeats,
flags `i`, `s` and `m`) are matched against generated texts (ASCII and not, with newlines
and `\\x0b`) by `Regex.search` and by plain `re2`, which must agree. Patterns that make a
backtracking engine blow up go to RE2 and finish quickly on long input, and no generated
pattern that takes the fast path needs more than a second on a 60-character text.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import re2
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from railguard.builtins.regex import Regex, RegexError

LITERALS = ("a", "b", "c", "A", "B", "z", "0", "7", "_", " ", "-", "\\.", "\\-", "/", "é", "ß")
LITERALS += ("K", "k", "s", "S", "\u212a", "\u017f", "\\n", "\\t", "\\r", "\\v", "\\f", "\\x41")
CLASSES = ("[abc]", "[^a]", "[a-z]", "[A-Z0-9_]", "[\\d\\s]", "[^\\w]", "[.]", "[-a]", "[a-]")
CLASSES += ("[é-ü]", "[^\\n]", "[\\v]", "[Z-a]", "[k]", "[^k]", "[sS]", "[]a]")
ESCAPES = ("\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "\\b", "\\B", ".", "^", "$", "\\A", "\\z")
REPEATS = ("*", "+", "?", "*?", "+?", "??", "{2}", "{1,}", "{0,2}", "{1,3}", "{2,}?", "{3}")
REPEATS += ("{12}", "{0,16}", "{5,}")

atoms = st.sampled_from(LITERALS + CLASSES + ESCAPES)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    group = st.sampled_from(["(", "(?:", "(?i:", "(?s:", "(?-i:"])
    return st.one_of(
        st.lists(inner, min_size=2, max_size=3).map("".join),  # concatenation
        st.lists(inner, min_size=2, max_size=3).map("|".join),  # alternation
        st.tuples(group, inner).map(lambda t: f"{t[0]}{t[1]})"),
        st.tuples(inner, st.sampled_from(REPEATS)).map(lambda t: f"(?:{t[0]}){t[1]}"),
        st.tuples(atoms, st.sampled_from(REPEATS)).map("".join),
    )


# Often anchored with `^`: the fast path then allows one unbounded repeat.
patterns = st.tuples(
    st.sampled_from(["", "", "^"]), st.recursive(atoms, _extend, max_leaves=6)
).map("".join)
# The shape that makes backtracking exponential: a repeat whose body can take the same
# text in several ways, such as `^(?:a?a?)*c` or `(?:\\w?){30}x`.
choice_repeats = st.builds(
    lambda anchor, body, repeat, tail: f"{anchor}(?:{''.join(body)}){repeat}{tail}",
    st.sampled_from(["", "^"]),
    st.lists(
        st.tuples(atoms, st.sampled_from(["?", "??", ""])).map("".join), min_size=1, max_size=3
    ),
    st.sampled_from(["*", "+", "{20}", "{0,30}", "{15,}", "{25}"]),
    st.sampled_from(["", "c", "$", "!"]),
)
flags = st.sampled_from(["", "", "i", "s", "is", "m", "im"])
TEXT_CHARS = "abcABz07_ -./\n\x0b\t\réßKks\u212a\u017f\u00e9"
texts = st.one_of(
    st.text(st.sampled_from("abcAB07_ -./ks"), max_size=12),  # ASCII: the fast path's ground
    st.text(st.sampled_from(TEXT_CHARS), max_size=12),
    st.text(max_size=8),  # any unicode but lone surrogates
)


def re2_answer(pattern: str, flags: str, text: str, full: bool = False) -> bool:
    compiled = re2.compile(f"(?{flags}){pattern}" if flags else pattern)
    return (compiled.fullmatch(text) if full else compiled.search(text)) is not None


@settings(deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(patterns, choice_repeats), flags, st.lists(texts, min_size=1, max_size=8))
def test_search_agrees_with_re2(pattern: str, flags: str, samples: list[str]) -> None:
    try:
        regex = Regex(pattern, flags)
    except RegexError:
        with pytest.raises(re2.error):
            re2.compile(f"(?{flags}){pattern}" if flags else pattern)
        assume(False)
    for text in samples:
        assert regex.search(text) == re2_answer(pattern, flags, text), (
            f"search({text!r}) with /{pattern}/{flags}, fast path: {regex.uses_fast_path}"
        )
        assert regex.fullmatch(text) == re2_answer(pattern, flags, text, full=True)


class TooSlow(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (Python's `re` checks for signals as it runs)."""

    def fire(*_: object) -> None:
        raise TooSlow(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.one_of(patterns, choice_repeats), flags)
def test_fast_path_patterns_do_not_backtrack_badly(pattern: str, flags: str) -> None:
    try:
        regex = Regex(pattern, flags)
    except RegexError:
        assume(False)
    assume(regex.uses_fast_path)
    # Long runs of one character the pattern can take several ways are the worst case.
    letters = sorted(set(re.findall(r"(?<!\\)[A-Za-z]", pattern)))[:3]
    for letter in ["a", " ", "7", *letters]:
        with time_limit(1.0):
            regex.search(letter * 60 + "!")


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(a+)+$", "a" * 50_000 + "!"),
        ("(a|aa)*b", "a" * 50_000),
        ("^(\\w+\\s?)*$", "word " * 10_000 + "!"),
        ("(x+x+)+y", "x" * 50_000),
        # Bounded or single repeats of a choice multiply: once taken by the fast path.
        ("^(a?){25}a{25}$", "a" * 25),
        ("(?:a?){40}x", "a" * 50_000),
        ("^(?:a?a?)*c", "a" * 50_000),
    ],
)
def test_patterns_that_backtrack_badly_go_to_re2(pattern: str, text: str) -> None:
    regex = Regex(pattern)
    assert not regex.uses_fast_path
    start = time.perf_counter()
    found = regex.search(text)
    assert time.perf_counter() - start < 1.0  # a loose sanity bound: RE2 is linear
    assert found == re2_answer(pattern, "", text)


def test_the_fast_path_is_taken_for_simple_patterns() -> None:
    """Otherwise the differential test above would compare RE2 with itself."""
    for pattern in ("abc", "^a[0-9]{2,3}", "\\bto\\b", "(?i)foo|bar", "^a.*b"):
        assert Regex(pattern).uses_fast_path, pattern
