"""What a lint rule is, what it sees (`PolicyContext`) and how it reports (`Reporter`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from railguard.engine.rules import glob_match
from railguard.policylang import ast
from railguard.policylang.catalog import Tool
from railguard.policylang.codes import CODES
from railguard.policylang.diagnostics import Diagnostics, Severity
from railguard.policylang.span import Span

CATEGORIES = ("bugs", "security", "style")


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """One loaded policy as lint sees it: its own rules followed by those of its includes
    (which is what the compiler compiles), and what the whole linted set shares."""

    policy: ast.Policy
    rules: tuple[ast.Rule, ...]
    settings: tuple[ast.Setting, ...]  # the policy's own, which are the ones that apply
    included_settings: tuple[ast.Setting, ...]  # those of included files (ignored by the compiler)
    included: Mapping[str, list[ast.Policy]]  # include argument -> the policies it brought
    catalog: Mapping[str, Tool]
    catalog_files: tuple[str, ...]
    folded: Mapping[Span, bool]  # condition span -> whether it always holds
    labels: frozenset[str]  # every label a `label` rule of the linted set attaches

    def setting(self, name: str) -> ast.Setting | None:
        return next((s for s in self.settings if s.name == name), None)

    def unconditional(self, rule: ast.Rule) -> bool:
        """True when the rule has no condition, or only ones that always hold."""
        return all(self.folded.get(c.span) is True for c in rule.conditions)


def where(rule: ast.Rule) -> Span:
    """Where a finding about a whole rule points: its name, else its target."""
    return rule.name_span if rule.name is not None else rule.target_span


def at(span: Span, here: Span) -> str:
    """`line 3` for a place in the file of `here`, else `file:line:col`."""
    return f"line {span.line}" if span.file == here.file else str(span)


def any_tool(rule: ast.Rule) -> bool:
    return not rule.tools or any(t.pattern == "*" and not t.quoted for t in rule.tools)


def covers_tool(rule: ast.Rule, tool: ast.ToolPattern) -> bool:
    """Whether every tool `tool` names is also targeted by `rule`."""
    if any_tool(rule):
        return True
    if tool.is_glob:
        return any(t.is_glob and t.pattern == tool.pattern for t in rule.tools)
    return any(
        glob_match(t.pattern, tool.pattern) if t.is_glob else t.pattern == tool.pattern
        for t in rule.tools
    )


def covers(a: ast.Rule, b: ast.Rule) -> bool:
    """Whether rule `a` targets every event rule `b` targets (kind and tools)."""
    if a.kind != b.kind:
        return False
    if any_tool(a):
        return True
    if any_tool(b):
        return False
    return all(covers_tool(a, t) for t in b.tools)


def rule_exprs(rule: ast.Rule) -> list[ast.Expr]:
    return [c.expr for c in rule.conditions] + ([rule.redactor] if rule.redactor else [])


def nodes(expr: ast.Expr) -> Iterator[Any]:
    """Every node of an expression (iteratively: an expression nested too deep to compile
    must still not overflow the linter's stack)."""
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            yield node
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__ if f != "span")


def calls(expr: ast.Expr) -> Iterator[ast.Call]:
    return (n for n in nodes(expr) if isinstance(n, ast.Call))


def literal_value(expr: ast.Expr) -> Any:
    """The value of a literal, or a list of literals; `MISSING` for anything else."""
    if isinstance(expr, ast.Literal):
        return expr.value
    if isinstance(expr, ast.ListLit | ast.SetLit):
        items = [v.value for v in expr.items if isinstance(v, ast.Literal)]
        return items if len(items) == len(expr.items) else MISSING
    return MISSING


MISSING: Any = object()


class Reporter:
    """Reports findings of one lint rule at its default severity."""

    def __init__(self, rule: LintRule, diags: Diagnostics) -> None:
        self.rule = rule
        self.diags = diags

    def __call__(
        self, message: str, span: Span, help: str | None = None, severity: Severity | None = None
    ) -> None:
        self.diags.add(self.rule.code, message, span, severity or self.rule.severity, help)


Check = Callable[[PolicyContext, Reporter], None]


@dataclass(frozen=True, slots=True)
class LintRule:
    """A lint rule's declaration: what `railguard lint` runs and `docs/lint.md` shows.

    `check` is None for findings reported elsewhere (`reported_by`: the compiler, or a
    builtin's `lint` hook); they are listed so that every finding has its documentation.
    """

    code: str
    name: str
    category: str
    severity: Severity
    bad: str
    good: str
    check: Check | None = field(default=None, compare=False)
    reported_by: str = ""

    @property
    def title(self) -> str:
        return CODES[self.code][0]

    @property
    def explanation(self) -> str:
        return CODES[self.code][1]


RULES: dict[str, LintRule] = {}


def register(rule: LintRule) -> LintRule:
    if rule.code in RULES:
        raise ValueError(f"lint rule {rule.code} is declared twice")
    if rule.code not in CODES:
        raise ValueError(f"lint rule {rule.code} has no entry in codes.py")
    if rule.category not in CATEGORIES:
        raise ValueError(f"lint rule {rule.code}: unknown category {rule.category!r}")
    RULES[rule.code] = rule
    return rule


def lint_rule(
    code: str, name: str, category: str, severity: Severity, *, bad: str, good: str
) -> Callable[[Check], Check]:
    """Declare the lint rule `code` whose check is the decorated function."""

    def decorate(check: Check) -> Check:
        register(LintRule(code, name, category, severity, bad, good, check))
        return check

    return decorate


Pass = Callable[[PolicyContext, Diagnostics], None]
PASSES: list[Pass] = []


def lint_pass(check: Pass) -> Pass:
    """Register a check that reports codes of its own choosing (the builtins' lint hooks),
    each of which is declared as a `LintRule` for its documentation."""
    PASSES.append(check)
    return check
