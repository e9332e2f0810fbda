"""A compiled `breaker` declaration: what opens it, for how long, and what it offers instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from railguard.engine.rules import glob_match

FLEET, TENANT, SESSION = "fleet", "tenant", "session"
SCOPES = (FLEET, TENANT, SESSION)
# The error kinds that count as failures when a breaker names none: the tool's own trouble,
# not a bad request the agent made.
DEFAULT_KINDS = frozenset({"timeout", "rate_limited", "unavailable", "server_error"})
DEFAULT_MAX_COOL_DOWN_S = 600.0


@dataclass(frozen=True, slots=True)
class CompiledBreaker:
    """One `breaker` declaration; each tool it names has its own health.

    The count form opens after `threshold` failures within `window` seconds; the rate form
    (`percent` > 0) when at least `min_calls` results came within the window and `percent`
    of them or more failed. An open breaker admits calls again after `cool_down` seconds, as
    `trials` trial calls; a failed trial doubles the cool-down, up to `max_cool_down`.
    """

    policy: str
    names: frozenset[str]
    globs: tuple[str, ...]
    any_tool: bool
    threshold: int
    percent: float
    min_calls: int
    window: float
    window_text: str  # as written: `"60s"`
    cool_down: float
    max_cool_down: float
    kinds: frozenset[str]
    trials: int
    scope: str  # fleet | tenant | session
    fallback: tuple[str, ...]
    location: str
    shadow: bool = False
    fail_open: bool = False

    @property
    def rate(self) -> bool:
        return self.percent > 0

    def targets(self, tool: str) -> bool:
        if self.any_tool or tool in self.names:
            return True
        return any(glob_match(g, tool) for g in self.globs)

    def id(self, tool: str) -> str:
        """The breaker's id in verdicts, logs and metrics: `POLICY.breaker.TOOL`."""
        return f"{self.policy}.breaker.{tool}"

    def key(self, tool: str, event: Any) -> str | None:
        """Where this tool's health is kept for `event`: per fleet, tenant or session.
        None for `per session` when the event has no session id (the breaker then does not
        apply to it)."""
        base = f"{len(self.policy)}:{self.policy}:{tool}"
        if self.scope == FLEET:
            return base
        context = event.context or {}
        tenant = context.get("tenant")
        tenant = tenant if isinstance(tenant, str) else ""
        if self.scope == TENANT:
            return f"{base}|t:{len(tenant)}:{tenant}"
        if not event.session:
            return None
        return f"{base}|s:{len(tenant)}:{tenant}:{event.session}"
