"""`railguard lint`: every parse and compile error, plus checks for policy bugs that compile.

Each lint check is a function over one policy; it reports with a stable `RG3xx` code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from railguard.engine.rules import glob_match
from railguard.policylang import ast
from railguard.policylang.catalog import Tool
from railguard.policylang.compiler import compile_sources
from railguard.policylang.diagnostics import Diagnostic, Diagnostics, did_you_mean
from railguard.policylang.loader import Source, load_sources, looks_like_text


@dataclass(frozen=True, slots=True)
class PolicyContext:
    policy: ast.Policy
    catalog: dict[str, Tool]
    catalog_files: tuple[str, ...]


Check = Callable[[PolicyContext, Diagnostics], None]
CHECKS: list[Check] = []


def check(func: Check) -> Check:
    CHECKS.append(func)
    return func


def lint(
    sources: str | Path | Iterable[str | Path], config: Mapping[str, Any] | None = None
) -> list[Diagnostic]:
    """Every diagnostic for the given files, folders or policy text, sorted by position.

    `config` is the engine configuration (`railguard.api.engine_config`).
    """
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    paths = [s for s in items if not (isinstance(s, str) and looks_like_text(s))]
    texts = [("<policy>", s) for s in items if isinstance(s, str) and looks_like_text(s)]
    diags = Diagnostics()
    loaded = load_sources(paths, texts, diags)
    compile_sources(loaded, diags, config, prepare=False)
    for ctx in _contexts(loaded):
        for run in CHECKS:
            run(ctx, diags)
    return diags.sorted()


def _contexts(sources: list[Source]) -> Iterator[PolicyContext]:
    for source in sources:
        catalog = {k: v for c in source.catalogs.values() for k, v in c.items()}
        for policy in source.module.policies:
            yield PolicyContext(policy, catalog, tuple(source.catalogs))
            for pairs in source.included.values():
                for included, _ in pairs:
                    yield PolicyContext(included, catalog, tuple(source.catalogs))


@check
def unknown_tool(ctx: PolicyContext, diags: Diagnostics) -> None:
    """RG301: a rule names a tool the policy's catalog (`tools from`) does not have."""
    if not ctx.catalog:
        return
    names = sorted(ctx.catalog)
    where = ", ".join(f"`{f}`" for f in ctx.catalog_files)
    for rule in ctx.policy.rules:
        for tool in rule.tools:
            if tool.pattern == "*" and not tool.quoted:
                continue
            if tool.is_glob:
                if not any(glob_match(tool.pattern, n) for n in names):
                    diags.warning(
                        "RG301",
                        f"`{tool.pattern}` matches no tool in the catalog {where}",
                        tool.span,
                        help="the rule can never apply; check the pattern",
                    )
            elif tool.pattern not in ctx.catalog:
                diags.error(
                    "RG301",
                    f"tool `{tool.pattern}` is not in the catalog {where}",
                    tool.span,
                    help=did_you_mean(tool.pattern, names)
                    or "add the tool to the catalog, or fix the name",
                )


@check
def fail_open(ctx: PolicyContext, diags: Diagnostics) -> None:
    """RG302: `on_error allow` lets a check that crashes or times out wave the event through."""
    for s in ctx.policy.settings:
        if s.name == "on_error" and s.value == "allow":
            diags.warning(
                "RG302",
                f"policy `{ctx.policy.name}` fails open: a check that errors lets the event through",
                s.span,
                help="remove `on_error allow` unless an outage of this check must never block the agent",
            )


@check
def shadow_mode(ctx: PolicyContext, diags: Diagnostics) -> None:
    """RG303: `mode shadow` only reports; nothing in the policy is enforced."""
    for s in ctx.policy.settings:
        if s.name == "mode" and s.value == "shadow":
            diags.warning(
                "RG303",
                f"policy `{ctx.policy.name}` is in shadow mode: its rules only warn",
                s.span,
                help="switch to `mode enforce` once the shadow results look right",
            )


@check
def entity_without_model(ctx: PolicyContext, diags: Diagnostics) -> None:
    """RG304: a `pii` call asks for entities only a spaCy model finds, and none is set up."""
    calls = [
        (call, name)
        for rule in ctx.policy.rules
        for expr in _rule_exprs(rule)
        for call in _calls(expr)
        if (name := ast.dotted_name(call.func) or "").startswith("pii.")
    ]
    if not calls:
        return  # no import of the PII family for policies without it
    from railguard.builtins import pii

    for call, name in calls:
        entities = _constant_argument(call, "entities", 1)
        model = _constant_argument(call, "model", -1)  # by name only: positions differ
        if not isinstance(entities, list) or not (model is None or isinstance(model, str)):
            continue
        missing = pii.ner_entities_without_model(entities, model)
        if missing:
            needs = ", ".join(missing)
            diags.warning(
                "RG304",
                f"`{name}` asks for {needs}, which only a spaCy model finds, and no model "
                "is configured or installed: they will never be found",
                call.span,
                help="install one (`pip install 'railguard[ner]'`) and set `model:` or "
                "RAILGUARD_PII_MODEL, or drop these entities",
            )


def _rule_exprs(rule: ast.Rule) -> list[ast.Expr]:
    return [c.expr for c in rule.conditions] + ([rule.redactor] if rule.redactor else [])


def _calls(expr: ast.Expr) -> Iterator[ast.Call]:
    """Every call in an expression (iteratively: an expression nested too deep to compile
    must still not overflow the linter's stack)."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            if isinstance(node, ast.Call):
                yield node
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__ if f != "span")


def _constant_argument(call: ast.Call, name: str, position: int) -> Any:
    """The argument `name` (or the `position`-th positional one) when it is written as a
    literal string, `null` or a list of strings; None otherwise."""
    for i, arg in enumerate(call.args):
        if arg.name == name or (arg.name is None and i == position):
            value = arg.value
            if isinstance(value, ast.Literal) and isinstance(value.value, str):
                return value.value
            if isinstance(value, ast.ListLit | ast.SetLit):
                items = [v.value for v in value.items if isinstance(v, ast.Literal)]
                return items if len(items) == len(value.items) else None
            return None
    return None
