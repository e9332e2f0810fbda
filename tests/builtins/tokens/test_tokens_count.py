"""`tokens.count` is exact: it matches the fixture's counts in eleven languages and code,
and the token ids OpenAI published for the cookbook's examples."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import railguard
from railguard.builtins.tokens import count, exact
from railguard.policylang.lint import lint

pytestmark = pytest.mark.skipif(not exact.installed(), reason="needs railguard[tokens]")


def test_fixture_counts_in_every_language_and_code(texts: dict[str, Any]) -> None:
    wrong = {
        (t["name"], enc): (count(t["text"], encoding=enc), t[enc])
        for t in texts["texts"]
        for enc in ("o200k_base", "cl100k_base")
        if count(t["text"], encoding=enc) != t[enc]
    }
    assert not wrong
    assert len(texts["texts"]) >= 15


def test_published_token_ids(texts: dict[str, Any]) -> None:
    """OpenAI Cookbook, "How to count tokens with tiktoken", section 5: the token integers
    of each example string in cl100k_base and o200k_base."""
    for item in texts["published"]:
        for enc in ("o200k_base", "cl100k_base"):
            tok: Any = exact.tokenizer(enc)
            assert tok.encode(item["text"]) == item[enc]
            assert count(item["text"], encoding=enc) == len(item[enc])


def test_cookbook_chat_example_counts_what_the_api_counted() -> None:
    """The same notebook, section 6: its six example messages are 124 prompt tokens for
    gpt-4o and gpt-4o-mini "counted by the OpenAI API" (3 tokens per message, 1 per name,
    3 to prime the reply)."""
    messages = [
        ("system", None, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
        ("system", "example_user", "New synergies will help drive top-line growth."),
        ("system", "example_assistant", "Things working well together will increase revenue."),
        ("system", "example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."),
        ("system", "example_assistant", "Let's talk later when we're less busy about how to do better."),
        ("user", None, "This late pivot means we don't have time to boil the ocean for the client deliverable."),
    ]  # fmt: skip
    total = 3
    for role, name, content in messages:
        total += 3 + count(role) + count(content)
        if name is not None:
            total += count(name) + 1
    assert total == 124


def test_special_tokens_are_ordinary_text() -> None:
    assert count("<|endoftext|>") == 7


def test_json_values_are_counted_as_compact_json() -> None:
    assert count({"a": [1, 2]}) == count('{"a":[1,2]}')


def test_an_encoding_the_tokenizer_lacks_fails_closed() -> None:
    guard = railguard.load(
        'policy p {\n  deny input when tokens.count(content, encoding: "p50k_base") > 5\n}\n'
    )
    verdict = guard.evaluate(railguard.UserInput("hi"))
    assert verdict.decision == "deny"
    assert "has no encoding `p50k_base`" in (verdict.violations[0].error or "")


def test_without_the_extra_rules_fail_closed(no_tokenizer: None) -> None:
    guard = railguard.load("policy p {\n  deny input when tokens.count(content) > 5\n}\n")
    verdict = guard.evaluate(railguard.UserInput("hi"))
    assert verdict.decision == "deny"
    assert "railguard[tokens]" in (verdict.violations[0].error or "")


def test_lint_warns_without_the_extra(no_tokenizer: None) -> None:
    found = lint('policy p {\n  deny input when tokens.count(content) > 5 message "long"\n}\n')
    assert [(d.code, d.severity.value) for d in found] == [("RG320", "warning")]
    assert "not installed" in found[0].message


def test_lint_is_quiet_with_the_extra() -> None:
    assert lint('policy p {\n  deny input when tokens.count(content) > 5 message "long"\n}\n') == []


def test_lint_does_not_import_the_tokenizer(tmp_path: Any) -> None:
    policy = tmp_path / "p.rail"
    policy.write_text('policy p {\n  deny input when tokens.count(content) > 5 message "x"\n}\n')
    code = (
        "import sys\n"
        "from railguard.policylang.lint import lint\n"
        f"assert lint([{str(policy)!r}]) == []\n"
        "print('bpe_openai' in sys.modules, 'railguard.builtins.tokens.exact' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
