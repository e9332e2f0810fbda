"""The public API: load from files, folders and text; includes; catalogs; caching; verdict JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import railguard
from railguard.policylang.catalog import CatalogError, parse_catalog

POLICY = """
policy shop {
  default deny
  allow call search, checkout
  rule big_orders:
    escalate call checkout when args.total > 500
      message "order of {args.total} needs approval"
}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_load_text_file_and_folder_give_the_same_decisions(tmp_path: Path) -> None:
    file = write(tmp_path / "p" / "shop.rail", POLICY)
    event = railguard.ToolCall(tool="checkout", args={"total": 900})
    for source in (POLICY, file, str(file), tmp_path / "p", [file]):
        verdict = railguard.load(source).evaluate(event)
        assert verdict.decision == "escalate"
        assert [v.rule for v in verdict.violations] == ["shop.big_orders"]
        assert verdict.violations[0].message == "order of 900 needs approval"


def test_policy_error_carries_every_diagnostic() -> None:
    text = """
policy broken {
  deny call x when startswith(args.a)
  deny call y when nope(args.b)
}
"""
    with pytest.raises(railguard.PolicyError) as info:
        railguard.loads(text)
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["RG201", "RG203"]
    assert "<policy>:3:20: error[RG203]" in str(info.value)


def test_included_files_merge_into_the_including_policy_and_are_not_loaded_twice(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "common" / "sql.rail",
        "policy shared {\n  rule no_drop:\n    deny call run_sql when args.q matches /(?i)drop/\n}\n",
    )
    write(
        tmp_path / "main.rail",
        'policy main {\n  include "common/sql.rail"\n  allow call run_sql\n}\n',
    )
    guard = railguard.load(tmp_path)
    assert [p.name for p in guard.policies] == ["main"]
    verdict = guard.evaluate(railguard.ToolCall(tool="run_sql", args={"q": "DROP TABLE x"}))
    assert verdict.decision == "deny"
    assert verdict.violations[0].rule == "main.no_drop"
    assert verdict.violations[0].location.startswith(str(tmp_path / "common" / "sql.rail"))


def test_include_cycle_and_missing_include_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.rail", 'policy a {\n  include "b.rail"\n}\n')
    write(tmp_path / "b.rail", 'policy b {\n  include "a.rail"\n  include "missing.rail"\n}\n')
    guard, diagnostics = railguard.check(tmp_path / "a.rail")
    assert guard is None
    assert {d.code for d in diagnostics} == {"RG213", "RG214"}


@pytest.mark.parametrize(
    "catalog",
    [
        [{"type": "function", "function": {"name": "search", "parameters": {}}}],
        [{"name": "search", "parameters": {"type": "object"}}],
        {"tools": [{"name": "search", "inputSchema": {"type": "object"}}]},
        {"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "search"}]}},
    ],
    ids=["openai", "plain", "mcp", "mcp-jsonrpc"],
)
def test_catalog_formats(catalog: object) -> None:
    assert list(parse_catalog(catalog)) == ["search"]


@pytest.mark.parametrize("bad", [{"tools": 3}, [{"description": "no name"}], "x"])
def test_bad_catalogs_are_errors(bad: object) -> None:
    with pytest.raises(CatalogError):
        parse_catalog(bad)


def test_lint_reports_a_tool_the_catalog_lacks(tmp_path: Path) -> None:
    write(tmp_path / "tools.json", json.dumps([{"name": "search"}, {"name": "checkout"}]))
    write(
        tmp_path / "p.rail",
        'policy p {\n  tools from "tools.json"\n  allow call serch, checkout\n}\n',
    )
    from railguard.policylang.lint import lint

    found = [d for d in lint(tmp_path) if d.code == "RG301"]
    assert len(found) == 1
    assert "`serch`" in found[0].message and found[0].help == "did you mean `search`?"


def test_module_level_evaluate_caches_and_notices_changes(tmp_path: Path) -> None:
    file = write(tmp_path / "p.rail", POLICY)
    event = {"kind": "call", "tool": "search", "args": {}}
    first = railguard.evaluate(event, policies=file)
    assert first.decision == "allow"
    write(file, POLICY.replace("allow call search, checkout", "allow call checkout") + "\n")
    second = railguard.evaluate(event, policies=file)
    assert second.decision == "deny"
    assert second.policy_digest != first.policy_digest


def test_verdict_json_has_the_design_fields() -> None:
    guard = railguard.loads(POLICY)
    verdict = guard.evaluate(railguard.ToolCall(tool="checkout", args={"total": 900}))
    data = json.loads(verdict.to_json())
    assert {
        "decision",
        "violations",
        "warnings",
        "policy_digest",
        "decision_id",
        "elapsed_us",
    } <= set(data)
    assert data["violations"][0]["location"] == "<policy>:5:3"
    assert data["policy_digest"].startswith("sha256:") and data["policy_digest"] == guard.digest
    assert verdict.escalated and not verdict.allowed
    assert "mail" not in verdict.explain() and "order of 900 needs approval" in verdict.explain()


def test_decision_ids_are_unique() -> None:
    guard = railguard.loads(POLICY)
    event = railguard.ToolCall(tool="search")
    ids = {guard.evaluate(event).decision_id for _ in range(1000)}
    assert len(ids) == 1000


def test_dict_events_are_validated() -> None:
    guard = railguard.loads(POLICY)
    with pytest.raises(railguard.EventError) as info:
        guard.evaluate({"kind": "call", "args": "not an object"})
    messages = " ".join(d.message for d in info.value.diagnostics)
    assert "`tool`" in messages and "`args`" in messages


def test_a_violation_names_what_matched() -> None:
    """A condition whose value is a collection (the tags outside an allowlist) puts it in
    the violation's details, sorted, so the user sees which items broke the rule."""
    guard = railguard.loads(
        """policy p {
  rule tags: deny call tag when args.tags - {"ok"}
  rule flag: deny call tag when args.flag
}"""
    )
    verdict = guard.evaluate(
        {"kind": "call", "tool": "tag", "args": {"tags": ["zz", "ok", "aa"], "flag": True}}
    )
    by_rule = {v.rule: v for v in verdict.violations}
    assert by_rule["p.tags"].details == {"matched": ["aa", "zz"]}
    assert by_rule["p.flag"].details is None  # a plain true explains nothing more
    assert by_rule["p.tags"].to_dict()["details"] == {"matched": ["aa", "zz"]}
