"""policies/common/secrets.rail: credentials are denied in tool calls and masked elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.policylang.lint import lint

POLICY = Path(__file__).parent / "secrets.rail"

# Well-known example or obviously fake values, never live credentials.
AWS = "AKIAIOSFODNN7EXAMPLE"
AWS_TEMP = "ASIAY34FZKBOKMUTVV7A"
GITHUB = "ghp_" + "x1Y2z3" * 6
GITHUB_OAUTH = "gho_" + "A" * 36
GITHUB_PAT = "github_pat_11ABCDEFG0" + "a" * 40
SLACK = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_USER = "xoxp-1234567890-1234567890-1234567890123-0123456789abcdef"
SLACK_HOOK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
ANTHROPIC = "sk-ant-api03-" + "abcDEF123_-" * 3
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7V\nq2Zx9+w==\n-----END RSA PRIVATE KEY-----"
)


@pytest.fixture(scope="module")
def guard() -> railguard.Guard:
    return railguard.load(POLICY)


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"kind": "call", "tool": tool, "args": args}


def row(name: str, event: dict[str, Any], decision: str, *rules: str) -> Any:
    return pytest.param(event, decision, sorted("secrets." + r for r in rules), id=name)


ROWS = [
    # -- every argument the deny rules read -----------------------------------------
    row("query", call("run_sql", query=f"SELECT '{AWS}'"), "deny", "credential_in_query"),
    row("body", call("send_email", to="a@b.c", body=f"key: {AWS}"), "deny", "credential_in_body"),
    row("text", call("post_message", text=f"here {SLACK}"), "deny", "credential_in_text"),
    row("content", call("write_file", path="x", content=PEM), "deny", "credential_in_content"),
    row("message", call("git_commit", message=f"add {GITHUB}"), "deny", "credential_in_message"),
    row(
        "command",
        call("shell", command=f"curl -H 'Authorization: Bearer {OPENAI}' https://api"),
        "deny",
        "credential_in_command",
    ),
    row("code", call("run_python", code=f"KEY = '{ANTHROPIC}'"), "deny", "credential_in_code"),
    row("input", call("ask_subagent", input=f"use {AWS_TEMP}"), "deny", "credential_in_input"),
    row("data", call("http_post", data=f"token={GITHUB_PAT}"), "deny", "credential_in_data"),
    row("url", call("fetch", url=SLACK_HOOK), "deny", "credential_in_url"),
    # -- every kind of credential ---------------------------------------------------
    row("AWS temporary key id", call("x", body=AWS_TEMP), "deny", "credential_in_body"),
    row("GitHub OAuth token", call("x", body=GITHUB_OAUTH), "deny", "credential_in_body"),
    row("GitHub fine-grained token", call("x", body=GITHUB_PAT), "deny", "credential_in_body"),
    row("Slack user token", call("x", body=SLACK_USER), "deny", "credential_in_body"),
    row(
        "OpenSSH key",
        call("x", body="-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk"),
        "deny",
        "credential_in_body",
    ),
    row(
        "encrypted PKCS#8 key",
        call("x", body="-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "deny",
        "credential_in_body",
    ),
    row(
        "PGP key block",
        call("x", body="-----BEGIN PGP PRIVATE KEY BLOCK-----"),
        "deny",
        "credential_in_body",
    ),
    row(
        "key on a later line",
        call("x", body=f"Hi,\n\nthe config:\n  aws_access_key_id = {AWS}\nThanks"),
        "deny",
        "credential_in_body",
    ),
    row(
        "two arguments, two violations",
        call("x", query=AWS, body=OPENAI),
        "deny",
        "credential_in_query",
        "credential_in_body",
    ),
    # -- lookalikes that are not credentials ----------------------------------------
    row("plain text", call("send_email", body="The invoice is attached."), "allow"),
    row(
        "word ending in sk-", call("x", body="ask-me-anything-about-your-account-balance"), "allow"
    ),
    row("short sk- id", call("x", body="sk-12345"), "allow"),
    row("lower-case AWS lookalike", call("x", body=AWS.lower()), "allow"),
    row("AWS prefix too short", call("x", body="AKIA1234567890ABCDE"), "allow"),
    row("ghp_ too short", call("x", body="ghp_abc123"), "allow"),
    row("public key", call("x", body="-----BEGIN PUBLIC KEY-----\nMIIBIjAN"), "allow"),
    row("certificate", call("x", body="-----BEGIN CERTIFICATE-----\nMIID"), "allow"),
    row("non-string argument", call("x", query=12345, body=None, text=["a"]), "allow"),
    row("no arguments", call("x"), "allow"),
]


@pytest.mark.parametrize(("event", "decision", "rules"), ROWS)
def test_decision(
    guard: railguard.Guard, event: dict[str, Any], decision: str, rules: list[str]
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == decision, verdict.explain()
    assert sorted(v.rule for v in verdict.violations) == rules, verdict.explain()


def test_messages_never_echo_the_credential(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(call("send_email", body=f"{AWS} {GITHUB}"))
    assert verdict.denied
    assert verdict.violations[0].message == "argument `body` of send_email holds a credential"
    assert AWS not in verdict.to_json()
    assert GITHUB not in verdict.to_json()


def test_denied_calls_are_not_rewritten(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(call("send_email", body=AWS, token=AWS))
    assert verdict.denied
    assert verdict.args is None
    assert verdict.redactions == ()


REDACTIONS = [
    pytest.param(
        call("deploy", token=OPENAI, env={"vars": [f"AWS_ACCESS_KEY_ID={AWS}", "REGION=eu"]}),
        {"token": "<SECRET>", "env": {"vars": ["AWS_ACCESS_KEY_ID=<SECRET>", "REGION=eu"]}},
        ["secrets.mask_call_args", "secrets.mask_call_args"],
        id="call arguments the deny rules do not read",
    ),
    pytest.param(
        call("http_post", data={"headers": {"Authorization": f"token {GITHUB}"}}),
        {"data": {"headers": {"Authorization": "token <SECRET>"}}},
        ["secrets.mask_call_args"],
        id="structured data argument",
    ),
    pytest.param(
        {"kind": "result", "tool": "read_file", "content": f"[default]\naws_access_key_id={AWS}\n"},
        "[default]\naws_access_key_id=<SECRET>\n",
        ["secrets.mask_results"],
        id="result text",
    ),
    pytest.param(
        {"kind": "result", "tool": "read_file", "content": f"key:\n{PEM}\nend of file"},
        "key:\n<SECRET>\nend of file",
        ["secrets.mask_results"],
        id="PEM block up to its END line",
    ),
    pytest.param(
        {
            "kind": "result",
            "tool": "read_file",
            "content": "head\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n(truncated",
        },
        "head\n<SECRET>",
        ["secrets.mask_results"],
        id="PEM block without END, to the end",
    ),
    pytest.param(
        {
            "kind": "result",
            "tool": "list_secrets",
            "content": {"slack": SLACK, "hook": SLACK_HOOK, "items": [{"k": ANTHROPIC}], "n": 3},
        },
        {"slack": "<SECRET>", "hook": "<SECRET>", "items": [{"k": "<SECRET>"}], "n": 3},
        ["secrets.mask_results"] * 3,
        id="result JSON",
    ),
    pytest.param(
        {"kind": "output", "content": f"Use {GITHUB_PAT} or {GITHUB_OAUTH}, and {AWS_TEMP}."},
        "Use <SECRET> or <SECRET>, and <SECRET>.",
        ["secrets.mask_output"] * 3,
        id="model output",
    ),
]


@pytest.mark.parametrize(("event", "rewritten", "rules"), REDACTIONS)
def test_credentials_are_masked(
    guard: railguard.Guard, event: dict[str, Any], rewritten: Any, rules: list[str]
) -> None:
    verdict = guard.evaluate(event)
    assert verdict.decision == "allow", verdict.explain()
    got = verdict.args if event["kind"] == "call" else verdict.content
    assert got == rewritten
    assert [r.rule for r in verdict.redactions] == rules


def test_user_input_is_left_alone(guard: railguard.Guard) -> None:
    verdict = guard.evaluate({"kind": "input", "content": f"my key is {AWS}, rotate it"})
    assert verdict.allowed
    assert not verdict.rewritten


def test_every_rule_is_exercised(guard: railguard.Guard) -> None:
    fired: set[str] = set()
    for param in [*ROWS, *REDACTIONS]:
        fired.update(param.values[2])
    (policy,) = guard.policies
    assert {r.id for r in policy.rules} - fired == set()


def test_the_policy_lints_clean() -> None:
    assert [str(d) for d in lint(POLICY)] == []
