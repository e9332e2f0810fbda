"""Checks the builtins contribute: each builtin's own `lint` hook (declared beside its code
in `railguard/builtins/`), and the PII family's model check."""

from __future__ import annotations

from typing import Any

from railguard.builtins.registry import BuiltinSpec, LintCall, registry
from railguard.policylang import ast
from railguard.policylang.diagnostics import Diagnostics, Severity
from railguard.policylang.lintrules.base import (
    MISSING,
    LintRule,
    PolicyContext,
    Reporter,
    calls,
    lint_pass,
    lint_rule,
    literal_value,
    register,
    rule_exprs,
)

register(
    LintRule(
        "RG315",
        "label-never-attached",
        "bugs",
        Severity.WARNING,
        bad="""policy flow {
  label untrusted result fetch_url
  rule no_shell:
    deny call run_shell when session.labeled("untrustd") message "no shell after the web"
}""",
        good="""policy flow {
  label untrusted result fetch_url
  rule no_shell:
    deny call run_shell when session.labeled("untrusted") message "no shell after the web"
}""",
        reported_by="the `session.labeled` builtin's lint hook",
    )
)


@lint_pass
def builtin_hooks(ctx: PolicyContext, diags: Diagnostics) -> None:
    """Run the `lint` hook of every builtin a rule calls; each finding keeps its own code."""
    specs = registry()
    for rule in ctx.rules:
        for expr in rule_exprs(rule):
            for call in calls(expr):
                spec = specs.get(ast.dotted_name(call.func) or "")
                if spec is None or spec.lint is None:
                    continue
                for f in spec.lint(_lint_call(spec, call, rule, ctx)):
                    diags.add(f.code, f.message, f.span, Severity(f.severity), f.help)


def _lint_call(spec: BuiltinSpec, call: ast.Call, rule: ast.Rule, ctx: PolicyContext) -> LintCall:
    params = spec.params[1:] if spec.kind == "redactor" else spec.params
    args: dict[str, Any] = {}
    spans: dict[str, Any] = {}
    for i, arg in enumerate(call.args):
        name = arg.name if arg.name is not None else (params[i].name if i < len(params) else None)
        if name is None:
            continue
        spans[name] = arg.value.span
        value = literal_value(arg.value)
        if value is not MISSING:
            args[name] = value
    return LintCall(
        name=spec.name,
        args=args,
        spans=spans,
        span=call.span,
        effect=rule.effect,
        kind=rule.kind,
        tools=tuple(t.pattern for t in rule.tools),
        catalog=ctx.catalog,
        labels=ctx.labels,
    )


@lint_rule(
    "RG304",
    "entity-needs-model",
    "bugs",
    Severity.WARNING,
    bad="""policy names {
  redact output with pii.mask(entities: ["PERSON", "EMAIL_ADDRESS"])
}""",
    good="""policy names {
  redact output with pii.mask(entities: ["EMAIL_ADDRESS"])
}""",
)
def entity_without_model(ctx: PolicyContext, report: Reporter) -> None:
    """A `pii` call asks for entities only a spaCy model finds, and none is set up."""
    found = [
        (call, name)
        for rule in ctx.rules
        for expr in rule_exprs(rule)
        for call in calls(expr)
        if (name := ast.dotted_name(call.func) or "").startswith("pii.")
    ]
    if not found:
        return  # no import of the PII family for policies without it
    from railguard.builtins import pii

    for call, name in found:
        entities = _constant_argument(call, "entities", 1)
        model = _constant_argument(call, "model", -1)  # by name only: positions differ
        if not isinstance(entities, list) or not (model is None or isinstance(model, str)):
            continue
        missing = pii.ner_entities_without_model(entities, model)
        if missing:
            needs = ", ".join(missing)
            report(
                f"`{name}` asks for {needs}, which only a spaCy model finds, and no model "
                "is configured or installed: they will never be found",
                call.span,
                help="install one (`pip install 'railguard[ner]'`) and set `model:` or "
                "RAILGUARD_PII_MODEL, or drop these entities",
            )


def _constant_argument(call: ast.Call, name: str, position: int) -> Any:
    """The argument `name` (or the `position`-th positional one) when it is written as a
    literal string, `null` or a list of strings; None otherwise."""
    for i, arg in enumerate(call.args):
        if arg.name == name or (arg.name is None and i == position):
            value = literal_value(arg.value)
            return None if value is MISSING else value
    return None
