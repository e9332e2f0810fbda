"""`railguard lint`: every parse and compile error, plus checks for policy bugs that compile.

Each lint check is a function over one policy; it reports with a stable `RG3xx` code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


def lint(sources: str | Path | Iterable[str | Path]) -> list[Diagnostic]:
    """Every diagnostic for the given files, folders or policy text, sorted by position."""
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    paths = [s for s in items if not (isinstance(s, str) and looks_like_text(s))]
    texts = [("<policy>", s) for s in items if isinstance(s, str) and looks_like_text(s)]
    diags = Diagnostics()
    loaded = load_sources(paths, texts, diags)
    compile_sources(loaded, diags)
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
