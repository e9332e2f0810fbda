"""What the compiler hands the engine: compiled rules and policies, and the limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from railguard.builtins.registry import Redaction

if TYPE_CHECKING:
    from railguard.engine.breakers.spec import CompiledBreaker


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one evaluation may read; exceeding one fails closed."""

    payload_bytes: int = 1_048_576
    depth: int = 32
    string_length: int = 262_144
    checker_ms: int = 100

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    policy: str
    policy_index: int
    effect: str  # allow deny escalate warn redact label
    kind: str
    names: frozenset[str]
    globs: tuple[str, ...]
    any_tool: bool
    condition: Callable[[Any], Any] | None
    message: Callable[[Any], str]
    location: str
    shadow: bool
    fail_open: bool
    label: str | None = None
    negate: bool = False  # a single `unless` condition: the rule applies when it is false
    timed: bool = False  # calls builtins, so its time is measured against `checker_ms`
    reads_session: bool = False  # calls `session.*` builtins
    redactor: Callable[[str], list[Redaction]] | None = None
    redact_target: tuple[str | int, ...] | None = None  # one path to rewrite, else every string
    # The violation's `details`, from the event and the condition's value; only on a match.
    details: Callable[[Any, Any], dict[str, Any] | None] | None = None
    fallback: tuple[str, ...] = ()  # tools a denied call is offered instead, when allowed

    def targets(self, tool: str | None) -> bool:
        if self.any_tool:
            return True
        if tool is None:
            return False
        return tool in self.names or any(glob_match(g, tool) for g in self.globs)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    name: str
    index: int
    file: str
    default: str  # allow | deny
    shadow: bool
    fail_open: bool
    version: str | None
    rules: tuple[CompiledRule, ...]
    location: str
    limits: dict[str, int]
    breakers: tuple[CompiledBreaker, ...] = ()  # circuit breakers on its tools


def glob_match(pattern: str, name: str) -> bool:
    """Shell-style `*` and `?` matching in O(len(pattern) * len(name)), without backtracking blow-up."""
    p = n = 0
    star = -1
    mark = 0
    while n < len(name):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == name[n]):
            p += 1
            n += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, n
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            n = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
