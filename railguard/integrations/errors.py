"""The exceptions a guarded tool raises: each carries the `Verdict` that caused it.

try:
    send_email(to="eve@example.org", body="hi")
except railguard.GuardrailError as err:
    print(err.verdict.decision, err.verdict.violations)
"""

from __future__ import annotations

from railguard.engine.verdict import Verdict


class GuardrailError(Exception):
    """A guarded tool did not run, or its result was withheld; `.verdict` says why."""

    def __init__(self, verdict: Verdict, note: str | None = None) -> None:
        self.verdict = verdict
        text = verdict.explain()
        super().__init__(f"{text}\n  {note}" if note else text)


class ToolDenied(GuardrailError):
    """The policy denied the call (`verdict.kind == "call"`) or its result (`"result"`)."""


class ApprovalRejected(GuardrailError):
    """The policy escalated, and the approval callback said no, or there was none."""
