"""The approval endpoints' part of the sidecar's OpenAPI document (`openapi.document`)."""

from __future__ import annotations

from typing import Any

_TIME = {"type": ["number", "null"]}
_TEXT = {"type": ["string", "null"]}

APPROVAL: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "kind", "binding", "event", "requested_at", "expires_at"],
    "properties": {
        "id": {"type": "string", "description": "the escalated verdict's decision_id"},
        "status": {"enum": ["pending", "approved", "denied", "used", "expired"]},
        "kind": {"enum": ["input", "call", "result", "output"]},
        "tool": _TEXT,
        "session": _TEXT,
        "tenant": _TEXT,
        "session_key": _TEXT,
        "binding": {"type": "string", "description": "session, kind, tool and argument hash"},
        "event": {"type": "object", "description": "the event, redacted, secrets masked"},
        "rule": _TEXT,
        "policy": _TEXT,
        "message": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "object"}},
        "policy_digest": {"type": "string"},
        "requested_at": {"type": "number"},
        "expires_at": {"type": "number"},
        "decided_by": _TEXT,
        "decided_at": _TIME,
        "comment": _TEXT,
        "used_at": _TIME,
        "used_by": _TEXT,
    },
}

_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}


def paths(problem: Any, json_: Any, agent_auth: dict[str, Any], configured: bool) -> dict[str, Any]:
    """The paths; `problem(description)` and `json_(schema, description)` build responses.
    `configured`: the sidecar has an approver token (else approvers' endpoints answer 403)."""
    approver: dict[str, Any] = {"security": [{"approver": []}] if configured else []}
    refused = {
        "401": problem("the approver token is required"),
        "403": problem("no approver token is configured on this sidecar"),
        "503": problem("the approval store is unavailable"),
    }
    ref = {"$ref": "#/components/schemas/Approval"}
    return {
        "/v1/approvals": {
            "get": {
                "operationId": "listApprovals",
                "summary": "Approval requests, newest first",
                **approver,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "enum": ["pending", "approved", "denied", "used", "expired", "all"]
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                    },
                ],
                "responses": {
                    "200": json_(
                        {
                            "type": "object",
                            "required": ["approvals"],
                            "properties": {"approvals": {"type": "array", "items": ref}},
                        },
                        "the requests",
                    ),
                    "400": problem("a query parameter is not valid"),
                    **refused,
                },
            }
        },
        "/v1/approvals/{id}": {
            "get": {
                "operationId": "showApproval",
                "summary": "One approval request",
                **approver,
                "parameters": [_ID],
                "responses": {
                    "200": json_(ref, "the request"),
                    "404": problem("no such request"),
                    **refused,
                },
            },
            "post": {
                "operationId": "decideApproval",
                "summary": "Approve or deny a pending request",
                **approver,
                "parameters": [_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["action", "by"],
                                "properties": {
                                    "action": {"enum": ["approve", "deny"]},
                                    "by": {"type": "string", "minLength": 1, "maxLength": 200},
                                    "comment": {"type": "string", "maxLength": 2000},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": json_(ref, "the request, decided"),
                    "400": problem("the body is not a decision"),
                    "404": problem("no such request"),
                    "409": problem("the request is no longer pending (decided or expired)"),
                    "413": problem("the body is over the size limit"),
                    **refused,
                },
            },
        },
        "/v1/approvals/{id}/wait": {
            "get": {
                "operationId": "waitForApproval",
                "summary": "Long poll: the request once decided or expired, or at the timeout",
                "parameters": [
                    _ID,
                    {
                        "name": "timeout",
                        "in": "query",
                        "schema": {"type": "number", "minimum": 0, "maximum": 60},
                    },
                ],
                "responses": {
                    "200": json_(ref, "the request (still pending when the timeout passed)"),
                    "400": problem("`timeout` is not valid"),
                    "404": problem("no such request"),
                    "503": problem("the approval store is unavailable"),
                    **agent_auth,
                },
            }
        },
        "/v1/approvals/{id}/redeem": {
            "post": {
                "operationId": "redeemApproval",
                "summary": "Use the approval once: the verdict it gives",
                "parameters": [_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {"event": {"$ref": "#/components/schemas/Event"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": json_(
                        {"$ref": "#/components/schemas/Verdict"},
                        "allow once when approved and bound to this event; else deny, or escalate while pending",
                    ),
                    "400": problem("the body is not {} or {event}"),
                    "404": problem("no such request"),
                    "409": problem("the request changed too often to be used"),
                    "413": problem("the body is over the size limit"),
                    "503": problem("the approval store is unavailable"),
                    **agent_auth,
                },
            }
        },
    }


SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "the approver token"}
