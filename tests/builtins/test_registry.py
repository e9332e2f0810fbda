"""The builtin registry is complete: every entry is described, has working examples and a
case file, and `docs/builtins.md` is the registry's rendering (CONVENTIONS.md points 1, 11).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import railguard
from railguard.builtins.reference import render_markdown
from railguard.builtins.registry import BuiltinSpec, registry

ROOT = Path(__file__).resolve().parent.parent.parent
# Examples may name the tool catalog's tools and the test models (`schema.args`, `schema.model`).
EXAMPLE_TOOLS = ROOT / "tests" / "builtins" / "schema" / "fixtures" / "tools.json"
EXAMPLE_IMPORTS = ("tests.builtins.schema.models",)
CASES_DIR = ROOT / "tests" / "cases"
DOCS = ROOT / "docs" / "builtins.md"
MIN_CASES = 3

SPECS = sorted(registry().values(), key=lambda s: s.name)


def _ids(spec: BuiltinSpec) -> str:
    return spec.name


def test_the_registry_is_not_empty() -> None:
    assert len(SPECS) >= 20


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_summary_and_descriptions(spec: BuiltinSpec) -> None:
    assert spec.summary.strip(), f"`{spec.name}` has no summary (the docstring's first line)"
    for param in spec.params:
        assert param.description.strip(), f"`{spec.name}`: parameter `{param.name}` is undescribed"
    assert spec.returns, f"`{spec.name}` has no return type"


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_examples_compile(spec: BuiltinSpec) -> None:
    assert spec.examples, f"`{spec.name}` has no example"
    for example in spec.examples:
        assert re.search(re.escape(spec.name) + r"\s*\(", example), (
            f"the example `{example}` of `{spec.name}` does not call it"
        )
        tools = f'  tools from "{EXAMPLE_TOOLS.as_posix()}"\n'
        if spec.kind == "redactor":
            texts = [f"policy examples {{\n{tools}  {example}\n}}\n"]
        else:
            # An example reads `args` (call events) or `content` (the other kinds).
            texts = [
                f"policy examples {{\n{tools}  deny {kind} when {example}\n}}\n"
                for kind in ("call t", "output")
            ]
        results = [railguard.check(text, allow_imports=EXAMPLE_IMPORTS) for text in texts]
        assert any(guard is not None for guard, _ in results), (
            f"the example `{example}` of `{spec.name}` does not compile:\n"
            + "\n".join(str(d) for _, diagnostics in results for d in diagnostics)
        )


@pytest.mark.parametrize("spec", SPECS, ids=_ids)
def test_case_file(spec: BuiltinSpec) -> None:
    path = CASES_DIR / spec.name / "cases.yaml"
    assert path.is_file(), f"`{spec.name}` has no case file at {path.relative_to(ROOT)}"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(doc["cases"]) >= MIN_CASES, f"{path}: fewer than {MIN_CASES} cases"
    policy = doc["policy"]
    assert re.search(re.escape(spec.name) + r"\s*\(", policy), f"{path}: the policy never calls it"
    # both outcomes are exercised: at least one case allows and one denies or escalates
    decisions = {case["decision"] for case in doc["cases"]}
    assert "allow" in decisions and decisions - {"allow"}, f"{path}: only {decisions}"


def test_every_case_folder_names_a_builtin() -> None:
    folders = {p.name for p in CASES_DIR.iterdir() if p.is_dir()}
    assert folders - set(registry()) == set(), "case folders for builtins that do not exist"


def test_docs_are_the_rendered_registry() -> None:
    assert DOCS.is_file(), "run `railguard builtins --format markdown > docs/builtins.md`"
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/builtins.md is stale: run `railguard builtins --format markdown > docs/builtins.md`"
    )


def test_every_builtin_is_in_the_docs() -> None:
    text = render_markdown()
    for spec in SPECS:
        assert f"### `{spec.name}`" in text
        assert spec.signature in text
