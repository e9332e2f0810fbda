"""Rules that other rules of the same policy duplicate, make redundant or override."""

from __future__ import annotations

from collections.abc import Hashable

from railguard.policylang import ast
from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import (
    PolicyContext,
    Reporter,
    any_tool,
    at,
    covers,
    covers_tool,
    lint_rule,
    where,
)

_DECIDING = ("allow", "deny", "escalate")


def _key(rule: ast.Rule) -> Hashable:
    """What a rule does, without its name, message and layout."""
    tools = frozenset((t.pattern, t.quoted) for t in rule.tools)
    return (rule.effect, rule.kind, tools, rule.label, rule.redactor, frozenset(rule.conditions))


def _shown(rule: ast.Rule) -> str:
    tools = ", ".join(t.pattern for t in rule.tools)
    return f"`{rule.effect} {rule.kind}{' ' + tools if tools else ''}`"


@lint_rule(
    "RG310",
    "duplicate-rule",
    "bugs",
    Severity.WARNING,
    bad="""policy shop {
  rule no_drop:
    deny call run_sql when args.query matches /(?i)drop/ message "no DROP"
  rule no_drop_again:
    deny call run_sql when args.query matches /(?i)drop/ message "DROP is not allowed"
}""",
    good="""policy shop {
  rule no_drop:
    deny call run_sql when args.query matches /(?i)drop/ message "no DROP"
}""",
)
def duplicate_rule(ctx: PolicyContext, report: Reporter) -> None:
    """Two rules with the same effect, target and conditions (names and messages aside)."""
    seen: dict[Hashable, ast.Rule] = {}
    for rule in ctx.rules:
        try:
            key = _key(rule)
            first = seen.setdefault(key, rule)
        except TypeError:  # an unhashable literal: no comparison
            continue
        if first is not rule:
            report(
                f"this rule repeats the rule at {at(where(first), where(rule))}",
                where(rule),
                help="remove one of them; if their messages differ, keep the better one",
            )


@lint_rule(
    "RG308",
    "redundant-rule",
    "bugs",
    Severity.WARNING,
    bad="""policy agent {
  default deny
  allow call search, fetch_url
  rule small_fetch:
    allow call fetch_url when len(args.url) < 200
}""",
    good="""policy agent {
  default deny
  allow call search
  rule small_fetch:
    allow call fetch_url when len(args.url) < 200
}""",
)
def redundant_rule(ctx: PolicyContext, report: Reporter) -> None:
    """A rule another rule makes pointless: one of the same effect that applies whenever it
    does, or a deny that always wins over the allow or escalate."""
    rules = [r for r in ctx.rules if r.effect in _DECIDING]
    keys = {id(r): _safe_key(r) for r in rules}
    for j, b in enumerate(rules):
        for i, a in enumerate(rules):
            if i == j or not ctx.unconditional(a) or not covers(a, b):
                continue
            if keys[id(a)] is not None and keys[id(a)] == keys[id(b)]:
                continue  # RG310
            if a.effect == b.effect:
                mutual = ctx.unconditional(b) and covers(b, a)
                if mutual and i > j:
                    continue  # report the later of two equivalent rules only
                report(
                    f"{_shown(b)} is redundant: {_shown(a)} at {at(where(a), where(b))} already applies "
                    "to every event it applies to",
                    where(b),
                    help="remove this rule, or narrow the other one",
                )
                break
            if a.effect == "deny" and not (b.effect == "allow" and ctx.unconditional(b)):
                report(
                    f"{_shown(b)} never takes effect: {_shown(a)} at {at(where(a), where(b))} denies every "
                    "event it applies to, and deny overrides",
                    where(b),
                    help="narrow the deny with a condition, or remove this rule",
                )
                break


def _safe_key(rule: ast.Rule) -> Hashable | None:
    try:
        key = _key(rule)
        hash(key)
        return key
    except TypeError:
        return None


@lint_rule(
    "RG309",
    "allow-deny-conflict",
    "bugs",
    Severity.ERROR,
    bad="""policy files {
  default deny
  allow call read_file, delete_file
  deny call delete_file message "files are never deleted"
}""",
    good="""policy files {
  default deny
  allow call read_file
}""",
)
def allow_deny_conflict(ctx: PolicyContext, report: Reporter) -> None:
    """An unconditional allow of a tool that an unconditional deny of the policy denies."""
    denies = [r for r in ctx.rules if r.effect == "deny" and ctx.unconditional(r)]
    for allow in ctx.rules:
        if allow.effect != "allow" or not ctx.unconditional(allow):
            continue
        for deny in denies:
            if deny.kind != allow.kind:
                continue
            if any_tool(allow):
                both = ["every tool"] if any_tool(deny) else []
            else:
                both = [f"`{t.pattern}`" for t in allow.tools if covers_tool(deny, t)]
            if both:
                report(
                    f"{_shown(allow)} allows {', '.join(both)}, which {_shown(deny)} at "
                    f"{at(where(deny), where(allow))} always denies",
                    where(allow),
                    help="deny overrides allow: drop the tool from one of the two rules",
                )
                break
