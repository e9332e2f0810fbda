"""Breakers and fallbacks: tools the catalog lacks, fallbacks the policy never allows."""

from __future__ import annotations

from collections.abc import Iterator

from railguard.engine.rules import glob_match
from railguard.policylang import ast
from railguard.policylang.diagnostics import Severity, did_you_mean
from railguard.policylang.lintrules.base import PolicyContext, Reporter, lint_rule


def _fallbacks(ctx: PolicyContext) -> Iterator[ast.ToolPattern]:
    for rule in ctx.rules:
        yield from rule.fallback
    for breaker in ctx.policy.breakers:
        option = breaker.option("fallback")
        if option is not None:
            yield from (v for v in option.values if isinstance(v, ast.ToolPattern))


@lint_rule(
    "RG317",
    "unknown-fallback-tool",
    "bugs",
    Severity.ERROR,
    bad="""policy db {
  default deny
  tools from "tools.json"
  allow call run_sql, search
  breaker run_sql: open after 5 failures within "60s" for "30s" fallback serach
}""",
    good="""policy db {
  default deny
  tools from "tools.json"
  allow call run_sql, search
  breaker run_sql: open after 5 failures within "60s" for "30s" fallback search
}""",
)
def unknown_fallback_tool(ctx: PolicyContext, report: Reporter) -> None:
    """A fallback, or a breaker's tool, that the policy's catalog does not have."""
    if not ctx.catalog:
        return
    names = sorted(ctx.catalog)
    where_ = ", ".join(f"`{f}`" for f in ctx.catalog_files)
    for tool in _fallbacks(ctx):
        if not tool.is_glob and tool.pattern not in ctx.catalog:
            report(
                f"fallback `{tool.pattern}` is not in the catalog {where_}",
                tool.span,
                help=did_you_mean(tool.pattern, names) or "fix the name, or add the tool",
            )
    for breaker in ctx.policy.breakers:
        for tool in breaker.tools:
            if tool.pattern == "*" and not tool.quoted:
                continue
            if tool.is_glob:
                known = any(glob_match(tool.pattern, n) for n in names)
            else:
                known = tool.pattern in ctx.catalog
            if not known:
                report(
                    f"the breaker's tool `{tool.pattern}` is not in the catalog {where_}",
                    tool.span,
                    help=did_you_mean(tool.pattern, names) or "the breaker never sees a call",
                )


@lint_rule(
    "RG318",
    "fallback-never-allowed",
    "bugs",
    Severity.WARNING,
    bad="""policy db {
  default deny
  allow call run_sql
  breaker run_sql: open after 5 failures within "60s" for "30s" fallback run_sql_replica
}""",
    good="""policy db {
  default deny
  allow call run_sql, run_sql_replica
  breaker run_sql: open after 5 failures within "60s" for "30s" fallback run_sql_replica
}""",
)
def fallback_never_allowed(ctx: PolicyContext, report: Reporter) -> None:
    """A fallback that no `allow` rule of a `default deny` policy allows is never offered."""
    default = ctx.setting("default")
    if default is None or default.value != "deny":
        return
    allows = [r for r in ctx.rules if r.effect == "allow" and r.kind == "call"]
    for tool in _fallbacks(ctx):
        if tool.is_glob or (ctx.catalog and tool.pattern not in ctx.catalog):
            continue  # a tool the catalog lacks is RG317's
        if not any(_targets(rule, tool.pattern) for rule in allows):
            report(
                f"fallback `{tool.pattern}` is never offered: no rule allows it",
                tool.span,
                help=f"add `allow call {tool.pattern}`, or drop the fallback",
            )


def _targets(rule: ast.Rule, tool: str) -> bool:
    if not rule.tools:
        return True
    return any(
        (t.pattern == "*" and not t.quoted)
        or (glob_match(t.pattern, tool) if t.is_glob else t.pattern == tool)
        for t in rule.tools
    )
