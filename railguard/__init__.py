"""Railguard: policy-as-code guardrails for LLM agents.

guard = railguard.load("policies/finance")
verdict = guard.evaluate(railguard.ToolCall(tool="run_sql", args={"query": q}))
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from railguard.engine.client import AsyncClient, Client
    from railguard.integrations import ApprovalRejected, GuardrailError, ToolDenied, guarded


def __getattr__(name: str) -> Any:
    """`Client` and `AsyncClient` import httpx, and the integrations load: only when first used."""
    if name in ("Client", "AsyncClient"):
        from railguard.engine import client

        return getattr(client, name)
    if name in ("guarded", "GuardrailError", "ToolDenied", "ApprovalRejected"):
        from railguard import integrations

        return getattr(integrations, name)
    raise AttributeError(f"module 'railguard' has no attribute {name!r}")


__all__ = [
    "ApprovalRejected",
    "AsyncClient",
    "Client",
    "Diagnostic",
    "EventError",
    "Guard",
    "GuardrailError",
    "Limits",
    "ModelOutput",
    "PolicyError",
    "Replacement",
    "ToolCall",
    "ToolDenied",
    "ToolResult",
    "UserInput",
    "Verdict",
    "Violation",
    "__version__",
    "check",
    "evaluate",
    "event_from_dict",
    "guarded",
    "load",
    "loads",
]
