"""Railguard: policy-as-code guardrails for LLM agents.

guard = railguard.load("policies/finance")
verdict = guard.evaluate(railguard.ToolCall(tool="run_sql", args={"query": q}))
"""

__version__ = "0.1.0"

from railguard.api import check, evaluate, load, loads
from railguard.engine.events import (
    EventError,
    ModelOutput,
    ToolCall,
    ToolResult,
    UserInput,
    event_from_dict,
)
from railguard.engine.guard import Guard
from railguard.engine.rules import Limits
from railguard.engine.verdict import Replacement, Verdict, Violation
from railguard.policylang.diagnostics import Diagnostic, PolicyError

__all__ = [
    "Diagnostic",
    "EventError",
    "Guard",
    "Limits",
    "ModelOutput",
    "PolicyError",
    "Replacement",
    "ToolCall",
    "ToolResult",
    "UserInput",
    "Verdict",
    "Violation",
    "__version__",
    "check",
    "evaluate",
    "event_from_dict",
    "load",
    "loads",
]
