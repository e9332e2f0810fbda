"""`secrets.*`: planted credentials are all found and masked; ordinary text raises none.

The fake credentials are assembled at run time from parts, so that no file in the
repository holds something that looks like a live key.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import railguard
from railguard.builtins import secrets
from railguard.builtins.pii import credentials
from railguard.builtins.registry import EvalError

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
_rng = random.Random(20240501)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def j(*parts: str) -> str:
    return "".join(parts)


def _jwt() -> str:
    return j("ey", "J", rand(20), ".ey", "J", rand(30), ".", rand(43))


def _pem(kind: str) -> str:
    body = "\n".join(rand(64) for _ in range(4))
    return j(
        "-----BEGIN ", kind, "PRIVATE KEY-----\n", body, "\n-----END ", kind, "PRIVATE KEY-----"
    )


# (kind, credential, how it appears)
PLANTED: list[tuple[str, str, str]] = []


def plant(kind: str, value: str, *templates: str) -> None:
    for t in templates:
        PLANTED.append((kind, value, t))


plant("aws_access_key_id", j("AK", "IA", rand(16, _UPPER)), "aws_access_key_id = {}", "key: {}")
plant("aws_access_key_id", j("AS", "IA", rand(16, _UPPER)), "export AWS_ACCESS_KEY_ID={}")
plant(
    "aws_secret_access_key",
    rand(40, _ALNUM + "/+"),
    "aws_secret_access_key = {}",
    "AWS_SECRET_ACCESS_KEY: {}",
)
plant("github_token", j("gh", "p_", rand(36)), "token {}", "git clone https://{}@github.com/acme/x")
plant("github_token", j("gh", "o_", rand(36)), "oauth={}")
plant("github_token", j("gh", "s_", rand(36)), "GH server token: {}")
plant("github_token", j("github", "_pat_", rand(22), "_", rand(59)), "PAT {}")
plant("gitlab_token", j("gl", "pat-", rand(20)), "GITLAB_TOKEN={}", "private-token: {}")
plant(
    "slack_token",
    j("xo", "xb-", rand(11, "0123456789"), "-", rand(13, "0123456789"), "-", rand(24)),
    "slack bot {}",
)
plant(
    "slack_token",
    j("xo", "xp-", rand(10, "0123456789"), "-", rand(12, "0123456789"), "-", rand(32)),
    "user token {}",
)
plant(
    "slack_webhook",
    j(
        "https://hooks.",
        "slack.com/services/T",
        rand(8, _UPPER),
        "/B",
        rand(8, _UPPER),
        "/",
        rand(24),
    ),
    "post to {}",
    "WEBHOOK={}",
)
plant("stripe_key", j("sk", "_live_", rand(24)), "stripe.api_key = '{}'", "STRIPE={}")
plant("stripe_key", j("rk", "_live_", rand(24)), "restricted key {}")
plant("stripe_key", j("sk", "_test_", rand(24)), "test key {}")
plant("google_api_key", j("AI", "za", rand(35, _ALNUM + "_-")), "maps key={}", "GOOGLE_API_KEY: {}")
plant(
    "openai_key", j("sk", "-", rand(48)), "OPENAI_API_KEY={}", "Authorization header uses {} today"
)
plant("openai_key", j("sk", "-proj-", rand(40)), "project key {}")
plant("openai_key", j("sk", "-ant-api03-", rand(40)), "anthropic: {}")
plant("jwt", _jwt(), "Cookie: session={}", "id_token: {}")
plant("private_key", _pem("RSA "), "key file:\n{}\nend")
plant("private_key", _pem("EC "), "{}")
plant("private_key", _pem("OPENSSH "), "id_ed25519:\n{}")
plant("private_key", _pem(""), "PKCS8 key {}")
plant("url_password", j("S3cr", rand(10)), "DATABASE_URL=postgres://app:{}@db.internal:5432/orders")
plant("url_password", j("pw", rand(12)), "redis://default:{}@cache:6379/0")
plant("url_password", j("Mq", rand(14)), "amqp://guest:{}@rabbit.internal/")
plant("url_password", j("x9", rand(10)), "mongodb+srv://admin:{}@cluster0.example.net/db")
plant(
    "bearer_token",
    j(rand(24), "9"),
    "Authorization: Bearer {}",
    "curl -H 'Authorization: Bearer {}' https://api",
)
plant("generic_secret", j(rand(20), "7"), 'api_key = "{}"', "client_secret: {}", "DB_PASSWORD={}")
plant("generic_secret", j("Zq8", rand(17)), "password: '{}'", 'auth_token => "{}"')
plant("generic_secret", j("k", rand(30), "2"), '{{"apiKey": "{}"}}', "SECRET_KEY = '{}'")
EVASIVE = [
    ("aws_access_key_id", "AKIA IOSF ODNN 7EXA MPLE".replace("IOSF", rand(4, _UPPER))),
    (
        "aws_access_key_id",
        "-".join(["AKIA", rand(4, _UPPER), rand(4, _UPPER), rand(4, _UPPER), rand(4, _UPPER)]),
    ),
    ("aws_access_key_id", "\u200b".join(j("AK", "IA", rand(16, _UPPER)))),
    ("github_token", "".join(chr(ord(c) + 0xFEE0) for c in j("gh", "p_", rand(36)))),
    ("openai_key", "\u00ad".join([j("sk", "-proj-"), rand(20), rand(20)])),
]


def _cases() -> list[tuple[str, str, str]]:
    out = [(kind, value, t.format(value)) for kind, value, t in PLANTED]
    out += [(kind, value, f"here: {value} (do not share)") for kind, value in EVASIVE]
    return out


CASES = _cases()


def test_there_are_at_least_forty_planted_credentials() -> None:
    assert len(CASES) >= 40
    assert {k for k, _, _ in CASES} == set(credentials.KIND_NAMES)


@pytest.mark.parametrize(
    ("kind", "value", "text"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)]
)
def test_a_planted_credential_is_found_and_masked(kind: str, value: str, text: str) -> None:
    start = text.index(value)
    found = secrets.find(text)
    assert [(f["kind"], f["start"], f["end"]) for f in found] == [(kind, start, start + len(value))]
    assert value not in repr(found)
    assert secrets.mask(text) == [(start, start + len(value), f"<{kind.upper()}>")]


def benign_lines() -> list[str]:
    lines = [
        ln
        for ln in (HERE / "benign.txt").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("# ")
    ]
    for rel in (
        "README.md",
        "docs/language.md",
        "railguard/engine/guard.py",
        "railguard/policylang/parser.py",
    ):
        lines += [ln for ln in (ROOT / rel).read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


def test_ordinary_prose_code_and_logs_raise_nothing() -> None:
    lines = benign_lines()
    assert len(lines) >= 200
    flagged = [(ln, secrets.find(ln)) for ln in lines if secrets.find(ln)]
    assert flagged == []
    assert secrets.find("\n".join(lines)) == []


def test_json_paths_kinds_and_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    key = j("gh", "p_", rand(36))
    value = {"headers": {"x-token": key}, "body": ["ok", f"k={key}"]}
    assert [(f["path"], f["kind"]) for f in secrets.find(value)] == [
        ('headers["x-token"]', "github_token"),
        ("body[1]", "github_token"),
    ]
    assert secrets.kinds(value) == {"github_token"}
    assert secrets.find(value, kinds=["jwt"]) == []
    assert secrets.mask(f"k={key}", mode="fixed") == [(2, 42, "<SECRET>")]
    with pytest.raises(EvalError, match="unknown secret kind"):
        secrets.find("x", kinds=["nope"])
    monkeypatch.delenv("NO_SUCH_KEY_ENV", raising=False)
    with pytest.raises(EvalError, match="NO_SUCH_KEY_ENV"):
        secrets.mask(f"k={key}", mode="hash", key_env="NO_SUCH_KEY_ENV")


def test_a_policy_denies_and_reports_without_the_secret() -> None:
    key = j("gl", "pat-", rand(20))
    guard = railguard.loads("policy p {\n  rule keys:\n    deny call when secrets.find(args)\n}\n")
    v = guard.evaluate(railguard.ToolCall(tool="http", args={"h": {"auth": key}}))
    assert v.denied
    assert v.violations[0].details is not None
    assert v.violations[0].details["secrets"][0]["path"] == "h.auth"
    assert key not in v.to_json()
