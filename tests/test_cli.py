"""The `railguard` command line: exit codes, output shapes, and what each command refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from railguard import __version__
from railguard.builtins.registry import registry
from railguard.cli import main

CLEAN = """\
policy shop {
  default deny
  allow call search, order, send_email

  rule big_order:
    deny call order
      when args.quantity > 100
      message "orders of {args.quantity} need a person"

  rule outside_mail:
    escalate call send_email
      unless args.to matches /@acme\\.com$/
      message "mail to {args.to} needs approval"
}
"""

UNFORMATTED = """\
policy shop {
default deny
    allow call search
  rule big_order: deny call order when args.quantity>100 message "too many"
}
"""

BROKEN = """\
policy shop {
  deny call order when args.quantity = 100
}
"""


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from `tmp_path`, so the CLI prints short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- lint -------------------------------------------------------------------------------------


def test_lint_clean_file_exits_0(cwd: Path) -> None:
    write(cwd / "shop.rail", CLEAN)
    result = run("lint", "shop.rail")
    assert result.exit_code == 0, result.output
    assert result.output == "no problems found\n"


def test_lint_folder_finds_rail_files(cwd: Path) -> None:
    (cwd / "policies").mkdir()
    write(cwd / "policies" / "shop.rail", CLEAN)
    write(cwd / "policies" / "broken.rail", BROKEN.replace("shop", "other"))
    result = run("lint", "policies")
    assert result.exit_code == 1
    assert result.output.startswith("policies/broken.rail:2:38: error[RG102]: ")


def test_lint_errors_exit_1_and_name_file_line_col(cwd: Path) -> None:
    write(cwd / "broken.rail", BROKEN)
    result = run("lint", "broken.rail")
    assert result.exit_code == 1
    assert result.output == (
        "broken.rail:2:38: error[RG102]: unexpected character `=`\n"
        "  |\n"
        "2 |   deny call order when args.quantity = 100\n"
        "  |                                      ^\n"
        "  = help: write `==` to compare\n"
        "\n"
        "found 1 error\n"
    )


def test_lint_warnings_alone_exit_0(cwd: Path) -> None:
    write(cwd / "shadow.rail", "policy p {\n  mode shadow\n}\n")
    result = run("lint", "shadow.rail")
    assert result.exit_code == 0
    assert "warning[RG303]" in result.output
    assert result.output.endswith("found 1 warning\n")


def test_lint_missing_path_exits_2(cwd: Path) -> None:
    result = run("lint", "nowhere.rail")
    assert result.exit_code == 2
    assert "nowhere.rail: error[RG213]: policy path `nowhere.rail` does not exist" in result.output


def test_lint_missing_path_exits_2_even_beside_a_good_file(cwd: Path) -> None:
    write(cwd / "shop.rail", CLEAN)
    assert run("lint", "shop.rail", "nowhere.rail").exit_code == 2


def test_lint_without_paths_is_a_usage_error() -> None:
    result = run("lint")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_lint_json_shape(cwd: Path) -> None:
    write(cwd / "broken.rail", BROKEN)
    write(cwd / "shadow.rail", "policy p {\n  mode shadow\n}\n")
    result = run("lint", "--format", "json", "broken.rail", "shadow.rail")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"diagnostics", "summary"}
    assert data["summary"] == "found 1 error and 1 warning"
    first, second = data["diagnostics"]
    assert first == {
        "code": "RG102",
        "severity": "error",
        "message": "unexpected character `=`",
        "file": "broken.rail",
        "line": 2,
        "column": 38,
        "end_line": 2,
        "end_column": 39,
        "help": "write `==` to compare",
        "url": "docs/errors.md#rg102",
    }
    assert (second["code"], second["severity"], second["file"]) == (
        "RG303",
        "warning",
        "shadow.rail",
    )


def test_lint_json_clean(cwd: Path) -> None:
    write(cwd / "shop.rail", CLEAN)
    result = run("lint", "--format", "json", "shop.rail")
    assert result.exit_code == 0
    assert json.loads(result.output) == {"diagnostics": [], "summary": "no problems found"}


def test_lint_unknown_format_is_a_usage_error(cwd: Path) -> None:
    write(cwd / "shop.rail", CLEAN)
    assert run("lint", "--format", "xml", "shop.rail").exit_code == 2


# ---- fmt --------------------------------------------------------------------------------------


def test_fmt_check_then_fmt_then_check(cwd: Path) -> None:
    path = write(cwd / "shop.rail", UNFORMATTED)

    check = run("fmt", "--check", "shop.rail")
    assert check.exit_code == 1
    assert check.output == "would reformat shop.rail\n"
    assert path.read_text() == UNFORMATTED, "--check must not write"

    rewrite = run("fmt", "shop.rail")
    assert rewrite.exit_code == 0
    assert rewrite.output == "reformatted shop.rail\n"
    formatted = path.read_text()
    assert formatted == (
        "policy shop {\n"
        "  default deny\n"
        "  allow call search\n"
        "  rule big_order:\n"
        "    deny call order\n"
        "      when args.quantity > 100\n"
        '      message "too many"\n'
        "}\n"
    )

    again = run("fmt", "--check", "shop.rail")
    assert again.exit_code == 0
    assert again.output == "1 file already formatted\n"
    assert run("fmt", "shop.rail").exit_code == 0
    assert path.read_text() == formatted, "fmt is idempotent"


def test_fmt_keeps_comments(cwd: Path) -> None:
    path = write(cwd / "c.rail", "policy p {\n# why\n  default   deny   # lockdown\n}\n")
    assert run("fmt", "c.rail").exit_code == 0
    text = path.read_text()
    assert "# why" in text and "# lockdown" in text
    assert run("fmt", "--check", "c.rail").exit_code == 0


def test_fmt_keeps_meaning(cwd: Path) -> None:
    import railguard

    path = write(cwd / "shop.rail", UNFORMATTED)
    event = {"kind": "call", "tool": "order", "args": {"quantity": 101}}
    before = railguard.load(str(path)).evaluate(railguard.event_from_dict(event))
    assert run("fmt", "shop.rail").exit_code == 0
    after = railguard.load(str(path)).evaluate(railguard.event_from_dict(event))
    assert (before.decision, [v.rule for v in before.violations]) == (
        after.decision,
        [v.rule for v in after.violations],
    )


def test_fmt_refuses_a_file_with_syntax_errors(cwd: Path) -> None:
    path = write(cwd / "broken.rail", BROKEN)
    for args in (["fmt", "broken.rail"], ["fmt", "--check", "broken.rail"]):
        result = run(*args)
        assert result.exit_code == 2
        assert "broken.rail:2:38: error[RG102]: unexpected character `=`" in result.stderr
        assert path.read_text() == BROKEN, "a file that does not parse is left untouched"


def test_fmt_still_formats_the_good_files_beside_a_broken_one(cwd: Path) -> None:
    write(cwd / "broken.rail", BROKEN)
    good = write(cwd / "shop.rail", UNFORMATTED)
    result = run("fmt", "broken.rail", "shop.rail")
    assert result.exit_code == 2
    assert good.read_text() != UNFORMATTED
    assert (cwd / "broken.rail").read_text() == BROKEN


def test_fmt_missing_path_exits_2(cwd: Path) -> None:
    result = run("fmt", "nowhere.rail")
    assert result.exit_code == 2
    assert "`nowhere.rail` does not exist" in result.output


# ---- eval -------------------------------------------------------------------------------------


@pytest.fixture
def shop(cwd: Path) -> Path:
    return write(cwd / "shop.rail", CLEAN)


def event_file(cwd: Path, event: object, name: str = "event.json") -> str:
    write(cwd / name, json.dumps(event))
    return name


VERDICT_FIELDS = {
    "decision_id",
    "decision",
    "kind",
    "tool",
    "violations",
    "warnings",
    "redactions",
    "labels",
    "retry_after",
    "content",
    "args",
    "policy_digest",
    "elapsed_us",
}


def test_eval_allow_exits_0(shop: Path, cwd: Path) -> None:
    name = event_file(cwd, {"kind": "call", "tool": "search", "args": {"q": "boots"}})
    result = run("eval", "-p", "shop.rail", name)
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert set(verdict) == VERDICT_FIELDS
    assert verdict["decision"] == "allow"
    assert (verdict["kind"], verdict["tool"]) == ("call", "search")
    assert verdict["violations"] == [] and verdict["warnings"] == []
    assert verdict["policy_digest"].startswith("sha256:")
    assert isinstance(verdict["elapsed_us"], float)


def test_eval_deny_exits_3_with_the_rule_and_its_location(shop: Path, cwd: Path) -> None:
    name = event_file(cwd, {"kind": "call", "tool": "order", "args": {"quantity": 500}})
    result = run("eval", "-p", "shop.rail", name)
    assert result.exit_code == 3, result.output
    verdict = json.loads(result.output)
    assert verdict["decision"] == "deny"
    assert verdict["violations"] == [
        {
            "rule": "shop.big_order",
            "policy": "shop",
            "effect": "deny",
            "message": "orders of 500 need a person",
            "location": "shop.rail:5:3",
        }
    ]


def test_eval_default_deny_exits_3(shop: Path, cwd: Path) -> None:
    name = event_file(cwd, {"kind": "call", "tool": "drop_tables"})
    result = run("eval", "-p", "shop.rail", name)
    assert result.exit_code == 3
    (violation,) = json.loads(result.output)["violations"]
    assert "drop_tables" in violation["message"]


def test_eval_escalate_exits_4(shop: Path, cwd: Path) -> None:
    event = {"kind": "call", "tool": "send_email", "args": {"to": "eve@evil.example"}}
    result = run("eval", "-p", "shop.rail", event_file(cwd, event))
    assert result.exit_code == 4, result.output
    verdict = json.loads(result.output)
    assert verdict["decision"] == "escalate"
    assert [v["rule"] for v in verdict["violations"]] == ["shop.outside_mail"]


def test_eval_reads_stdin(shop: Path) -> None:
    event = {"kind": "call", "tool": "order", "args": {"quantity": 101}}
    result = run("eval", "-p", "shop.rail", "-", input=json.dumps(event))
    assert result.exit_code == 3
    assert json.loads(result.output)["decision"] == "deny"
    allowed = run("eval", "-p", "shop.rail", "-", input='{"kind": "output", "content": "hi"}')
    assert allowed.exit_code == 0
    assert json.loads(allowed.output)["kind"] == "output"


def test_eval_explain(shop: Path) -> None:
    event = '{"kind": "call", "tool": "order", "args": {"quantity": 101}}'
    result = run("eval", "--explain", "-p", "shop.rail", "-", input=event)
    assert result.exit_code == 3
    assert result.output == (
        "deny: call order\n  deny by shop.big_order (shop.rail:5:3): orders of 101 need a person\n"
    )


def test_eval_malformed_json_exits_2(shop: Path) -> None:
    result = run("eval", "-p", "shop.rail", "-", input='{"kind": "call",')
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error[RG403]: the event is not JSON" in result.stderr


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"tool": "search"}, "the event has no `kind`"),
        ({"kind": "tool_call", "tool": "search"}, "`kind` must be one of"),
        ({"kind": "call", "tool": 5}, "`tool` must be a string"),
        ({"kind": "call", "tool": "search", "args": ["q"]}, "`args` must be a JSON object"),
        ({"kind": "call"}, "`tool` is missing"),
        ({"kind": "input", "content": "hi", "tool": "x"}, "`tool` is not a field"),
        ([{"kind": "call", "tool": "search"}], "an event is a JSON object"),
    ],
    ids=["no-kind", "bad-kind", "tool-number", "args-list", "no-tool", "extra-field", "list"],
)
def test_eval_malformed_event_exits_2(shop: Path, event: object, message: str) -> None:
    result = run("eval", "-p", "shop.rail", "-", input=json.dumps(event))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"<stdin>: error[RG403]: {message}" in result.stderr


def test_eval_names_the_event_file_in_errors(shop: Path, cwd: Path) -> None:
    result = run("eval", "-p", "shop.rail", event_file(cwd, {"kind": "call", "tool": 5}))
    assert result.exit_code == 2
    assert "event.json: error[RG403]: `tool` must be a string" in result.stderr


def test_eval_with_a_broken_policy_exits_2(cwd: Path) -> None:
    write(cwd / "broken.rail", BROKEN)
    result = run("eval", "-p", "broken.rail", "-", input='{"kind": "output", "content": ""}')
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "broken.rail:2:38: error[RG102]" in result.stderr


def test_eval_missing_event_file_is_a_usage_error(shop: Path) -> None:
    result = run("eval", "-p", "shop.rail", "nowhere.json")
    assert result.exit_code == 2


def test_eval_needs_a_policy(cwd: Path) -> None:
    result = run("eval", "-", input='{"kind": "output", "content": ""}')
    assert result.exit_code == 2
    assert "--policy" in result.output


# ---- version, builtins ------------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"railguard, version {__version__}\n"


def test_builtins_markdown_documents_every_builtin() -> None:
    result = run("builtins", "--format", "markdown")
    assert result.exit_code == 0
    page = result.output
    assert page.startswith("# Builtin reference\n")
    for name, spec in registry().items():
        assert f"### `{name}`" in page, name
        assert spec.signature in page, name


def test_builtins_text_lists_signatures() -> None:
    result = run("builtins")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    signatures = [line for line in lines if not line.startswith(" ")]
    assert signatures == sorted(s.signature for s in registry().values())
