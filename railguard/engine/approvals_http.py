"""The sidecar's approval path: requests from escalated verdicts, the approvers' endpoints,
the agents' long poll, the audit trail and the webhook.

Endpoints (JSON; refusals are problems like every other endpoint's):

| endpoint | token | what |
|---|---|---|
| `GET /v1/approvals?status=pending&limit=100` | approver | records, newest first |
| `GET /v1/approvals/{id}` | approver | one record |
| `POST /v1/approvals/{id}` | approver | `{"action": "approve" or "deny", "by": ..., "comment": ...}` |
| `GET /v1/approvals/{id}/wait?timeout=30` | agent | the record once decided (or expired), or at the timeout |
| `POST /v1/approvals/{id}/redeem` | agent | use the approval once: the verdict (`{"event": ...}` binds the check) |

Waiting without a busy loop: each worker keeps one `asyncio.Event` per waiting request;
an approver's decision through this worker sets it at once. A decision made through another
worker (or another sidecar on the same Redis) is seen by re-reading the store every
`poll_s` (0.25 s on Redis; 1 s in memory, where only this worker can decide, for expiry),
so a waiter costs one small read per interval, never a spin.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from railguard.engine.approvals import ApprovalError, Approvals, Record
from railguard.engine.events import Event, EventError, event_from_dict
from railguard.engine.problems import Problem, invalid_event
from railguard.engine.stores import StoreError
from railguard.engine.verdict import ESCALATE, Verdict, Violation

if TYPE_CHECKING:
    from railguard.engine.guard import Guard
    from railguard.engine.server import Sidecar

log = logging.getLogger("railguard.approvals")
T = TypeVar("T")

DEFAULT_APPROVER_TOKEN_ENV = "RAILGUARD_APPROVER_TOKEN"
MAX_WAIT_S = 60.0
_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
JSON_TYPE = "application/json"


def approver_token(config: Any) -> str | ValueError | None:
    """The approvers' token: `approver_token_file`, else `$RAILGUARD_APPROVER_TOKEN` (or the
    variable `approver_token_env` names); None when neither is set (approvals cannot be
    decided through the sidecar)."""
    path = getattr(config, "approver_token_file", None)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            return ValueError(f"cannot read the approver token file `{path}`: {exc.strerror}")
        if not text:
            return ValueError(f"the approver token file `{path}` is empty")
        return text
    env = getattr(config, "approver_token_env", DEFAULT_APPROVER_TOKEN_ENV)
    return os.environ.get(env, "").strip() or None


class Waiters:
    """One `asyncio.Event` per waiting request, in this worker."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    def wake(self, approval_id: str) -> None:
        for event in self._events.get(approval_id, ()):
            event.set()

    async def wait(self, approval_id: str, seconds: float) -> None:
        event = asyncio.Event()
        self._events.setdefault(approval_id, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            waiting = self._events.get(approval_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._events[approval_id]


class ApprovalService:
    """The approval path of one sidecar worker."""

    def __init__(self, sidecar: Sidecar, clock: Callable[[], float] = time.time) -> None:
        config = sidecar.config
        self.sidecar = sidecar
        token = approver_token(config)
        if isinstance(token, ValueError):
            raise SystemExit(f"railguard serve: {token}")
        agent = sidecar._token
        if token is not None and agent is not None and hmac.compare_digest(token.encode(), agent):
            raise SystemExit(
                "railguard serve: the approver token must differ from the agents' token"
            )
        self.token = token.encode() if token else None
        self.approvals = Approvals.from_store(
            sidecar.sessions,
            ttl_s=float(getattr(config, "approval_ttl", 3600.0)),
            clock=clock,
            on_change=self._changed,
        )
        self.poll_s = 0.25 if self.approvals.blocking else 1.0
        self.waiters = Waiters()
        self.webhook: Any = None
        url = getattr(config, "approval_webhook", None)
        if url:
            from railguard.engine.approvals_webhook import Webhook

            self.webhook = Webhook(url, page_url=getattr(config, "approval_page_url", None))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task[None] | None = None

    # -- lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._sweeper = self._loop.create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self.webhook is not None:
            await self.webhook.close()

    async def _sweep(self) -> None:
        """Expire requests and approvals whose time is up, so that expiry is on the record
        even when nobody asks."""
        interval = min(2.0, max(0.2, self.approvals.ttl_s / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                await self._run(self.approvals.expire_due)
            except StoreError as exc:
                log.warning("cannot expire approvals: %s", exc)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.approvals.blocking:
            return await anyio.to_thread.run_sync(lambda: fn(*args))
        return fn(*args)

    # -- what every transition does: the audit record, the waiters, the webhook

    def _changed(self, action: str, record: Record, extra: dict[str, Any]) -> None:
        self._audit(action, record, extra)
        loop = self._loop
        if loop is None:
            return
        if action != "requested":
            self._on_loop(loop, self.waiters.wake, record["id"])
        elif self.webhook is not None:
            self._on_loop(loop, self.webhook.announce, record)

    @staticmethod
    def _on_loop(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], arg: Any) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(arg)
        else:
            loop.call_soon_threadsafe(fn, arg)

    def _audit(self, action: str, record: Record, extra: dict[str, Any]) -> None:
        log_ = self.sidecar.audit
        if log_ is None:
            return
        now = time.time()
        entry: dict[str, Any] = {
            "id": f"{record['id']}:{action}",
            "time": _iso(now),
            "ts": now,
            "kind": "approval",
            "action": action,
            "approval": record["id"],
            "status": record["status"],
            "tool": record.get("tool"),
            "session": record.get("session"),
            "rule": record.get("rule"),
            "binding": record.get("binding"),
        }
        if action == "requested":
            entry["message"] = record.get("message")
            entry["requested_at"] = _iso(record["requested_at"])
            entry["expires_at"] = _iso(record["expires_at"])
        elif action in ("approved", "denied"):
            entry["by"] = record.get("decided_by")
            entry["comment"] = record.get("comment")
            entry["expires_at"] = _iso(record["expires_at"])
        entry.update(extra)
        try:
            for sink in log_.sinks:
                sink.write(entry)
        except Exception:
            log.exception("cannot write the approval record %s", entry["id"])

    # -- verdicts

    async def on_verdicts(
        self, guard: Guard, events: list[Event], verdicts: list[Verdict]
    ) -> list[Verdict]:
        """Escalated verdicts: allow when an unused approval for the same event exists (it is
        used up), else an approval request is made and the verdict stays escalate."""
        if not any(v.decision == ESCALATE for v in verdicts):
            return verdicts
        return await self._run(self._escalated, guard, events, verdicts)

    def _escalated(
        self, guard: Guard, events: list[Event], verdicts: list[Verdict]
    ) -> list[Verdict]:
        out = []
        for event, verdict in zip(events, verdicts, strict=True):
            if verdict.decision != ESCALATE:
                out.append(verdict)
                continue
            try:
                used = self.approvals.redeem_matching(event, verdict.decision_id)
                if used is not None:
                    used._id = verdict.decision_id
                    used.policy_digest = verdict.policy_digest
                    used.warnings = (*verdict.warnings, *used.warnings)
                    out.append(used)
                    continue
                self.approvals.request(event, verdict, guard.redacted)
            except StoreError as exc:
                verdict.warnings = (
                    *verdict.warnings,
                    Violation(
                        "railguard.approval",
                        "railguard",
                        "warn",
                        f"no approval request could be made: {exc}",
                        "<approval>",
                        error=str(exc),
                    ),
                )
            out.append(verdict)
        return out

    # -- authentication

    def _approver(self, request: Request) -> Response | None:
        if self.token is None:
            return self.sidecar.problem(
                Problem(
                    403,
                    "approvals_disabled",
                    "no approver token is configured (approver_token_file or $RAILGUARD_APPROVER_TOKEN)",
                )
            )
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode("utf-8", "surrogateescape"), self.token
        ):
            return None
        return self.sidecar.problem(
            Problem(401, "unauthorized", "the approver token is required", field="Authorization"),
            {"WWW-Authenticate": 'Bearer realm="railguard-approvers"'},
        )

    def check_approver_token(self, value: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            value.strip().encode("utf-8", "surrogateescape"), self.token
        )

    # -- endpoints

    async def list_(self, request: Request) -> Response:
        refused = self._approver(request)
        if refused is not None:
            return refused
        status = request.query_params.get("status", "pending")
        if status not in ("pending", "approved", "denied", "used", "expired", "all"):
            return self.sidecar.problem(
                Problem(
                    400,
                    "invalid_query",
                    "`status` is one of pending, approved, denied, used, expired, all",
                    field="status",
                )
            )
        limit_text = request.query_params.get("limit", "100")
        if not (limit_text.isascii() and limit_text.isdigit() and 1 <= int(limit_text) <= 500):
            return self.sidecar.problem(
                Problem(
                    400, "invalid_query", "`limit` is a whole number from 1 to 500", field="limit"
                )
            )
        try:
            found = await self._run(
                self.approvals.list, None if status == "all" else status, int(limit_text)
            )
        except StoreError as exc:
            return self._store_down(exc)
        return _json({"approvals": [public(r) for r in found]})

    async def show(self, request: Request) -> Response:
        refused = self._approver(request)
        if refused is not None:
            return refused
        found = await self._get(request.path_params["id"])
        if isinstance(found, Response):
            return found
        return _json(public(found))

    async def decide(self, request: Request) -> Response:
        refused = self._approver(request)
        if refused is not None:
            return refused
        data = await self.sidecar._json_body(request)
        if isinstance(data, Problem):
            return self.sidecar.problem(data)
        bad = _decision_problem(data)
        if bad is not None:
            return self.sidecar.problem(bad)
        approval_id = request.path_params["id"]
        if not _ID.fullmatch(approval_id):
            return self._not_found(approval_id)
        try:
            record = await self._run(
                self.approvals.decide,
                approval_id,
                data["action"] == "approve",
                data["by"],
                data.get("comment") or "",
            )
        except ApprovalError as exc:
            return self.sidecar.problem(Problem(exc.status, exc.code, exc.detail))
        except StoreError as exc:
            return self._store_down(exc)
        return _json(public(record))

    async def wait(self, request: Request) -> Response:
        refused = self.sidecar._unauthorized(request)
        if refused is not None:
            return refused
        text = request.query_params.get("timeout", "30")
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_WAIT_S:
            return self.sidecar.problem(
                Problem(
                    400,
                    "invalid_query",
                    f"`timeout` is a number of seconds from 0 to {MAX_WAIT_S:g}",
                    field="timeout",
                )
            )
        approval_id = request.path_params["id"]
        found = await self._get(approval_id)
        if isinstance(found, Response):
            return found
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        record: Record = found
        while record["status"] == "pending":
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            until_expiry = record["expires_at"] - self.approvals.clock() + 0.01
            await self.waiters.wait(
                approval_id, max(0.01, min(remaining, self.poll_s, until_expiry))
            )
            again = await self._get(approval_id)
            if isinstance(again, Response):
                return again
            record = again
        return _json(public(record))

    async def redeem(self, request: Request) -> Response:
        refused = self.sidecar._unauthorized(request)
        if refused is not None:
            return refused
        event: Event | None = None
        if (request.headers.get("content-length") or "0") != "0":
            data = await self.sidecar._json_body(request)
            if isinstance(data, Problem):
                return self.sidecar.problem(data)
            if not isinstance(data, dict) or not set(data) <= {"event"}:
                return self.sidecar.problem(
                    Problem(
                        400, "invalid_body", 'the body is {} or {"event": EVENT}', field="event"
                    )
                )
            if data.get("event") is not None:
                try:
                    event = event_from_dict(data["event"], "<request event>")
                except EventError as exc:
                    return self.sidecar.problem(invalid_event(exc, prefix="event"))
        approval_id = request.path_params["id"]
        if not _ID.fullmatch(approval_id):
            return self._not_found(approval_id)
        try:
            verdict = await self._run(self.approvals.redeem, approval_id, event)
        except ApprovalError as exc:
            return self.sidecar.problem(Problem(exc.status, exc.code, exc.detail))
        except StoreError as exc:
            return self._store_down(exc)
        return _json(verdict.to_dict())

    async def _get(self, approval_id: str) -> Record | Response:
        if not _ID.fullmatch(approval_id):
            return self._not_found(approval_id)
        try:
            record = await self._run(self.approvals.get, approval_id)
        except StoreError as exc:
            return self._store_down(exc)
        return record if record is not None else self._not_found(approval_id)

    def _not_found(self, approval_id: str) -> Response:
        shown = approval_id if len(approval_id) <= 80 else approval_id[:77] + "..."
        return self.sidecar.problem(Problem(404, "approval_not_found", f"no approval `{shown}`"))

    def _store_down(self, exc: StoreError) -> Response:
        return self.sidecar.problem(Problem(503, "store_unavailable", str(exc)))

    def routes(self) -> list[BaseRoute]:
        from railguard.engine.approvals_ui import ApprovalPage

        page = ApprovalPage(self)
        return [
            Route("/v1/approvals", self.list_, methods=["GET"]),
            Route("/v1/approvals/{id}", self.show, methods=["GET"]),
            Route("/v1/approvals/{id}", self.decide, methods=["POST"]),
            Route("/v1/approvals/{id}/wait", self.wait, methods=["GET"]),
            Route("/v1/approvals/{id}/redeem", self.redeem, methods=["POST"]),
            *page.routes(),
        ]


def public(record: Record) -> Record:
    """A record as the API shows it: times also in ISO 8601."""
    out = dict(record)
    for name in ("requested_at", "expires_at", "decided_at", "used_at"):
        value = record.get(name)
        out[name + "_iso"] = _iso(value) if isinstance(value, int | float) else None
    return out


def _decision_problem(data: Any) -> Problem | None:
    if not isinstance(data, dict) or not set(data) <= {"action", "by", "comment"}:
        return Problem(
            400,
            "invalid_decision",
            'a decision is {"action": "approve" or "deny", "by": NAME, "comment": TEXT}',
        )
    if data.get("action") not in ("approve", "deny"):
        return Problem(400, "invalid_decision", "`action` is approve or deny", field="action")
    by = data.get("by")
    if not isinstance(by, str) or not by.strip() or len(by) > 200:
        return Problem(
            400, "invalid_decision", "`by` names the approver (1 to 200 characters)", field="by"
        )
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
        return Problem(
            400, "invalid_decision", "`comment` is text of at most 2000 characters", field="comment"
        )
    return None


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


def _json(data: Any) -> Response:
    import json

    return Response(json.dumps(data).encode(), media_type=JSON_TYPE)
