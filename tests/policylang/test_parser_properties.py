"""The parser, linter and compiler never raise, whatever the text; valid policies are clean.

About 20,000 generated inputs in all (see each test's `max_examples`): random unicode
(lone surrogates included), token soup from the grammar's keywords and punctuation, and
valid policies with random edits. Every input is parsed; lint and compile (the slower
steps) run on a share of them. `lint()` and `check()` read a string without a newline or
brace as a path, so they get the text with a newline appended.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import railguard
from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics
from railguard.policylang.lint import lint
from railguard.policylang.parser import parse
from tests.policylang.strategies import mutated_policies, policy_files, random_text, token_soup

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parses(text: str) -> None:
    diagnostics = Diagnostics()
    module = parse(text, "<fuzz>", diagnostics)
    assert isinstance(module, ast.Module)
    for d in diagnostics.items:
        assert d.code.startswith("RG") and d.message
        assert 0 <= d.span.start <= d.span.end <= len(text)
        d.render()


def lints_and_compiles(text: str) -> None:
    lint(text + "\n")
    guard, found = railguard.check(text + "\n")
    assert (guard is None) == any(d.is_error for d in found)


@settings(FAST, max_examples=9500)
@given(random_text)
def test_random_text_never_raises(text: str) -> None:
    parses(text)


@settings(FAST, max_examples=8000)
@given(token_soup)
def test_token_soup_never_raises(text: str) -> None:
    parses(text)


@settings(FAST, max_examples=1500)
@given(st.one_of(random_text, token_soup))
def test_garbage_never_raises_in_lint_or_check(text: str) -> None:
    lints_and_compiles(text)


@settings(FAST, max_examples=1200)
@given(mutated_policies())
def test_mutated_policies_never_raise(text: str) -> None:
    parses(text)
    lints_and_compiles(text)


@settings(FAST, max_examples=200)
@given(policy_files())
def test_generated_policies_parse_and_compile_cleanly(text: str) -> None:
    diagnostics = Diagnostics()
    module = parse(text, "<gen>", diagnostics)
    assert not diagnostics.items, [d.render() for d in diagnostics.items]
    assert module.policies
    guard, found = railguard.check(text)
    assert guard is not None, "\n\n".join(d.render() for d in found if d.is_error)


def test_conditions_after_a_constant_false_one_are_still_checked() -> None:
    guard, found = railguard.check("policy p {\n deny call t when false when nope(1)\n}\n")
    assert guard is None
    assert [d.code for d in found] == ["RG201"]
