"""Runs the official JSON Schema Test Suite through `schema.valid`, from a policy.

Each test group becomes a policy with one rule, its schema written inline:

    policy suite {
      deny call check unless schema.valid(args.value, "<the schema as JSON>", formats: false)
    }

and each test an event `{"kind": "call", "tool": "check", "args": {"value": DATA}}`: the
verdict must be `allow` for a valid instance and `deny` (without an error) for an invalid
one. `remotes/` is mapped to `http://localhost:1234/` with `schema_roots`, offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import railguard
from railguard.policylang.diagnostics import PolicyError
from tests.conftest import CORPORA

SUITE = CORPORA / "json-schema-test-suite"
DRAFTS = ("draft2020-12", "draft2019-09", "draft7")
# The suite's folder says the draft; Railguard reads it from `$schema` (2020-12 when none).
DIALECTS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
    "draft7": "http://json-schema.org/draft-07/schema#",
}
REMOTES = {"http://localhost:1234/": SUITE / "remotes"}
LIMITS = railguard.Limits(depth=256)


@dataclass(frozen=True, slots=True)
class Outcome:
    file: str
    group: str
    test: str
    expected: bool
    got: str  # "valid", "invalid", "error: ...", "compile error: ..."

    @property
    def agrees(self) -> bool:
        return self.got == ("valid" if self.expected else "invalid")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.file, self.group, self.test)


def policy_string(text: str) -> str:
    """`text` as a policy-language string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def policy_for(schema: Any, draft: str, formats: bool) -> str:
    if isinstance(schema, dict) and "$schema" not in schema:
        schema = {"$schema": DIALECTS[draft], **schema}
    inline = policy_string(json.dumps(schema, ensure_ascii=True))
    flag = "" if formats else ", formats: false"
    return (
        f"policy suite {{\n  deny call check unless schema.valid(args.value, {inline}{flag})\n}}\n"
    )


def groups(draft: str, optional_format: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    folder = SUITE / "tests" / draft
    if optional_format:
        folder = folder / "optional" / "format"
    for path in sorted(folder.glob("*.json")):
        for group in json.loads(path.read_text(encoding="utf-8")):
            yield path.name, group


def run_group(draft: str, file: str, group: dict[str, Any], formats: bool) -> list[Outcome]:
    tests = group["tests"]
    try:
        guard = railguard.loads(
            policy_for(group["schema"], draft, formats), limits=LIMITS, schema_roots=REMOTES
        )
    except PolicyError as exc:
        reason = "compile error: " + "; ".join(d.message for d in exc.diagnostics)
        return [
            Outcome(file, group["description"], t["description"], t["valid"], reason) for t in tests
        ]
    out = []
    for t in tests:
        verdict = guard.evaluate({"kind": "call", "tool": "check", "args": {"value": t["data"]}})
        errors = [v.error for v in verdict.violations if v.error]
        if errors:
            got = "error: " + "; ".join(str(e) for e in errors)
        else:
            got = "valid" if verdict.decision == "allow" else "invalid"
        out.append(Outcome(file, group["description"], t["description"], t["valid"], got))
    return out


def run(draft: str, *, formats: bool, optional_format: bool = False) -> list[Outcome]:
    return [
        outcome
        for file, group in groups(draft, optional_format)
        for outcome in run_group(draft, file, group, formats)
    ]


def available() -> bool:
    return (SUITE / "tests").is_dir() and (SUITE / "remotes").is_dir()


def main() -> None:  # pragma: no cover - a report for people: python -m tests.builtins.schema.suite
    for draft in DRAFTS:
        for label, formats, optional in (
            ("required, formats: false", False, False),
            ("required, formats: true", True, False),
            ("optional/format, formats: true", True, True),
        ):
            outcomes = run(draft, formats=formats, optional_format=optional)
            bad = [o for o in outcomes if not o.agrees]
            share = 100 * (len(outcomes) - len(bad)) / max(len(outcomes), 1)
            print(
                f"{draft:13} {label:32} {len(outcomes) - len(bad)}/{len(outcomes)} ({share:.2f}%)"
            )
            for o in bad:
                print(f"    {o.file}: {o.group} / {o.test}: expected {o.expected}, got {o.got}")


if __name__ == "__main__":  # pragma: no cover
    main()
