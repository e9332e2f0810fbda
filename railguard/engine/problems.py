"""Problem bodies (RFC 7807 style) for every request the sidecar refuses.

A problem is a value: handlers return one, and `Problem.body()` renders it once. Each names
the field at fault when there is one, and carries the diagnostics (`Diagnostic.to_dict()`)
of an invalid event or a refused policy set under `errors`, as OPA's error bodies do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from railguard.engine.events import EventError
from railguard.policylang.diagnostics import Diagnostic

PROBLEM_TYPE = "application/problem+json"
_DOCS = "https://railguard.dev/problems/"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request was refused: an HTTP status, a stable code and a one-line detail."""

    status: int
    code: str
    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] = _field(default_factory=list)

    @property
    def title(self) -> str:
        return _TITLES.get(self.status, "request refused")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": _DOCS + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "message": self.detail,
        }
        if self.field is not None:
            out["field"] = self.field
        out["errors"] = self.errors
        return out

    def body(self) -> bytes:
        return json.dumps(self.to_dict()).encode()


_TITLES = {
    400: "bad request",
    401: "unauthorized",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    422: "policy set refused",
    500: "internal error",
    503: "not ready",
}


def invalid_event(exc: EventError, prefix: str = "") -> Problem:
    """A 400 naming the first bad field of an event; every diagnostic goes under `errors`."""
    first = exc.diagnostics[0] if exc.diagnostics else None
    name = _field_of(first.message) if first is not None else None
    if prefix:
        name = f"{prefix}.{name}" if name else prefix
    return Problem(
        400,
        "invalid_event",
        f"{prefix + ': ' if prefix else ''}{exc}",
        field=name,
        errors=[_with_field(d, prefix) for d in exc.diagnostics],
    )


def refused_policies(diagnostics: list[Diagnostic]) -> Problem:
    errors = [d for d in diagnostics if d.is_error]
    return Problem(
        422,
        "policy_refused",
        f"the new policy set has {len(errors)} error{'s' if len(errors) != 1 else ''} "
        "and was refused; the last good set keeps serving",
        errors=[d.to_dict() for d in diagnostics],
    )


def _with_field(d: Diagnostic, prefix: str) -> dict[str, Any]:
    out = d.to_dict()
    name = _field_of(d.message)
    if prefix:
        name = f"{prefix}.{name}" if name else prefix
    out["field"] = name
    return out


def _field_of(message: str) -> str | None:
    """The field a diagnostic message names in backticks first (`args` must be ...)."""
    start = message.find("`")
    end = message.find("`", start + 1)
    if start < 0 or end < 0:
        return None
    return message[start + 1 : end] or None
