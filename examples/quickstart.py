"""The README tutorial's Python step, runnable: load a policy, evaluate a tool call.

    .venv/bin/python examples/quickstart.py

prints

    escalate
    escalate: call send_email
      escalate by my_first.outside_mail (examples/tutorial/my_first.rail:5:3): mail to eve@example.org needs approval
"""

from pathlib import Path

import railguard

TUTORIAL = Path(__file__).resolve().parent / "tutorial"  # holds my_first.rail

guard = railguard.load(TUTORIAL)  # compile once, at start-up
verdict = guard.evaluate(
    railguard.ToolCall(
        tool="send_email", args={"to": "eve@example.org", "body": "hi"}, session="s-1"
    )
)

print(verdict.decision)
print(verdict.explain())
if not verdict.allowed:
    pass  # block the call, or route verdict.escalated to a human
