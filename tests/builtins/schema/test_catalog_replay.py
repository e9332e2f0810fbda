"""Replays realistic tool calls against a tool catalog through `schema.args`.

`fixtures/tools.json` is an OpenAI function catalog of six tools (mail, invoices, tickets,
payments, web). 120 well-formed calls, generated from pools of realistic values, must all
pass; then every call is broken four ways, the ways a new model version breaks them: a
required field renamed, a value of the wrong type, a required field left out, a field the
tool does not take. Each broken call must be denied, and the violation's `details` and
message must name the right JSON pointer.
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import railguard

FIXTURES = Path(__file__).parent / "fixtures"
CALLS_PER_TOOL = 20
POLICY = """\
policy catalog_check {
  tools from "tools.json"

  rule args_conform:
    deny call * unless schema.args(args, tool, strict: true)
      message "{schema.args_errors(args, tool, strict: true)}"
}
"""

NAMES = ["Ana Lima", "Bo Chen", "Carla Diaz", "Dev Patel", "Eve Moreau", "Femi Ade"]
DOMAINS = ["acme.com", "example.org", "mail.acme.co.uk", "partner.io"]
SUBJECTS = ["Invoice overdue", "Q3 numbers", "Meeting notes", "Your refund", "Contract draft"]
COMPONENTS = ["billing", "auth", "search", "exports", "mobile"]
IBANS = ["DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606"]


def _email(rng: random.Random) -> str:
    name = rng.choice(NAMES).split()[0].lower()
    return f"{name}.{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def _send_email(rng: random.Random) -> dict[str, Any]:
    to = [{"email": _email(rng)} for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        to[0]["name"] = rng.choice(NAMES)
    args: dict[str, Any] = {
        "to": to,
        "subject": rng.choice(SUBJECTS),
        "body": "Hello,\n\nplease find the details below.\n\nBest regards",
    }
    if rng.random() < 0.4:
        args["cc"] = [_email(rng)]
    if rng.random() < 0.5:
        args["priority"] = rng.randint(1, 5)
    return args


def _search_invoices(rng: random.Random) -> dict[str, Any]:
    args: dict[str, Any] = {"status": rng.choice(["open", "paid", "overdue", "void"])}
    if rng.random() < 0.7:
        args["customer_id"] = f"C{rng.randint(0, 99999):05d}"
    if rng.random() < 0.5:
        args["issued_after"] = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.5:
        args["limit"] = rng.randint(1, 100)
    return args


def _get_invoice(rng: random.Random) -> dict[str, Any]:
    args: dict[str, Any] = {"invoice_id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
    if rng.random() < 0.5:
        args["include_lines"] = rng.random() < 0.5
    return args


def _create_ticket(rng: random.Random) -> dict[str, Any]:
    args: dict[str, Any] = {
        "title": f"{rng.choice(COMPONENTS).title()} fails after upgrade",
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "reporter": {"user_id": rng.randint(1, 5000)},
    }
    if rng.random() < 0.5:
        args["reporter"]["email"] = _email(rng)
    if rng.random() < 0.6:
        args["component"] = rng.choice(COMPONENTS)
    if rng.random() < 0.5:
        args["labels"] = rng.sample(["regression", "customer", "p1", "ui", "api"], 2)
    return args


def _transfer_funds(rng: random.Random) -> dict[str, Any]:
    source, target = rng.sample(IBANS, 2)
    args: dict[str, Any] = {
        "from_account": source,
        "to_account": target,
        "amount": round(rng.uniform(1, 25_000), 2),
        "currency": rng.choice(["USD", "EUR", "GBP"]),
    }
    if rng.random() < 0.4:
        args["execute_at"] = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T09:30:00Z"
    if rng.random() < 0.5:
        args["memo"] = rng.choice([None, "rent", "invoice 2025-114"])
    return args


def _fetch_url(rng: random.Random) -> dict[str, Any]:
    args: dict[str, Any] = {
        "url": f"https://{rng.choice(DOMAINS)}/docs/{rng.randint(1, 500)}?lang=en"
    }
    if rng.random() < 0.5:
        args["timeout_s"] = rng.choice([0.5, 2, 10, 30])
    if rng.random() < 0.3:
        args["headers"] = {"Accept": "text/html"}
    return args


GENERATORS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "send_email": _send_email,
    "search_invoices": _search_invoices,
    "get_invoice": _get_invoice,
    "create_ticket": _create_ticket,
    "transfer_funds": _transfer_funds,
    "fetch_url": _fetch_url,
}

# How each breakage is made, per tool: (field, its new name) for a rename; (pointer path,
# wrong value) for a type error; the required field to drop; the extra field to add.
RENAMES = {
    "send_email": ("to", "recipients"),
    "search_invoices": ("status", "state"),
    "get_invoice": ("invoice_id", "id"),
    "create_ticket": ("severity", "priority"),
    "transfer_funds": ("amount", "value"),
    "fetch_url": ("url", "link"),
}
WRONG_TYPES: dict[str, tuple[tuple[str | int, ...], Any]] = {
    "send_email": (("to", 0, "email"), 42),
    "search_invoices": (("status",), ["open"]),
    "get_invoice": (("invoice_id",), 1234),
    "create_ticket": (("reporter", "user_id"), "17"),
    "transfer_funds": (("amount",), "100.00"),
    "fetch_url": (("url",), {"href": "https://acme.com"}),
}
DROPS: dict[str, tuple[str, ...]] = {
    "send_email": ("subject",),
    "search_invoices": ("status",),
    "get_invoice": ("invoice_id",),
    "create_ticket": ("reporter", "user_id"),
    "transfer_funds": ("currency",),
    "fetch_url": ("url",),
}
EXTRA = ("confirm", True)


def calls() -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(20251125)
    return [(tool, make(rng)) for tool, make in GENERATORS.items() for _ in range(CALLS_PER_TOOL)]


def _set(args: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = args
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"/{p}" for p in path)


def breakages(tool: str, args: dict[str, Any]) -> list[tuple[str, dict[str, Any], set[str]]]:
    """(what, broken arguments, pointers that must be reported) for one good call."""
    out = []
    old, new = RENAMES[tool]
    renamed = json.loads(json.dumps(args))
    renamed[new] = renamed.pop(old)
    out.append(("renamed field", renamed, {f"/{old}", f"/{new}"}))
    path, wrong = WRONG_TYPES[tool]
    typed = json.loads(json.dumps(args))
    _set(typed, path, wrong)
    out.append(("wrong type", typed, {_pointer(path)}))
    dropped = json.loads(json.dumps(args))
    parent: Any = dropped
    for key in DROPS[tool][:-1]:
        parent = parent[key]
    del parent[DROPS[tool][-1]]
    out.append(("missing required field", dropped, {_pointer(DROPS[tool])}))
    extra = {**json.loads(json.dumps(args)), EXTRA[0]: EXTRA[1]}
    out.append(("extra field", extra, {f"/{EXTRA[0]}"}))
    return out


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> railguard.Guard:
    folder = tmp_path_factory.mktemp("catalog")
    shutil.copy(FIXTURES / "tools.json", folder / "tools.json")
    (folder / "policy.rail").write_text(POLICY, encoding="utf-8")
    return railguard.load(folder)


def test_there_are_at_least_100_calls() -> None:
    assert len(calls()) >= 100


def test_well_formed_calls_pass(guard: railguard.Guard) -> None:
    denied = []
    for tool, args in calls():
        verdict = guard.evaluate(railguard.ToolCall(tool=tool, args=args))
        if not verdict.allowed:
            denied.append((tool, args, verdict.explain()))
    assert not denied, denied[:3]


@pytest.mark.parametrize(
    "what", ["renamed field", "wrong type", "missing required field", "extra field"]
)
def test_each_breakage_is_caught_at_its_pointer(guard: railguard.Guard, what: str) -> None:
    checked = 0
    for tool, args in calls():
        for kind, broken, wanted in breakages(tool, args):
            if kind != what:
                continue
            verdict = guard.evaluate(railguard.ToolCall(tool=tool, args=broken))
            assert verdict.decision == "deny", (tool, broken)
            (violation,) = verdict.violations
            assert violation.rule == "catalog_check.args_conform"
            assert violation.error is None, violation
            assert violation.details is not None
            found = {e["pointer"] for e in violation.details["schema"]}
            assert wanted <= found, (tool, kind, broken, violation.details)
            for pointer in wanted:
                assert f'"pointer": "{pointer}"' in violation.message, violation.message
            checked += 1
    assert checked == len(calls())


def test_the_keywords_say_what_broke(guard: railguard.Guard) -> None:
    tool, args = calls()[0]
    expected = {
        "renamed field": {"required", "additionalProperties"},
        "wrong type": {"type"},
        "missing required field": {"required"},
        "extra field": {"additionalProperties"},
    }
    for kind, broken, _ in breakages(tool, args):
        verdict = guard.evaluate(railguard.ToolCall(tool=tool, args=broken))
        details = verdict.violations[0].details
        assert details is not None
        assert {e["keyword"] for e in details["schema"]} == expected[kind], details


def test_strict_mode_catches_extra_fields_the_catalog_forgot(tmp_path: Path) -> None:
    """`search_invoices` says nothing about additional properties: only strict mode
    rejects a field it does not declare."""
    shutil.copy(FIXTURES / "tools.json", tmp_path / "tools.json")
    lax = POLICY.replace(", strict: true", "")
    (tmp_path / "policy.rail").write_text(lax, encoding="utf-8")
    guard = railguard.load(tmp_path)
    call = railguard.ToolCall(tool="search_invoices", args={"status": "open", "sort": "date"})
    assert guard.evaluate(call).allowed
    (tmp_path / "policy.rail").write_text(POLICY, encoding="utf-8")
    strict = railguard.load(tmp_path)
    verdict = strict.evaluate(call)
    assert verdict.decision == "deny"
    details = verdict.violations[0].details
    assert details == {
        "schema": [
            {
                "pointer": "/sort",
                "keyword": "unevaluatedProperties",
                "message": "property `sort` is not allowed",
            }
        ]
    }


def test_an_mcp_catalog_gives_the_same_verdicts(tmp_path: Path) -> None:
    openai = json.loads((FIXTURES / "tools.json").read_text(encoding="utf-8"))
    mcp = {
        "tools": [
            {"name": t["function"]["name"], "inputSchema": t["function"]["parameters"]}
            for t in openai
        ]
    }
    (tmp_path / "tools.json").write_text(json.dumps(mcp), encoding="utf-8")
    (tmp_path / "policy.rail").write_text(POLICY, encoding="utf-8")
    guard = railguard.load(tmp_path)
    for tool, args in calls()[::7]:
        assert guard.evaluate(railguard.ToolCall(tool=tool, args=args)).allowed
        for _, broken, _ in breakages(tool, args):
            assert guard.evaluate(railguard.ToolCall(tool=tool, args=broken)).decision == "deny"


def test_a_tool_the_catalog_lacks_fails_closed(guard: railguard.Guard) -> None:
    verdict = guard.evaluate(railguard.ToolCall(tool="drop_database", args={}))
    assert verdict.decision == "deny"
    (violation,) = verdict.violations
    assert violation.error is not None
    assert "tool `drop_database` is not in the policy's tool catalog" in violation.error
