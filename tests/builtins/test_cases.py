"""Runs every builtin case file, `tests/cases/<builtin>/*.yaml`.

A case file is a policy test file that users can run too:

    policy: |                         # the policy text, inline
      policy url_host { ... }
    allow_imports: [app.models]       # optional: modules `schema.model` may import
    cases:
      - name: userinfo is not the host          # unique within the file
        note: optional, why the case matters
        event: {kind: call, tool: fetch, args: {url: "http://acme.com@evil.com"}}
        decision: deny                          # allow | deny | escalate
        violations: [url_host.acme_only]        # optional: the violated rule ids (any order)
        warnings: []                            # optional: the warning rule ids (any order)
        errors: [url_host.acme_only]            # optional: rule ids whose finding has `error`
        messages: {url_host.acme_only: "..."}   # optional: exact messages by rule id
        content: "..."                          # optional: the rewritten content (null: none)
        args: {...}                             # optional: the rewritten args (null: none)
        redactions: [{rule, path, start, end, replacement}]   # optional
        labels: [untrusted]                     # optional
        retry_after: 20                         # optional: the verdict's retry_after (seconds)
        history:                                # optional: earlier events of the session
          - {at: 0, event: {kind: call, tool: search, args: {q: x}, session: s1}}
        at: 40                                  # optional: when the event comes (seconds)

Session history runs in a fresh session store per case, on a clock that reads `at`.
Case files of `session.*` builtins run twice: with the in-memory store and with Redis.

Paths in the policy (`tools from`, schema files) are relative to the case file's folder.
The event is read with `railguard.event_from_dict`, so it is validated like JSON from the
sidecar. A key that is left out is not checked; `errors`, when given, must name exactly
the findings that carry an error.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

import railguard
from railguard.engine.stores import MemoryStore, SessionStore, open_store

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
TOP_KEYS = {"policy", "cases", "note", "allow_imports"}
CASE_KEYS = {
    "name",
    "note",
    "event",
    "decision",
    "violations",
    "warnings",
    "errors",
    "messages",
    "content",
    "args",
    "redactions",
    "labels",
    "retry_after",
    "history",
    "at",
}
EPOCH = 1_700_000_000.0  # `at: 0` in a case's history


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*/*.yaml"))


@functools.cache
def load_case_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    assert isinstance(doc, dict), f"{path}: a case file is a mapping"
    assert set(doc) <= TOP_KEYS, f"{path}: unknown keys {sorted(set(doc) - TOP_KEYS)}"
    assert isinstance(doc.get("policy"), str), f"{path}: `policy` must be the policy text"
    assert isinstance(doc.get("cases"), list) and doc["cases"], f"{path}: `cases` is empty"
    return doc


def check_policy(path: Path) -> tuple[railguard.Guard | None, list[Any]]:
    """Compile a case file's policy as `railguard test` would: beside the case file."""
    doc = load_case_file(path)
    with contextlib.chdir(path.parent):
        return railguard.check(doc["policy"], allow_imports=doc.get("allow_imports", ()))


@functools.cache
def guard_for(path: Path) -> railguard.Guard:
    doc = load_case_file(path)
    with contextlib.chdir(path.parent):
        return railguard.loads(
            doc["policy"],
            name=str(path.relative_to(CASES_DIR)),
            allow_imports=doc.get("allow_imports", ()),
        )


def check_case(
    guard: railguard.Guard, case: dict[str, Any], store: SessionStore | None = None
) -> list[str]:
    """Every way the verdict differs from what the case expects (empty when it passes).

    A guard with session rules keeps its state in `store` (a fresh in-memory one when
    None), whose clock the case's `history` and `at` set."""
    now = [EPOCH]
    if guard.sessions is not None:
        store = store or MemoryStore()
        store.clock = lambda: now[0]
        guard = guard.with_sessions(store)
    for earlier in case.get("history") or ():
        now[0] = EPOCH + earlier.get("at", 0)
        guard.evaluate(railguard.event_from_dict(earlier["event"]))
    now[0] = EPOCH + case.get("at", 0)
    verdict = guard.evaluate(railguard.event_from_dict(case["event"]))
    problems: list[str] = []

    def expect(what: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            problems.append(f"{what}: expected {wanted!r}, got {got!r}")

    expect("decision", verdict.decision, case["decision"])
    findings = (*verdict.violations, *verdict.warnings)
    if "violations" in case:
        expect("violations", sorted(v.rule for v in verdict.violations), sorted(case["violations"]))
    if "warnings" in case:
        expect("warnings", sorted(w.rule for w in verdict.warnings), sorted(case["warnings"]))
    if "errors" in case:
        got = sorted({f.rule for f in findings if f.error is not None})
        expect("findings with an error", got, sorted(case["errors"]))
    for rule, message in (case.get("messages") or {}).items():
        expect(f"message of {rule}", [f.message for f in findings if f.rule == rule], [message])
    if "content" in case:
        expect("content", verdict.content, case["content"])
    if "args" in case:
        expect("args", verdict.args, case["args"])
    if "redactions" in case:
        expect("redactions", [r.to_dict() for r in verdict.redactions], case["redactions"])
    if "labels" in case:
        expect("labels", list(verdict.labels), case["labels"])
    if "retry_after" in case:
        expect("retry_after", verdict.retry_after, case["retry_after"])
    if problems:
        problems.append(verdict.explain())
    return problems


def _params() -> list[Any]:
    params = []
    for path in case_files():
        doc = load_case_file(path)
        stores = ("memory", "redis") if "session." in doc["policy"] else ("memory",)
        for i, case in enumerate(doc["cases"]):
            name = case.get("name", f"case {i + 1}") if isinstance(case, dict) else f"case {i + 1}"
            for store in stores:
                suffix = " [redis]" if store == "redis" else ""
                params.append(
                    pytest.param(path, i, store, id=f"{path.parent.name}: {name}{suffix}")
                )
    return params


def test_there_are_case_files() -> None:
    assert case_files(), f"no case files under {CASES_DIR}"


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.parent.name)
def test_case_file_is_well_formed(path: Path) -> None:
    doc = load_case_file(path)
    names = [c.get("name") for c in doc["cases"]]
    assert len(set(names)) == len(names), f"duplicate case names in {path}"
    for case in doc["cases"]:
        assert isinstance(case, dict)
        assert set(case) <= CASE_KEYS, f"{case.get('name')}: unknown keys {set(case) - CASE_KEYS}"
        assert {"name", "event", "decision"} <= set(case), case.get("name")
        assert case["decision"] in ("allow", "deny", "escalate"), case["name"]
        if case["decision"] != "allow":
            assert case.get("violations"), f"{case['name']}: say which rules object"
    guard, diagnostics = check_policy(path)
    assert guard is not None, "\n".join(str(d) for d in diagnostics)


@pytest.mark.parametrize(("path", "index", "store"), _params())
def test_case(path: Path, index: int, store: str, request: pytest.FixtureRequest) -> None:
    case = load_case_file(path)["cases"][index]
    sessions = None
    if store == "redis":
        sessions = open_store(request.getfixturevalue("redis_url"))
    try:
        problems = check_case(guard_for(path), case, sessions)
    finally:
        if sessions is not None:
            sessions.close()
    assert not problems, "\n".join(problems)
