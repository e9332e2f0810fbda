"""Verdicts: the decision on one event, with every reason behind it.

The same JSON comes out of `Verdict.to_dict()` in-process, from the sidecar and in the
decision log.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any, NamedTuple

ALLOW = "allow"
DENY = "deny"
ESCALATE = "escalate"

_PREFIX = os.urandom(4).hex()
_SEQUENCE = itertools.count(1)


class Violation(NamedTuple):
    """A rule that matched (or would have, in shadow mode), or a check that failed."""

    rule: str
    policy: str
    effect: str
    message: str
    location: str
    details: dict[str, Any] | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "policy": self.policy,
            "effect": self.effect,
            "message": self.message,
            "location": self.location,
        }
        if self.details:
            out["details"] = self.details
        if self.error is not None:
            out["error"] = self.error
        return out


class Replacement(NamedTuple):
    """One span of the payload a `redact` rule rewrote."""

    rule: str
    path: str
    start: int
    end: int
    replacement: str

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class Verdict:
    """The decision on one event. Build events, not verdicts: `Guard.evaluate()` makes these."""

    __slots__ = (
        "_id",
        "_seq",
        "args",
        "content",
        "decision",
        "elapsed_us",
        "fallback",
        "kind",
        "labels",
        "policy_digest",
        "redactions",
        "retry_after",
        "shadow",
        "tool",
        "violations",
        "warnings",
    )

    def __init__(
        self,
        decision: str,
        violations: tuple[Violation, ...],
        warnings: tuple[Violation, ...],
        policy_digest: str,
        elapsed_us: float,
        kind: str,
        tool: str | None = None,
    ) -> None:
        self.decision = decision
        self.violations = violations
        self.warnings = warnings
        self.policy_digest = policy_digest
        self.elapsed_us = elapsed_us
        self.kind = kind
        self.tool = tool
        self.redactions: tuple[Replacement, ...] = ()
        self.labels: tuple[str, ...] = ()
        self.retry_after: float | None = None  # seconds until a session window frees
        self.fallback: tuple[str, ...] = ()  # tools the policy allows instead (a denied call)
        self.shadow: Verdict | None = None  # a shadow set's verdict: logged, never enforced
        self.content: Any = None
        self.args: dict[str, Any] | None = None
        self._seq = next(_SEQUENCE)
        self._id: str | None = None

    def __repr__(self) -> str:
        return f"Verdict(decision={self.decision!r}, kind={self.kind!r}, tool={self.tool!r}, violations={len(self.violations)})"

    @property
    def decision_id(self) -> str:
        return self._id or f"{_PREFIX}-{self._seq:010d}"

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOW

    @property
    def denied(self) -> bool:
        return self.decision == DENY

    @property
    def escalated(self) -> bool:
        return self.decision == ESCALATE

    @property
    def rewritten(self) -> bool:
        return bool(self.redactions)

    def explain(self) -> str:
        """A human reading of the decision: what was decided and every reason for it."""
        target = f"{self.kind} {self.tool}" if self.tool else self.kind
        lines = [f"{self.decision}: {target}"]
        for v in self.violations:
            lines.append(f"  {v.effect} by {v.rule} ({v.location}): {v.message}")
        for w in self.warnings:
            lines.append(f"  warning from {w.rule} ({w.location}): {w.message}")
        for r in self.redactions:
            lines.append(f"  redacted {r.path}[{r.start}:{r.end}] by {r.rule} -> {r.replacement}")
        if self.retry_after is not None:
            lines.append(f"  retry after {self.retry_after:g} s")
        if self.fallback:
            lines.append("  fallback: " + ", ".join(self.fallback))
        if len(lines) == 1:
            lines.append("  no rule objected" if self.allowed else "  no reason recorded")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "decision_id": self.decision_id,
            "decision": self.decision,
            "kind": self.kind,
            "tool": self.tool,
            "violations": [v.to_dict() for v in self.violations],
            "warnings": [w.to_dict() for w in self.warnings],
            "redactions": [r.to_dict() for r in self.redactions],
            "labels": list(self.labels),
            "retry_after": self.retry_after,
            "content": self.content,
            "args": self.args,
            "policy_digest": self.policy_digest,
            "elapsed_us": round(self.elapsed_us, 3),
        }
        if self.fallback:  # only on a denied call whose rule or breaker names fallbacks
            out["fallback"] = list(self.fallback)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """The verdict `to_dict()` gave, for example from the sidecar; keeps its `decision_id`."""
        verdict = cls(
            data["decision"],
            tuple(_violation(v) for v in data.get("violations") or ()),
            tuple(_violation(w) for w in data.get("warnings") or ()),
            data.get("policy_digest") or "",
            float(data.get("elapsed_us") or 0.0),
            data["kind"],
            data.get("tool"),
        )
        verdict.redactions = tuple(
            Replacement(r["rule"], r["path"], r["start"], r["end"], r["replacement"])
            for r in data.get("redactions") or ()
        )
        verdict.labels = tuple(data.get("labels") or ())
        verdict.retry_after = data.get("retry_after")
        verdict.fallback = tuple(data.get("fallback") or ())
        verdict.content = data.get("content")
        verdict.args = data.get("args")
        verdict._id = data.get("decision_id") or None
        return verdict

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, sort_keys=False)


def _violation(data: dict[str, Any]) -> Violation:
    return Violation(
        rule=data["rule"],
        policy=data["policy"],
        effect=data["effect"],
        message=data["message"],
        location=data["location"],
        details=data.get("details"),
        error=data.get("error"),
    )
