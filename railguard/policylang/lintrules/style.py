"""Messages: a denial the agent and its operators cannot understand."""

from __future__ import annotations

from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import (
    LintRule,
    PolicyContext,
    Reporter,
    lint_rule,
    register,
    where,
)


@lint_rule(
    "RG311",
    "deny-without-message",
    "style",
    Severity.WARNING,
    bad="""policy shell {
  deny call run_shell when args.command matches /\\brm\\b/
}""",
    good="""policy shell {
  deny call run_shell when args.command matches /\\brm\\b/ message "run_shell may not delete files"
}""",
)
def deny_without_message(ctx: PolicyContext, report: Reporter) -> None:
    """A `deny` or `escalate` rule without `message`: the agent (or the approver) is told
    only the rule's id."""
    for rule in ctx.rules:
        if rule.effect in ("deny", "escalate") and rule.message is None:
            report(
                f"this `{rule.effect}` rule has no message: the agent is only told its id",
                where(rule),
                help='say why, and what would be allowed: `message "..."` (it can interpolate `{args.x}`)',
            )


register(
    LintRule(
        "RG316",
        "bad-directive",
        "style",
        Severity.WARNING,
        bad="""policy shell {
  # railguard: disable=RG999
  deny call run_shell message "no shell"
}""",
        good="""policy shell {
  # railguard: disable=RG311 -- the default message is enough here
  deny call run_shell
}""",
        reported_by="comment directives (`# railguard: ...`)",
    )
)
