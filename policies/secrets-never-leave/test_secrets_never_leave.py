"""policies/secrets-never-leave: a call carrying a credential is denied, credentials in
results and answers are masked, a private key in an answer is denied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

HERE = Path(__file__).parent
P = "secrets_never_leave."
# Assembled from parts: fake, but shaped like the real thing.
GITHUB = "gh" + "p_" + "a1B2c3D4e5" * 3 + "f6G7h8"
AWS = "AK" + "IA" + "Q3EXAMPLE7KEY2ID"
PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----"


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(HERE)


def call(**args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": "http_post", "args": args}


ROWS = [
    pytest.param(
        call(url="https://api.example.com", body="{}"), "allow", [], None, id="plain call"
    ),
    pytest.param(
        call(headers={"authorization": f"token {GITHUB}"}),
        "deny",
        [P + "no_credentials_in_calls"],
        None,
        id="github token deep",
    ),
    pytest.param(
        call(body=f"key={AWS[:4]}\u200b{AWS[4:]}"),
        "deny",
        [P + "no_credentials_in_calls"],
        None,
        id="zero-width aws key",
    ),
    pytest.param(
        call(dsn="postgres://app:Zk29fjQ0pLm3@db:5432/x"),
        "deny",
        [P + "no_credentials_in_calls"],
        None,
        id="url password",
    ),
    pytest.param(
        {
            "kind": "result",
            "tool": "read_file",
            "content": f"AWS_ACCESS_KEY_ID={AWS}\nregion=eu-west-1",
        },
        "allow",
        [],
        "AWS_ACCESS_KEY_ID=<AWS_ACCESS_KEY_ID>\nregion=eu-west-1",
        id="result masked",
    ),
    pytest.param(
        {"kind": "output", "content": {"note": f"use {GITHUB}"}},
        "allow",
        [],
        {"note": "use <GITHUB_TOKEN>"},
        id="answer masked",
    ),
    pytest.param(
        {"kind": "output", "content": f"here is the key:\n{PEM}"},
        "deny",
        [P + "no_private_keys_in_answers"],
        None,
        id="private key",
    ),
    pytest.param(
        {"kind": "output", "content": "Rotate your token every 90 days."},
        "allow",
        [],
        None,
        id="talk about tokens",
    ),
]


@pytest.mark.parametrize(("event", "decision", "rules", "rewritten"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str], rewritten: Any
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules
    got = verdict.args if event["kind"] == "call" else verdict.content
    assert got == rewritten, verdict.explain()


def test_a_denied_call_reports_the_kind_and_path_never_the_secret(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(call(headers={"authorization": f"token {GITHUB}"}))
    (violation,) = verdict.violations
    assert violation.message == 'http_post would receive a credential: {"github_token"}'
    assert violation.details is not None
    assert violation.details["secrets"][0]["path"] == "headers.authorization"
    assert GITHUB not in verdict.to_json()


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(HERE)] == []
