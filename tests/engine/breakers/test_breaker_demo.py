"""`make demo`'s second trace: a breaker opens, a fallback is offered, and the breaker closes
again; and the ready policy `policies/flaky-tools` passes its own tests, lint and fmt."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from click.testing import CliRunner

from railguard.cli import main as cli

ROOT = Path(__file__).resolve().parents[3]


def test_demo_trace_shows_open_fallback_and_close(capsys: pytest.CaptureFixture[str]) -> None:
    run_trace = runpy.run_path(str(ROOT / "examples" / "run_trace.py"))
    code = run_trace["main"](
        [str(ROOT / "examples" / "flaky_trace.jsonl"), "-p", str(ROOT / "policies" / "flaky-tools")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "breaker flaky_tools.breaker.run_sql: closed -> open" in out
    assert "fallback: run_sql_replica" in out
    assert "breaker flaky_tools.breaker.run_sql: open -> half_open" in out
    assert "breaker flaky_tools.breaker.run_sql: half_open -> closed" in out
    assert out.index("closed -> open") < out.index("fallback") < out.index("half_open -> closed")


@pytest.mark.parametrize(
    "args",
    [
        ["test", "policies/flaky-tools", "--coverage", "--min-coverage", "100"],
        ["lint", "--strict", "policies/flaky-tools"],
        ["fmt", "--check", "policies/flaky-tools"],
    ],
)
def test_ready_policy_is_clean(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
