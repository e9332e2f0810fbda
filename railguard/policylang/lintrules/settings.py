"""Policy settings and includes: failing open, shadow mode, allowing everything, includes
that bring nothing."""

from __future__ import annotations

from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import PolicyContext, Reporter, lint_rule, where


@lint_rule(
    "RG302",
    "fails-open",
    "security",
    Severity.WARNING,
    bad="""policy mail {
  on_error allow
  rule outside:
    escalate call send_email unless args.to matches /@acme\\.com$/ message "needs approval"
}""",
    good="""policy mail {
  rule outside:
    escalate call send_email unless args.to matches /@acme\\.com$/ message "needs approval"
}""",
)
def fail_open(ctx: PolicyContext, report: Reporter) -> None:
    """`on_error allow` lets a check that crashes or times out wave the event through."""
    for s in (*ctx.settings, *ctx.included_settings):
        if s.name == "on_error" and s.value == "allow":
            report(
                f"policy `{ctx.policy.name}` fails open: a check that errors lets the event through",
                s.span,
                help="remove `on_error allow` unless an outage of this check must never block the agent",
            )


@lint_rule(
    "RG303",
    "shadow-mode",
    "security",
    Severity.WARNING,
    bad="""policy sql_v2 {
  mode shadow
  deny call run_sql when args.query matches /(?i)drop/ message "no DROP"
}""",
    good="""policy sql_v2 {
  deny call run_sql when args.query matches /(?i)drop/ message "no DROP"
}""",
)
def shadow_mode(ctx: PolicyContext, report: Reporter) -> None:
    """`mode shadow` only reports; nothing in the policy is enforced."""
    for s in (*ctx.settings, *ctx.included_settings):
        if s.name == "mode" and s.value == "shadow":
            report(
                f"policy `{ctx.policy.name}` is in shadow mode: its rules only warn",
                s.span,
                help="switch to `mode enforce` once the shadow results look right",
            )


@lint_rule(
    "RG313",
    "allows-everything",
    "security",
    Severity.WARNING,
    bad="""policy agent {
  default allow
  allow call search, fetch_url
}""",
    good="""policy agent {
  default deny
  allow call search, fetch_url
}""",
)
def allows_everything(ctx: PolicyContext, report: Reporter) -> None:
    """A `default allow` policy without deny or escalate rules: it stops nothing, and its
    allow rules change nothing."""
    default = ctx.setting("default")
    if default is not None and default.value != "allow":
        return
    if any(r.effect in ("deny", "escalate") for r in ctx.rules):
        return
    allows = [r for r in ctx.rules if r.effect == "allow" and r.kind == "call"]
    if default is None and not allows:
        return  # a policy that only redacts, labels or warns
    span = default.span if default is not None else where(allows[0])
    report(
        f"policy `{ctx.policy.name}` allows every call: it is `default allow` and no rule "
        "denies or escalates",
        span,
        help="write `default deny` to allow only the listed tools (a lockdown)",
    )


@lint_rule(
    "RG314",
    "unused-include",
    "style",
    Severity.WARNING,
    bad="""policy agent {
  include "settings_only.rail"
  deny call run_shell message "no shell"
}""",
    good="""policy agent {
  include "shell_rules.rail"
}""",
)
def unused_include(ctx: PolicyContext, report: Reporter) -> None:
    """An include whose file adds no rules (its settings do not apply to the includer)."""
    for s in ctx.settings:
        if s.name != "include" or not isinstance(s.value, str):
            continue
        policies = ctx.included.get(s.value)
        if policies is None:
            continue  # missing or cyclic: a compile error says so
        if not any(p.rules for p in policies):
            report(
                f"`{s.value}` adds no rules to policy `{ctx.policy.name}`",
                s.span,
                help="an include merges rules only; the included file's settings do not apply. Remove the include",
            )
