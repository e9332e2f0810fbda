"""The sidecar's OpenAPI 3.1 document, written by hand to match `server.py` exactly.

The event schemas mirror `events.event_from_dict` (strict: unknown fields are refused), the
verdict schema mirrors `Verdict.to_dict()`. `tests/engine/server/test_schemathesis.py`
fuzzes the running server against this document.
"""

from __future__ import annotations

from typing import Any

from railguard import __version__

_ANY: dict[str, Any] = {}
_OBJECT: dict[str, Any] = {"type": "object"}


def _event(kind: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", *required],
        "properties": {
            "kind": {"const": kind},
            **props,
            "session": {"type": ["string", "null"]},
            "context": _OBJECT,
        },
    }


_TOOL = {"type": "string", "minLength": 1, "maxLength": 256}
_TOOL_ERROR = {
    "description": "the call failed: what circuit breakers count (null or absent: it succeeded)",
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["kind"],
    "properties": {
        "kind": {"enum": ["timeout", "rate_limited", "unavailable", "server_error", "bad_request"]},
        "retry_after": {"type": ["number", "null"], "minimum": 0},
        "message": {"type": ["string", "null"], "maxLength": 1000},
    },
}

_VIOLATION = {
    "type": "object",
    "required": ["rule", "policy", "effect", "message", "location"],
    "properties": {
        "rule": {"type": "string"},
        "policy": {"type": "string"},
        "effect": {"type": "string"},
        "message": {"type": "string"},
        "location": {"type": "string"},
        "details": _OBJECT,
        "error": {"type": "string"},
    },
}

_VERDICT = {
    "type": "object",
    "required": [
        "decision_id",
        "decision",
        "kind",
        "tool",
        "violations",
        "warnings",
        "redactions",
        "labels",
        "retry_after",
        "content",
        "args",
        "policy_digest",
        "elapsed_us",
    ],
    "properties": {
        "decision_id": {"type": "string"},
        "decision": {"enum": ["allow", "deny", "escalate"]},
        "kind": {"enum": ["input", "call", "result", "output"]},
        "tool": {"type": ["string", "null"]},
        "violations": {"type": "array", "items": {"$ref": "#/components/schemas/Violation"}},
        "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Violation"}},
        "redactions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "path", "start", "end", "replacement"],
                "properties": {
                    "rule": {"type": "string"},
                    "path": {"type": "string"},
                    "start": {"type": "integer"},
                    "end": {"type": "integer"},
                    "replacement": {"type": "string"},
                },
            },
        },
        "labels": {"type": "array", "items": {"type": "string"}},
        "retry_after": {
            "type": ["number", "null"],
            "description": "seconds until the session windows behind every denial free up",
        },
        "content": _ANY,
        "args": {"type": ["object", "null"]},
        "policy_digest": {"type": "string"},
        "elapsed_us": {"type": "number"},
        "fallback": {
            "type": "array",
            "items": {"type": "string"},
            "description": "tools the policy allows, for the same arguments, instead of a denied call (present only when there are some)",
        },
    },
}

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": _OBJECT},
    },
}

_POLICIES = {
    "type": "object",
    "required": ["ready", "digest", "policies", "rule_count", "last_error", "reloads"],
    "properties": {
        "ready": {"type": "boolean"},
        "paths": {"type": "array", "items": {"type": "string"}},
        "digest": {"type": ["string", "null"]},
        "loaded_at": {"type": ["string", "null"]},
        "rule_count": {"type": "integer"},
        "files": {"type": "array", "items": {"type": "string"}},
        "policies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "version", "rules"],
                "properties": {
                    "name": {"type": "string"},
                    "version": {"type": ["string", "null"]},
                    "file": {"type": "string"},
                    "default": {"enum": ["allow", "deny"]},
                    "mode": {"enum": ["enforce", "shadow"]},
                    "rules": {"type": "integer"},
                },
            },
        },
        "warnings": {"type": "array", "items": _OBJECT},
        "last_attempt": {"type": ["string", "null"]},
        "last_error": {"type": ["object", "null"]},
        "reloads": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def document(*, max_batch: int, authenticated: bool, approver: bool = False) -> dict[str, Any]:
    """The document `GET /openapi.json` serves."""
    refused = {
        "400": _problem("the body is not JSON, too deep, or not a valid event (`field` names it)"),
        "413": _problem("the body is over the size limit"),
        "503": _problem("no policy set has compiled yet"),
    }
    auth = {"401": _problem("a bearer token is required")} if authenticated else {}
    open_: dict[str, Any] = {"security": []}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Railguard sidecar",
            "version": __version__,
            "description": "Verdicts on agent events from compiled Railguard policies.",
        },
        "paths": {
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Evaluate one event",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Event"}}
                        },
                    },
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Verdict"}, "the verdict"),
                        **refused,
                        **auth,
                    },
                }
            },
            "/v1/evaluate/batch": {
                "post": {
                    "operationId": "evaluateBatch",
                    "summary": "Evaluate many events; verdicts in the same order",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["events"],
                                    "properties": {
                                        "events": {
                                            "type": "array",
                                            "maxItems": max_batch,
                                            "items": {"$ref": "#/components/schemas/Event"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["verdicts"],
                                "properties": {
                                    "verdicts": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Verdict"},
                                    }
                                },
                            },
                            "one verdict per event, in order",
                        ),
                        **refused,
                        **auth,
                    },
                }
            },
            "/v1/policies": {
                "get": {
                    "operationId": "policies",
                    "summary": "The policy set serving, and the last refused reload",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Policies"}, "status"),
                        **auth,
                    },
                }
            },
            "/v1/reload": {
                "post": {
                    "operationId": "reload",
                    "summary": "Recompile the policy files now",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["outcome", "digest"],
                                "properties": {
                                    "outcome": {"enum": ["success", "unchanged"]},
                                    "digest": {"type": "string"},
                                    "diagnostics": {"type": "array", "items": _OBJECT},
                                },
                            },
                            "the set that serves now",
                        ),
                        "422": _problem("the new set did not compile; the last good set serves"),
                        **auth,
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness",
                    **open_,
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"status": {"const": "ok"}}}, "alive"
                        )
                    },
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Readiness: a compiled policy set is serving",
                    **open_,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Ready"}, "ready"),
                        "503": _json({"$ref": "#/components/schemas/Ready"}, "not ready yet"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format 0.0.4",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **auth,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Event": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/InputEvent"},
                        {"$ref": "#/components/schemas/CallEvent"},
                        {"$ref": "#/components/schemas/ResultEvent"},
                        {"$ref": "#/components/schemas/OutputEvent"},
                    ]
                },
                "InputEvent": _event("input", {"content": _ANY}, ["content"]),
                "CallEvent": _event("call", {"tool": _TOOL, "args": _OBJECT}, ["tool"]),
                "ResultEvent": _event(
                    "result",
                    {"tool": _TOOL, "content": _ANY, "error": _TOOL_ERROR},
                    ["tool", "content"],
                ),
                "OutputEvent": _event("output", {"content": _ANY}, ["content"]),
                "Verdict": _VERDICT,
                "Violation": _VIOLATION,
                "Problem": _PROBLEM,
                "Policies": _POLICIES,
                "Ready": {
                    "type": "object",
                    "required": ["ready"],
                    "properties": {
                        "ready": {"type": "boolean"},
                        "digest": {"type": ["string", "null"]},
                        "loaded_at": {"type": ["string", "null"]},
                        "last_error": {"type": "boolean"},
                    },
                },
            },
        },
    }
    from railguard.engine import approvals_openapi as _approvals

    doc["paths"].update(_approvals.paths(_problem, _json, auth, approver))
    doc["components"]["schemas"]["Approval"] = _approvals.APPROVAL
    if approver:  # the approver endpoints' token (without one, they answer 403)
        doc["components"]["securitySchemes"] = {"approver": _approvals.SECURITY_SCHEME}
    if authenticated:
        doc["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
        }
        doc["security"] = [{"bearer": []}]
    return doc
