"""Drop-in integrations: guard plain tool functions, and check the tool calls and results
of OpenAI, Anthropic, MCP and LangChain agents, in their own JSON shapes.

- `railguard.guarded(guard)` (`decorator`): a decorator for Python tool functions.
- `openai`, `anthropic`, `mcp`: adapters from the providers' documented payloads to events,
  and from verdicts back to the error shape each one expects. No provider SDK is imported.
- `langchain`: `guard_tool()` wraps a `langchain_core` tool (needs `langchain-core`).

See docs/integrations.md.
"""

from railguard.integrations import anthropic, mcp, openai
from railguard.integrations._common import CheckedCall, CheckedResult
from railguard.integrations.decorator import ToolGate, guarded
from railguard.integrations.errors import ApprovalRejected, GuardrailError, ToolDenied

__all__ = [
    "ApprovalRejected",
    "CheckedCall",
    "CheckedResult",
    "GuardrailError",
    "ToolDenied",
    "ToolGate",
    "anthropic",
    "guarded",
    "mcp",
    "openai",
]
