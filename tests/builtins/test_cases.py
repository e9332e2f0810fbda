"""Runs every builtin case file, `tests/cases/<builtin>/cases.yaml`, with `railguard.policytest`.

A case file is a policy test file that users can run too (`railguard test tests/cases`;
the format is in docs/testing.md):

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
Case files of `session.*` builtins run twice here: with the in-memory store and with Redis.
Beyond what `railguard test` checks, a builtin case that does not allow must say which
rules object.

Paths in the policy (`tools from`, schema files) are relative to the case file's folder.
The event is read with `railguard.event_from_dict`, so it is validated like JSON from the
sidecar. A key that is left out is not checked; `errors`, when given, must name exactly
the findings that carry an error.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from railguard.engine.guard import Guard
from railguard.engine.stores import open_store
from railguard.policytest import TestFile, load, run_case
from railguard.policytest.runner import collect

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*/cases.yaml"))


@functools.cache
def compiled(path: Path) -> tuple[TestFile, Guard]:
    """The case file and its policy, compiled as `railguard test` compiles it."""
    [(test, guard)] = collect([path])
    return test, guard


def _params() -> list[Any]:
    params = []
    for path in case_files():
        test = load(path)
        stores = ("memory", "redis") if "session." in (test.policy or "") else ("memory",)
        for i, case in enumerate(test.cases):
            for store in stores:
                suffix = " [redis]" if store == "redis" else ""
                params.append(
                    pytest.param(path, i, store, id=f"{path.parent.name}: {case.name}{suffix}")
                )
    return params


def test_there_are_case_files() -> None:
    assert case_files(), f"no case files under {CASES_DIR}"


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.parent.name)
def test_case_file_is_well_formed(path: Path) -> None:
    test, _ = compiled(path)  # raises on a malformed file or a policy that does not compile
    assert test.policy is not None, "a builtin case file holds its policy inline"
    for case in test.cases:
        if case.expect["decision"] != "allow":
            assert case.expect.get("violations"), f"{case.name}: say which rules object"


@pytest.mark.parametrize(("path", "index", "store"), _params())
def test_case(path: Path, index: int, store: str, request: pytest.FixtureRequest) -> None:
    test, guard = compiled(path)
    sessions = None
    if store == "redis":
        sessions = open_store(request.getfixturevalue("redis_url"))
    try:
        outcome = run_case(guard, test.cases[index], sessions)
    finally:
        if sessions is not None:
            sessions.close()
    assert outcome.passed, outcome.report()
