"""`railguard lint --format sarif|github` and `--strict`.

`schemas/sarif-schema-2.1.0.json` is the OASIS SARIF 2.1.0 schema (errata 01), copied
unchanged from `oasis-tcs/sarif-spec` (`Schemata/sarif-schema-2.1.0.json`); the SARIF
output must validate against it, formats included. The GitHub format must follow the
workflow-command syntax GitHub documents ("Workflow commands for GitHub Actions": `::error
file={name},line={line},endLine={endLine},title={title}::{message}`, with `col` and
`endColumn`), escaped as `@actions/core` escapes: `%`, CR and LF in the message; those and
`:` and `,` in property values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from railguard.cli import main
from railguard.policylang.diagnostics import Diagnostic, Severity
from railguard.policylang.reporters import escape_data, escape_property, render_github
from railguard.policylang.span import Span

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
CASES = HERE / "lint_cases"
ROOT = HERE.parent.parent


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)
    return result.exit_code, result.output


def validate_sarif(text: str) -> dict[str, object]:
    log = json.loads(text)
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return log


def test_the_shipped_schema_is_the_oasis_one() -> None:
    assert SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_sarif_of_every_lint_case_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    code, out = run("--format", "sarif", ".")
    log = validate_sarif(out)
    run_ = log["runs"][0]  # type: ignore[index]
    results = run_["results"]
    assert code == 1 and len(results) >= 40
    rules = run_["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    levels = {r["level"] for r in results}
    assert levels == {"error", "warning"}


def test_sarif_locations_are_relative_to_the_source_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    _, out = run("--format", "sarif", "001_unknown_tool.rail")
    log = validate_sarif(out)
    result = log["runs"][0]["results"][0]  # type: ignore[index]
    where = result["locations"][0]["physicalLocation"]
    assert where["artifactLocation"] == {"uri": "001_unknown_tool.rail", "uriBaseId": "SRCROOT"}
    assert where["region"]["startLine"] == 5
    assert result["ruleId"] == "RG301" and result["level"] == "error"


def test_sarif_of_a_clean_run_and_of_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "ok.rail").write_text('policy ok {\n  deny call x message "no"\n}\n')
    code, out = run("--format", "sarif", str(tmp_path / "ok.rail"))
    assert code == 0 and validate_sarif(out)["runs"][0]["results"] == []  # type: ignore[index]
    code, out = run("--format", "sarif", str(tmp_path / "nowhere.rail"))
    assert code == 2
    validate_sarif(out)  # a whole-file finding has no region


# GitHub: `::LEVEL file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::MESSAGE`
_PROPERTY = r"[^,:\r\n]*"  # escaped values hold no raw `,`, `:` or newline
_COMMAND = re.compile(
    rf"^::(error|warning|notice) file={_PROPERTY}"
    rf"(,line=\d+,col=\d+,endLine=\d+,endColumn=\d+)?,title={_PROPERTY}::[^\r\n]*$"
)


def test_github_annotations_follow_the_workflow_command_syntax(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CASES)
    code, out = run("--format", "github", ".")
    lines = out.splitlines()
    assert code == 1 and len(lines) >= 40
    for line in lines:
        assert _COMMAND.match(line), line
    assert (
        "::error file=001_unknown_tool.rail,line=5,col=14,endLine=5,endColumn=24,title=RG301 unknown tool::tool `send_emial` is not in the catalog `_support/tools.json`%0Ahelp: did you mean `send_email`?"
        in lines
    )


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    span = Span("dir,x/a:b.rail", 2, 3, 2, 9, 10, 16)
    d = Diagnostic("RG311", "100% sure\nreally", span, Severity.INFO, None)
    assert render_github([d]) == (
        "::notice file=dir%2Cx/a%3Ab.rail,line=2,col=3,endLine=2,endColumn=9,"
        "title=RG311 deny without a message::100%25 sure%0Areally"
    )


def test_strict_fails_on_warnings_only_when_asked(tmp_path: Path) -> None:
    policy = tmp_path / "p.rail"
    policy.write_text("policy p {\n  deny call run_shell\n}\n")  # RG311, a warning
    assert run(str(policy))[0] == 0
    assert run("--strict", str(policy))[0] == 1
    policy.write_text(
        "# railguard: severity-file=RG311:info\npolicy p {\n  deny call run_shell\n}\n"
    )
    code, out = run("--strict", str(policy))
    assert code == 0 and "info[RG311]" in out
    policy.write_text("# railguard: disable-file=RG311\npolicy p {\n  deny call run_shell\n}\n")
    code, out = run("--strict", str(policy))
    assert code == 0 and out.strip() == "no problems found"


def test_exit_codes(tmp_path: Path) -> None:
    assert run("--strict", str(tmp_path / "nowhere.rail"))[0] == 2
    assert run("--format", "xml", str(tmp_path))[0] == 2
    bad = tmp_path / "bad.rail"
    bad.write_text('policy p {\n  deny call x when args.a matches /(a)\\1/ message "m"\n}\n')
    assert run(str(bad))[0] == 1


def test_every_bundled_policy_is_clean_under_strict() -> None:
    code, out = run("--strict", str(ROOT / "policies"))
    assert code == 0, out
    assert out.strip() == "no problems found"
