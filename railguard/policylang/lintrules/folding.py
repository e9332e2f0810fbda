"""Conditions that fold to a constant when the policy compiles."""

from __future__ import annotations

from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import PolicyContext, Reporter, lint_rule


@lint_rule(
    "RG306",
    "never-fires",
    "bugs",
    Severity.WARNING,
    bad="""policy payments {
  rule big:
    escalate call send_payment
      when 5000 < 1000
      message "large payments need approval"
}""",
    good="""policy payments {
  rule big:
    escalate call send_payment
      when args.amount > 1000
      message "large payments need approval"
}""",
)
def never_fires(ctx: PolicyContext, report: Reporter) -> None:
    """A `when` that is always false, or an `unless` that always holds."""
    for rule in ctx.rules:
        for cond in rule.conditions:
            if ctx.folded.get(cond.span) is False:
                word = (
                    "`unless` condition always holds"
                    if cond.negated
                    else "condition is always false"
                )
                report(
                    f"this {word}, so the rule never applies",
                    cond.span,
                    help="a condition that reads nothing from the event is decided when the policy compiles",
                )


@lint_rule(
    "RG307",
    "always-true",
    "bugs",
    Severity.WARNING,
    bad="""policy shell {
  rule no_rm:
    deny call run_shell
      when "rm" in "rm -rf /"
      message "no rm"
}""",
    good="""policy shell {
  rule no_rm:
    deny call run_shell
      when "rm" in args.command
      message "no rm"
}""",
)
def always_true(ctx: PolicyContext, report: Reporter) -> None:
    """A `when` that always holds, or an `unless` that is always false."""
    for rule in ctx.rules:
        for cond in rule.conditions:
            if ctx.folded.get(cond.span) is True:
                word = (
                    "`unless` condition is always false"
                    if cond.negated
                    else "condition always holds"
                )
                report(
                    f"this {word}, so it filters nothing",
                    cond.span,
                    help="remove it to make the rule unconditional, or make it read the event",
                )
