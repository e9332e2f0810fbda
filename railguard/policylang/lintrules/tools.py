"""Checks against the tool catalog (`tools from`): tool names and argument paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from railguard.engine.rules import glob_match
from railguard.policylang import ast
from railguard.policylang.diagnostics import Severity, did_you_mean
from railguard.policylang.lintrules.base import (
    PolicyContext,
    Reporter,
    any_tool,
    lint_rule,
    rule_exprs,
)
from railguard.policylang.span import Span


@lint_rule(
    "RG301",
    "unknown-tool",
    "bugs",
    Severity.ERROR,
    bad="""policy mail {
  default deny
  tools from "tools.json"
  allow call send_emial
}""",
    good="""policy mail {
  default deny
  tools from "tools.json"
  allow call send_email
}""",
)
def unknown_tool(ctx: PolicyContext, report: Reporter) -> None:
    """A rule names a tool the policy's catalog does not have (a glob: matches none)."""
    if not ctx.catalog:
        return
    names = sorted(ctx.catalog)
    where_ = ", ".join(f"`{f}`" for f in ctx.catalog_files)
    for rule in ctx.rules:
        for tool in rule.tools:
            if tool.pattern == "*" and not tool.quoted:
                continue
            if tool.is_glob:
                if not any(glob_match(tool.pattern, n) for n in names):
                    report(
                        f"`{tool.pattern}` matches no tool in the catalog {where_}",
                        tool.span,
                        help="the rule can never apply; check the pattern",
                        severity=Severity.WARNING,
                    )
            elif tool.pattern not in ctx.catalog:
                report(
                    f"tool `{tool.pattern}` is not in the catalog {where_}",
                    tool.span,
                    help=did_you_mean(tool.pattern, names)
                    or "add the tool to the catalog, or fix the name",
                )


@lint_rule(
    "RG305",
    "unknown-argument",
    "bugs",
    Severity.ERROR,
    bad="""policy mail {
  tools from "tools.json"
  rule outside:
    escalate call send_email
      unless args.recipient matches /@acme\\.com$/
      message "mail outside acme.com needs approval"
}""",
    good="""policy mail {
  tools from "tools.json"
  rule outside:
    escalate call send_email
      unless args.to matches /@acme\\.com$/
      message "mail outside acme.com needs approval"
}""",
)
def unknown_argument(ctx: PolicyContext, report: Reporter) -> None:
    """A rule reads `args.x` where no targeted tool's parameter schema has `x`."""
    if not ctx.catalog:
        return
    for rule in ctx.rules:
        if rule.kind != "call":
            continue
        tools = _targeted(ctx, rule)
        if not tools:
            continue  # every name is unknown: RG301 says so
        for expr in rule_exprs(rule):
            for steps in _arg_paths(expr):
                problem = _check_path(ctx, tools, steps)
                if problem is not None:
                    report(*problem)


def _targeted(ctx: PolicyContext, rule: ast.Rule) -> list[str]:
    if any_tool(rule):
        return sorted(ctx.catalog)
    out = []
    for name in sorted(ctx.catalog):
        for t in rule.tools:
            if (
                glob_match(t.pattern, name) if t.is_glob else t.pattern == name
            ) and name not in out:
                out.append(name)
    return out


Step = tuple[str | int | None, Span]  # a key, an index, or None for a computed index


def _arg_paths(expr: ast.Expr) -> Iterator[list[Step]]:
    """Every path into `args` (`args.to`, `args.items[0].id`), as its steps."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Attr | ast.Index):
            steps: list[Step] = []
            cur: Any = node
            while isinstance(cur, ast.Attr | ast.Index):
                if isinstance(cur, ast.Attr):
                    steps.append((cur.name, cur.span))
                else:
                    key = cur.index.value if isinstance(cur.index, ast.Literal) else None
                    ok = type(key) in (str, int)
                    steps.append((key if ok else None, cur.span))  # type: ignore[arg-type]
                    stack.append(cur.index)
                cur = cur.obj
            if isinstance(cur, ast.Name) and cur.name == "args":
                yield list(reversed(steps))
            else:
                stack.append(cur)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(_children(node))
        elif isinstance(node, tuple):
            stack.extend(node)


def _children(node: Any) -> list[Any]:
    return [getattr(node, f) for f in node.__dataclass_fields__ if f != "span"]


def _check_path(
    ctx: PolicyContext, tools: list[str], steps: list[Step]
) -> tuple[str, Span, str | None] | None:
    """None when some targeted tool's schema has the path, else what to report."""
    worst: tuple[int, list[str]] | None = None
    for name in tools:
        failed = _walk(ctx.catalog[name].parameters, steps)
        if failed is None:
            return None
        if worst is None or failed[0] > worst[0]:
            worst = failed
    assert worst is not None
    index, known = worst
    key, span = steps[index]
    path = "args" + "".join(
        f".{k}" if isinstance(k, str) else f"[{k}]" for k, _ in steps[: index + 1]
    )
    owners = ", ".join(f"`{t}`" for t in tools[:5]) + (", ..." if len(tools) > 5 else "")
    noun = "tool" if len(tools) == 1 else "tools"
    hint = did_you_mean(str(key), known)
    if hint is None and known:
        hint = "the parameters are " + ", ".join(f"`{k}`" for k in known[:10])
    return f"`{path}` is not a parameter of the {noun} {owners}", span, hint


def _walk(schema: Any, steps: list[Step]) -> tuple[int, list[str]] | None:
    """The index of the first step the schema does not allow, with the keys it knows."""
    for i, (key, _) in enumerate(steps):
        if not isinstance(schema, dict) or key is None:
            return None
        if isinstance(key, int):
            schema = schema.get("items")
            continue
        props = schema.get("properties")
        if not isinstance(props, dict):
            return None  # not an object schema with declared properties: nothing to check
        if key in props:
            schema = props[key]
            continue
        extra = schema.get("additionalProperties")
        if extra not in (None, False) or "patternProperties" in schema:
            return None
        return i, sorted(props)
    return None
