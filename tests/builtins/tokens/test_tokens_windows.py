"""The context-window table: lookups by version and prefix, and policy table files."""

from __future__ import annotations

from pathlib import Path

import pytest

import railguard
from railguard.builtins.registry import EvalError, LoadContext, LoadError
from railguard.builtins.tokens import window
from railguard.builtins.tokens.windows import WINDOWS, load_table, lookup

BUILTIN = load_table(None, LoadContext(Path(".")))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4o-2024-08-06", 128_000),
        ("gpt-4o-mini-2024-07-18", 128_000),
        ("gpt-4-0613", 8_192),
        ("gpt-4-32k-0613", 32_768),
        ("gpt-4.1-mini", 1_047_576),
        ("openai/gpt-4o", 128_000),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", 200_000),
        ("Claude-3-5-Sonnet@20240620", 200_000),
        ("gpt-4.5-preview", None),  # not `gpt-4`: a dot does not start a version suffix
        ("gpt-4oops", None),
    ],
)
def test_lookup(model: str, expected: int | None) -> None:
    assert lookup(model, BUILTIN) == expected


def test_every_window_is_positive() -> None:
    assert all(type(v) is int and v > 0 for v in WINDOWS.values())


def test_share_and_unknown_models() -> None:
    assert window("gpt-4", BUILTIN, share=0.9) == 7372
    with pytest.raises(EvalError, match="no context window is known for model `x-1`"):
        window("x-1", BUILTIN)
    with pytest.raises(EvalError, match="share"):
        window("gpt-4", BUILTIN, share=1.5)


def test_a_table_file_extends_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("My-Finetune: 32000\ngpt-4o: 64000\n")
    table = load_table("w.yaml", LoadContext(tmp_path))
    assert lookup("my-finetune-v3", table) == 32_000
    assert lookup("gpt-4o", table) == 64_000
    assert lookup("gpt-4", table) == 8_192


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the window table"),
        ("[1, 2]", "must be an object"),
        ("m: -3", "positive whole numbers"),
        ("m: [", "not valid JSON or YAML"),
    ],
)
def test_bad_table_files_are_compile_errors(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "w.yaml").write_text(content)
    policy = tmp_path / "p.rail"
    policy.write_text(
        'policy p {\n  deny input when tokens.window(context.model, table: "w.yaml") < 10\n}\n'
    )
    guard, diagnostics = railguard.check(policy)
    assert guard is None
    assert [d.code for d in diagnostics] == ["RG240"]
    assert message in diagnostics[0].message
    with pytest.raises(LoadError):
        load_table("w.yaml", LoadContext(tmp_path))
