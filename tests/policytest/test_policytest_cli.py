"""`railguard test`: the bundled policies pass with full rule coverage; a broken policy
fails with a readable diff (a golden file); JSON output; the coverage threshold; and every
usage error exits 2 with `file:line:col`.

Regenerate the golden files with `UPDATE_GOLDEN=1 pytest tests/policytest`, then read every
changed file: a golden file records an output someone checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from railguard.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
POLICIES = ROOT / "policies"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

SHOP = """\
policy shop {
  default deny
  allow call search, order

  rule big_order:
    deny call order
      when args.quantity > 100
      message "orders of {args.quantity} need a person"

  rule note_refunds:
    warn call order when args.refund == true

  redact output with redact.pattern(/[0-9]{4}-[0-9]{4}/, replacement: "<CODE>")
}
"""

SHOP_TESTS = """\
cases:
  - name: a small order
    event: {kind: call, tool: order, args: {quantity: 3}}
    decision: allow
  - name: a big order
    event: {kind: call, tool: order, args: {quantity: 500}}
    decision: deny
    violations: [shop.big_order]
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["test", *args], catch_exceptions=False)


def stable(output: str) -> str:
    """The output without its timing, which changes from run to run."""
    return re.sub(r" in [0-9.]+s (=+)$", r" in 0.00s \1", output, flags=re.M)


def check_golden(name: str, output: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(output, encoding="utf-8")
    assert path.is_file(), f"no {path.name}: run with UPDATE_GOLDEN=1"
    assert output == path.read_text(encoding="utf-8")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from `tmp_path`, so the CLI prints short relative paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def broken_finance(cwd: Path) -> Path:
    """policies/finance and its tests copied to `finance/`, with `outside_mail` flipped:
    `unless` the address is in acme.com becomes `when` it is."""
    folder = cwd / "finance"
    folder.mkdir()
    for name in ("finance.rail", "tools.json", "finance.test.yaml"):
        shutil.copy(POLICIES / "finance" / name, folder / name)
    rail = folder / "finance.rail"
    text = rail.read_text(encoding="utf-8")
    flipped = text.replace(
        "escalate call send_email\n      unless args.to matches",
        "escalate call send_email\n      when args.to matches",
    )
    assert flipped != text
    rail.write_text(flipped, encoding="utf-8")
    return folder


# ---- the acceptance points ----------------------------------------------------------------


def test_the_bundled_policies_pass_with_full_rule_coverage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    result = run("policies/", "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert re.search(r"^(\d+) of \1 rules covered \(100%\)$", result.output, re.M), result.output
    assert re.search(r"= \d+ passed in ", result.output)
    assert "F" not in "".join(
        line.split(" ", 1)[1] for line in result.output.splitlines() if ".test.yaml " in line
    )


def test_every_bundled_policy_folder_has_a_test_file() -> None:
    folders = sorted({p.parent for p in POLICIES.rglob("*.rail")})
    missing = [f.name for f in folders if not list(f.glob("*.test.yaml"))]
    assert not missing


def test_a_broken_policy_fails_with_a_readable_diff(cwd: Path) -> None:
    broken_finance(cwd)
    result = run("finance", "--coverage")
    assert result.exit_code == 1
    check_golden("broken_finance.expected", stable(result.output))


def test_json_format(cwd: Path) -> None:
    broken_finance(cwd)
    result = run("finance", "--format", "json", "--min-coverage", "100")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["summary"]["failed"] == 4
    assert doc["summary"]["passed"] == doc["summary"]["cases"] - 4
    assert doc["summary"]["ok"] is False
    failed = [c for c in doc["cases"] if not c["passed"]]
    assert [c["name"] for c in failed] == [
        "mail inside acme.com",
        "mail outside acme.com needs approval",
        "a lookalike domain needs approval",
        "a hidden bcc",
    ]
    first = failed[0]
    assert first["file"] == "finance/finance.test.yaml"
    assert first["expected"] == {"decision": "allow"}
    assert first["actual"] == {"decision": "escalate"}
    assert "-decision: allow\n+decision: escalate" in first["diff"]
    assert first["verdict"]["violations"][0]["rule"] == "finance.outside_mail"
    assert "expected" not in next(c for c in doc["cases"] if c["passed"])
    assert doc["coverage"]["rules"] == 18
    assert doc["coverage"]["percent"] == 100.0
    assert doc["coverage"]["ok"] is True


def test_json_format_of_a_passing_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("policies/finance", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["summary"]["failed"] == 0
    assert doc["summary"]["ok"] is True
    assert doc["coverage"]["uncovered"] == []


# ---- coverage -------------------------------------------------------------------------------


def test_coverage_lists_each_uncovered_rule_with_its_location_and_why(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    result = run("shop", "--coverage")
    assert result.exit_code == 0, result.output
    assert stable(result.output) == (
        "shop/shop.test.yaml ..\n"
        "\n"
        "-------------------------------- rule coverage ---------------------------------\n"
        "2 of 4 rules covered (50%)\n"
        "shop/shop.rail:10:3: `shop.note_refunds` (warn) is not covered: its condition never held in the cases that reached it\n"
        "shop/shop.rail:13:3: `shop.rule_4` (redact) is not covered: no case sends an `output` event\n"
        "============================== 2 passed in 0.00s ===============================\n"
    )


def test_min_coverage_fails_the_run_when_under(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    result = run("shop", "--min-coverage", "100")
    assert result.exit_code == 1
    assert "FAIL: rule coverage 50% is under the minimum of 100%" in result.output
    assert "= 2 passed, coverage under the minimum in 0.00s =" in stable(result.output)
    assert run("shop", "--min-coverage", "50").exit_code == 0


def test_a_redact_rule_is_covered_only_when_it_rewrites(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(
        cwd / "shop" / "shop.test.yaml",
        SHOP_TESTS
        + """\
  - name: an answer without a code
    event: {kind: output, content: nothing to hide}
    decision: allow
  - name: a refund
    event: {kind: call, tool: order, args: {quantity: 1, refund: true}}
    decision: allow
    warnings: [shop.note_refunds]
""",
    )
    result = run("shop", "--coverage")
    assert "`shop.rule_4` (redact) is not covered: it matched but never rewrote anything" in (
        result.output
    )
    write(
        cwd / "shop" / "more.test.yaml",
        """\
policies: [shop.rail]
cases:
  - name: a code is masked
    event: {kind: output, content: "code 1234-5678"}
    decision: allow
    content: code <CODE>
""",
    )
    result = run("shop", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "4 of 4 rules covered (100%)" in result.output


def test_history_does_not_count_toward_coverage(cwd: Path) -> None:
    write(
        cwd / "p" / "p.rail",
        """\
policy p {
  label seen result fetch
  rule after:
    deny call post when session.labeled("seen")
}
""",
    )
    write(
        cwd / "p" / "p.test.yaml",
        """\
cases:
  - name: post after a fetch
    history:
      - event: {kind: result, tool: fetch, session: s, content: page}
    event: {kind: call, tool: post, session: s, args: {}}
    decision: deny
    violations: [p.after]
""",
    )
    result = run("p", "--coverage")
    assert result.exit_code == 0, result.output
    assert "`p.rule_1` (label) is not covered: no case sends a `result` event for `fetch`" in (
        result.output
    )


def test_a_policy_file_no_test_loads_counts_as_uncovered(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    write(cwd / "other" / "other.rail", 'policy other {\n  deny input when content == "x"\n}\n')
    result = run(".", "--coverage")
    assert (
        "other/other.rail:2:3: `other.rule_1` (deny) is not covered: no test file loads its policy"
        in result.output
    )
    assert "2 of 5 rules covered (40%)" in result.output


def test_a_default_deny_allow_rule_counts_when_a_call_reaches_it(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(
        cwd / "shop" / "shop.test.yaml",
        """\
cases:
  - name: an unknown tool
    event: {kind: call, tool: refund, args: {}}
    decision: deny
    violations: [shop.default]
""",
    )
    result = run("shop", "--coverage")
    assert (
        "`shop.rule_1` (allow) is not covered: no case sends a `call` event for `order`, `search`"
        in result.output
    )


# ---- the file format ---------------------------------------------------------------------------


def test_an_inline_policy_reports_locations_in_the_test_file(cwd: Path) -> None:
    write(
        cwd / "inline.test.yaml",
        """\
policy: |
  policy inline {
    rule never:
      deny input when content == "never"
  }
cases:
  - name: hello
    event: {kind: input, content: hello}
    decision: allow
""",
    )
    result = run("inline.test.yaml", "--coverage")
    assert result.exit_code == 0
    assert "inline.test.yaml:3:5: `inline.never` (deny) is not covered" in result.output


def test_a_json_test_file(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(
        cwd / "shop" / "shop.test.json",
        json.dumps(
            {
                "cases": [
                    {
                        "name": "a big order",
                        "event": {"kind": "call", "tool": "order", "args": {"quantity": 500}},
                        "decision": "deny",
                        "messages": {"shop.big_order": "orders of 500 need a person"},
                    }
                ]
            },
            indent=2,
        ),
    )
    result = run("shop")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("shop/shop.test.json .\n")


def test_a_rewritten_text_diffs_line_by_line(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(
        cwd / "shop" / "shop.test.yaml",
        """\
cases:
  - name: codes are masked
    event: {kind: output, content: "first 1234-5678\\nsecond\\nthird 8765-4321"}
    decision: allow
    content: "first <CODE>\\nsecond\\nthird 8765-4321"
""",
    )
    result = run("shop")
    assert result.exit_code == 1
    assert (
        "--- expected\n"
        "+++ actual\n"
        " decision: allow\n"
        " content: |-\n"
        "   first <CODE>\n"
        "   second\n"
        "-  third 8765-4321\n"
        "+  third <CODE>\n"
    ) in result.output


def test_verbose_lists_every_case(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    result = run("shop", "-v")
    assert result.output.startswith(
        "shop/shop.test.yaml::a small order PASSED\nshop/shop.test.yaml::a big order PASSED\n"
    )


# ---- usage errors: exit 2 ------------------------------------------------------------------


def usage_error(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr


def test_a_missing_path(cwd: Path) -> None:
    assert usage_error("nowhere") == "nowhere: error: `nowhere` does not exist\n"


def test_a_folder_without_test_files(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    assert "shop: error: no test files under `shop`" in usage_error("shop")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cases:\n  - name: x\n    event: {kind: call, tool: order, args: {}\n",
            "shop.test.yaml:4:1: error: not valid YAML or JSON: expected ',' or '}', but got '<stream end>'",
        ),
        ("- a list\n", "shop.test.yaml:1:1: error: a test file is a mapping with `cases`"),
        (
            "cases:\n  - name: x\n    event: {kind: call, tool: order, args: {}}\n    decison: deny\n",
            "shop.test.yaml:4:5: error: unknown key `decison` in a case; did you mean `decision`?",
        ),
        (
            "cases:\n  - name: x\n    event: {kind: call, tool: order, args: {}}\n",
            "shop.test.yaml:2:5: error: case 1 has no `decision`",
        ),
        (
            "cases:\n  - name: x\n    event: {kind: call, tool: order, args: {}}\n    decision: block\n",
            "shop.test.yaml:4:5: error: `decision` is one of allow, deny, escalate, got `block`",
        ),
        (
            "cases:\n  - name: x\n    event: {kind: call, args: {}}\n    decision: deny\n",
            "shop.test.yaml:3:12: error: not a valid event: ",
        ),
        (
            "cases:\n  - name: x\n    event: {kind: input, content: a}\n    decision: allow\n"
            "  - name: x\n    event: {kind: input, content: b}\n    decision: allow\n",
            "shop.test.yaml:5:5: error: two cases are named `x` (the other is on line 2)",
        ),
        (
            "cases:\n  - name: x\n    event: {kind: input, content: a}\n    decision: allow\n    violations: shop.big_order\n",
            "shop.test.yaml:5:5: error: `violations` must be a list of rule ids",
        ),
        ("cases: []\n", "shop.test.yaml:1:1: error: `cases` must be a non-empty list of cases"),
        (
            "policies: [missing.rail]\ncases:\n  - name: x\n    event: {kind: input, content: a}\n    decision: allow\n",
            "shop.test.yaml: error: policy path `shop/missing.rail` does not exist",
        ),
    ],
    ids=[
        "yaml",
        "not a mapping",
        "unknown key",
        "no decision",
        "bad decision",
        "bad event",
        "duplicate names",
        "rule list",
        "no cases",
        "missing policy",
    ],
)
def test_a_malformed_test_file(cwd: Path, text: str, message: str) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", text)
    assert "shop/" + message in usage_error("shop")


def test_a_policy_that_does_not_compile(cwd: Path) -> None:
    write(
        cwd / "shop" / "shop.rail", "policy shop {\n  deny call order when args.quantity = 100\n}\n"
    )
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    err = usage_error("shop")
    assert err.startswith(
        "shop/shop.test.yaml: error: the policy under test does not compile:\n"
        "shop/shop.rail:2:38: error[RG102]: unexpected character `=`\n"
    )


def test_every_problem_is_reported_before_exiting(cwd: Path) -> None:
    write(cwd / "a" / "a.test.yaml", "cases: []\n")
    write(cwd / "b" / "b.test.yaml", "cases: 3\n")
    err = usage_error("a", "b")
    assert err.count("error:") == 2


def test_no_test_file_is_run_when_one_is_malformed(cwd: Path) -> None:
    write(cwd / "shop" / "shop.rail", SHOP)
    write(cwd / "shop" / "shop.test.yaml", SHOP_TESTS)
    write(cwd / "shop" / "bad.test.yaml", "cases: 3\n")
    assert "bad.test.yaml:1:1: error:" in usage_error("shop")
