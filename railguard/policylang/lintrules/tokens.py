"""RG320, reported by the `tokens.count` builtin's lint hook (`railguard/builtins/tokens/`):
declared here for its documentation."""

from __future__ import annotations

from railguard.policylang.diagnostics import Severity
from railguard.policylang.lintrules.base import LintRule, register

register(
    LintRule(
        "RG320",
        "tokenizer-not-installed",
        "bugs",
        Severity.WARNING,
        bad="""policy budget {
  rule too_long:
    deny input when tokens.count(content, encoding: "p50k_base") > 100000
      message "the input is too long"
}""",
        good="""policy budget {
  rule too_long:
    deny input when tokens.estimate(content) > 100000
      message "the input is too long"
}""",
        reported_by="the `tokens.count` builtin's lint hook",
    )
)
