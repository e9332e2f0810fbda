"""Pattern-based redaction, the simplest rewriter for the `redact` effect."""

from __future__ import annotations

from typing import Annotated

from railguard.builtins.regex import Regex
from railguard.builtins.registry import Redaction, builtin


@builtin(
    "redact.pattern",
    kind="redactor",
    examples=[
        'redact output with redact.pattern(/\\b[0-9]{13,16}\\b/, replacement: "<CARD>")',
        "redact call send_email with redact.pattern(/sk-[A-Za-z0-9]{20,}/)",
    ],
)
def pattern(
    value: Annotated[str, "the text being rewritten (supplied by the engine)"],
    pattern: Annotated[Regex, "an RE2 pattern, fixed in the policy"],
    replacement: Annotated[str, "the text that replaces each match"] = "<REDACTED>",
) -> list[Redaction]:
    """Replace every match of `pattern` in the payload's text with `replacement`.

    On `call` events every string in `args` is rewritten, on other events the `content`
    (every string leaf when it is JSON). The verdict lists each replacement.
    """
    return [(start, end, replacement) for start, end in pattern.finditer(value) if end > start]
