"""The approval path over HTTP: the agent's wait, and the approvers' Python API.

Agents: `Client.wait_for_approval(decision_id, timeout=300)` (and `AsyncClient`'s) long-polls
`GET /v1/approvals/{id}/wait` in slices of at most 30 s until the request is decided or
expired or the time is up, then uses the approval once (`POST /v1/approvals/{id}/redeem`)
and returns that verdict: allow when it was approved, deny when it was denied, expired or
already used, escalate when it is still pending at the timeout. Passing the `event` makes
the sidecar check that the approval is bound to it. A sidecar that cannot answer gives the
client's usual fail-closed verdict.

Approvers: `ApproverClient(url, token)` lists, shows, approves and denies requests; it
raises `ApprovalError` with the sidecar's status and problem code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from railguard.engine.approvals import ApprovalError
from railguard.engine.events import BaseEvent, Event
from railguard.engine.verdict import ESCALATE, Verdict, Violation

if TYPE_CHECKING:
    from railguard.engine.client import AsyncClient, Client

POLL_S = 30.0  # the longest single long poll

EventLike = Event | Mapping[str, Any] | None


def _placeholder(event: EventLike) -> Event | Mapping[str, Any]:
    return event if event is not None else {"kind": "call"}


def _body(event: EventLike) -> dict[str, Any]:
    if event is None:
        return {}
    return {"event": event.to_dict() if isinstance(event, BaseEvent) else dict(event)}


def _pending(decision_id: str, waited: float, event: EventLike) -> Verdict:
    """The verdict when the wait ends with the request still pending: escalate."""
    kind, tool = "call", None
    if isinstance(event, BaseEvent):
        kind, tool = event.kind, event.tool
    elif event is not None:
        kind, tool = str(event.get("kind", "call")), event.get("tool")
    v = Violation(
        "railguard.approval",
        "railguard",
        ESCALATE,
        f"approval `{decision_id}` is still pending after {waited:.0f} s",
        "<client>",
        {"approval": decision_id, "status": "pending"},
    )
    return Verdict(ESCALATE, (v,), (), "", 0.0, kind, tool if isinstance(tool, str) else None)


def wait_for_approval(
    client: Client, decision_id: str, timeout: float, event: EventLike = None
) -> Verdict:
    """`Client.wait_for_approval`: see the module's docstring."""
    start = time.monotonic()
    base = f"{client.url}/v1/approvals/{decision_id}"
    while True:
        left = timeout - (time.monotonic() - start)
        poll = max(0.0, min(POLL_S, left))
        try:
            response = client._http.get(
                base + "/wait", params={"timeout": f"{poll:.3f}"}, timeout=poll + client.timeout
            )
        except httpx.HTTPError as exc:
            return client._unavailable(_placeholder(event), f"waiting for approval: {exc}")
        if response.status_code != 200:
            return client._verdicts(response, [_placeholder(event)], batch=False)[0]
        status = response.json().get("status")
        if status != "pending":
            break
        if time.monotonic() - start >= timeout:
            return _pending(decision_id, timeout, event)
    try:
        response = client._http.post(base + "/redeem", json=_body(event))
    except httpx.HTTPError as exc:
        return client._unavailable(_placeholder(event), f"using the approval: {exc}")
    return client._verdicts(response, [_placeholder(event)], batch=False)[0]


async def wait_for_approval_async(
    client: AsyncClient, decision_id: str, timeout: float, event: EventLike = None
) -> Verdict:
    """`AsyncClient.wait_for_approval`: the same, awaited."""
    start = time.monotonic()
    base = f"{client.url}/v1/approvals/{decision_id}"
    while True:
        left = timeout - (time.monotonic() - start)
        poll = max(0.0, min(POLL_S, left))
        try:
            response = await client._http.get(
                base + "/wait", params={"timeout": f"{poll:.3f}"}, timeout=poll + client.timeout
            )
        except httpx.HTTPError as exc:
            return client._unavailable(_placeholder(event), f"waiting for approval: {exc}")
        if response.status_code != 200:
            return client._verdicts(response, [_placeholder(event)], batch=False)[0]
        if response.json().get("status") != "pending":
            break
        if time.monotonic() - start >= timeout:
            return _pending(decision_id, timeout, event)
    try:
        response = await client._http.post(base + "/redeem", json=_body(event))
    except httpx.HTTPError as exc:
        return client._unavailable(_placeholder(event), f"using the approval: {exc}")
    return client._verdicts(response, [_placeholder(event)], batch=False)[0]


class ApproverClient:
    """Approvers' access to a sidecar's approvals: list, show, approve, deny."""

    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        headers = {"accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout, headers=headers, trust_env=False)

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            detail = data.get("detail") if isinstance(data, dict) else None
            code = data.get("code") if isinstance(data, dict) else None
            raise ApprovalError(
                response.status_code,
                str(code or "http_error"),
                str(detail or response.reason_phrase or "error"),
            )
        return data

    def list(self, status: str = "pending", limit: int = 100) -> list[dict[str, Any]]:
        """Requests newest first; `status` is pending, approved, denied, used, expired or all."""
        response = self._http.get(
            self.url + "/v1/approvals", params={"status": status, "limit": str(limit)}
        )
        approvals: list[dict[str, Any]] = self._answer(response)["approvals"]
        return approvals

    def show(self, approval_id: str) -> dict[str, Any]:
        return self._answer(self._http.get(f"{self.url}/v1/approvals/{approval_id}"))

    def decide(self, approval_id: str, action: str, by: str, comment: str = "") -> dict[str, Any]:
        body = {"action": action, "by": by, "comment": comment}
        return self._answer(self._http.post(f"{self.url}/v1/approvals/{approval_id}", json=body))

    def approve(self, approval_id: str, by: str, comment: str = "") -> dict[str, Any]:
        return self.decide(approval_id, "approve", by, comment)

    def deny(self, approval_id: str, by: str, comment: str = "") -> dict[str, Any]:
        return self.decide(approval_id, "deny", by, comment)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApproverClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
