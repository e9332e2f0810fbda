"""`railguard drift` end to end, with the issue's acceptance on synthetic logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from railguard.cli import main
from railguard.engine.drift import drift
from railguard.engine.drift.report import parse_fail_on, threshold_for
from railguard.engine.drift.synth import write_log

OLD, NEW = "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"
MOVED = "finance.read_only_sql"
LATER = 1_794_000_000.0  # the candidate's records start a day after the baseline's


@pytest.fixture
def moved(tmp_path: Path) -> list[Path]:
    """2,000 events per model; one deny rule's match rate moves from 2% to 9%."""
    return [
        write_log(tmp_path / "old.jsonl", OLD, 2000, 1, rates={MOVED: 0.02}),
        write_log(tmp_path / "new.jsonl", NEW, 2000, 2, rates={MOVED: 0.09}, start=LATER),
    ]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["drift", *args])
    return result.exit_code, result.output


def test_flags_exactly_the_moved_rule_and_its_decision_rate(moved: list[Path]) -> None:
    code, out = _run(*map(str, moved), "--format", "json")
    assert code == 1, out
    report = json.loads(out)
    assert set(report["changed"]) == {f"rule:{MOVED}", "decision:deny"}
    assert report["changed"][0] == f"rule:{MOVED}"  # the larger effect first
    assert report["baseline"]["selector"] == f"model={OLD}"
    assert report["candidate"]["selector"] == f"model={NEW}"
    rule = next(m for m in report["metrics"] if m["id"] == f"rule:{MOVED}")
    assert rule["baseline"]["total"] == rule["candidate"]["total"] == 2000
    assert 0.01 < rule["baseline"]["value"] < 0.03 and 0.075 < rule["candidate"]["value"] < 0.105
    assert rule["ci_low"] < rule["diff"] < rule["ci_high"] and rule["ci_low"] > 0.04
    assert rule["q"] < 1e-10 and rule["fails"]
    groups = {m["group"] for m in report["metrics"]}
    assert {
        "decision",
        "rule",
        "tool",
        "kind",
        "schema",
        "findings",
        "errors",
        "redactions",
        "output_length",
    } <= groups


def test_same_distribution_flags_at_most_5_of_100_pairs(tmp_path: Path) -> None:
    flagged = []
    for k in range(100):
        a = write_log(tmp_path / "a.jsonl", OLD, 2000, 2 * k)
        b = write_log(tmp_path / "b.jsonl", NEW, 2000, 2 * k + 1, start=LATER)
        report = drift([a, b])
        if report.changed:
            flagged.append((k, [m.id for m in report.changed]))
    print(f"{len(flagged)} of 100 pairs flagged: {flagged}")
    assert len(flagged) <= 5, flagged


def test_table_and_markdown(moved: list[Path]) -> None:
    code, out = _run(*map(str, moved))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"baseline: model={OLD}: 2000 events")
    assert "metrics compared, 2 changed" in lines[2]
    table = [line for line in lines if line.startswith(("rule:", "decision:"))]
    assert [t.split()[0] for t in table] == [f"rule:{MOVED}", "decision:deny"]
    assert all(t.endswith("FAIL") for t in table)
    code, md = _run(*map(str, moved), "--format", "markdown", "--all")
    assert md.startswith("# Drift report\n")
    assert f"| rule:{MOVED} |" in md and "| tool:run_sql |" in md and "| output_length |" in md


def test_fail_on_thresholds(moved: list[Path]) -> None:
    files = list(map(str, moved))
    assert _run(*files, "--fail-on", "0.05")[0] == 1  # both moved by ~7-8 points
    assert _run(*files, "--fail-on", "0.10")[0] == 0  # changed, but under the bar
    assert _run(*files, "--fail-on", "0.10", "--fail-on", "rule:*=0.05")[0] == 1
    assert _run(*files, "--fail-on", "rule:*=none", "--fail-on", "decision:*=none")[0] == 0
    code, out = _run(*files, "--fail-on", "lots")
    assert code == 2 and "expected a number" in out
    th = parse_fail_on(["0.02", "rule:*=0.01", "rule:finance.*=none"])
    assert threshold_for("tool:x", th) == 0.02
    assert threshold_for("rule:other", th) == 0.01
    assert threshold_for("rule:finance.x", th) is None
    assert threshold_for("tool:x", []) == 0.0


def test_selectors_on_the_command_line(tmp_path: Path, moved: list[Path]) -> None:
    files = list(map(str, moved))
    code, out = _run(
        *files,
        "--baseline",
        "time<2026-11-06",
        "--candidate",
        "time>=2026-11-06",
        "--format",
        "json",
    )
    assert code == 1
    assert set(json.loads(out)["changed"]) == {f"rule:{MOVED}", "decision:deny"}
    # the same model on both sides: nothing changes
    code, out = _run(
        *files, "--baseline", f"model={OLD},kind=call", "--candidate", f"model={OLD},kind=call"
    )
    assert code == 0, out
    assert "0 changed" in out
    assert "1 records match both selectors" not in out and "records match both selectors" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--baseline", "model=x"], "both --baseline and --candidate"),
        (["--baseline", "colour=red", "--candidate", "model=x"], "`colour` is not a field"),
        (["--baseline", "model=nope", "--candidate", f"model={NEW}"], "holds no records"),
    ],
)
def test_usage_errors_exit_2(moved: list[Path], args: list[str], says: str) -> None:
    code, out = _run(*map(str, moved), *args)
    assert code == 2 and says in out


def test_three_models_need_selectors(tmp_path: Path, moved: list[Path]) -> None:
    third = write_log(tmp_path / "third.jsonl", "o3-mini", 100, 9)
    code, out = _run(*map(str, moved), str(third))
    assert code == 2
    assert "found 3" in out and "--baseline EXPR --candidate EXPR" in out


def test_no_change_exits_0(tmp_path: Path) -> None:
    a = write_log(tmp_path / "a.jsonl", OLD, 1000, 11)
    b = write_log(tmp_path / "b.jsonl", NEW, 1000, 12, start=LATER)
    code, out = _run(str(a), str(b))
    assert code == 0, out
    assert "0 changed" in out
