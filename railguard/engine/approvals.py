"""Human approval of escalated events: requests, decisions and their one-time use.

An `escalate` verdict becomes an approval **request** (its id is the verdict's
`decision_id`): the event with secrets masked, the escalating rule and its message, when it
was requested and when it expires. An approver approves or denies it (who, when, a
comment). An approval binds to the exact event: its kind, tool, canonical arguments (or
content) and session (`binding`); it is **used once**, by the agent that waited for it
(`redeem`) or by the identical event submitted again in the same session
(`redeem_matching`), and it expires: a request nobody decided, or an approval nobody used,
before `expires_at` turns `expired`, which answers deny.

    pending --approve--> approved --use--> used
       |                    |
       +--deny--> denied    +--(expires_at passes)--> expired
       +--(expires_at passes)--> expired

Every transition is a compare-and-set on a versioned record (`ApprovalBackend.save`), so two
approvers, two agents or two sidecars on one Redis never both win: exactly one use of one
approval succeeds. `on_change(action, record, extra)` is called once per transition that
succeeded (the sidecar audits and wakes waiting agents with it); refused uses are reported
too (`use_refused`).

Backends: `MemoryApprovals` (this process) and `approvals_redis.RedisApprovals` (shared by
every sidecar on one Redis); `Approvals.from_store()` picks the one matching the session
store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from railguard.engine.events import Event
from railguard.engine.session_state import fingerprint
from railguard.engine.stateful import session_key
from railguard.engine.verdict import ALLOW, DENY, ESCALATE, Verdict, Violation

Record = dict[str, Any]
Clock = Callable[[], float]
OnChange = Callable[[str, Record, dict[str, Any]], None]

STATUSES = ("pending", "approved", "denied", "used", "expired")
DEFAULT_TTL_S = 3600.0  # a request waits an hour for a decision; an approval, an hour for its use
RETENTION_S = 7 * 86_400.0  # records are kept a week after their request
MAX_CAS = 100  # compare-and-set rounds before giving up
RULE = "railguard.approval"  # the rule id of the violations and warnings approvals add


class ApprovalError(Exception):
    """An approver's action that cannot be done: `status` and `code` as the sidecar answers."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class ApprovalBackend(Protocol):
    """Versioned approval records: create, load, compare-and-set, and two indexes."""

    blocking: bool  # calls wait on the network (run them off an event loop)

    def create(self, record: Record, retention_s: float) -> None: ...

    def load(self, approval_id: str) -> tuple[int, Record | None]: ...

    def save(self, approval_id: str, version: int, record: Record) -> bool:
        """Write `record` if the stored version is still `version`."""
        ...

    def recent(self, limit: int) -> list[tuple[int, Record]]:
        """The newest records first, with their versions."""
        ...

    def bound(self, binding: str) -> list[str]:
        """The ids of the requests made for one binding (same event, same session)."""
        ...

    def close(self) -> None: ...


class MemoryApprovals:
    """Records in this process's memory (one engine, or one sidecar worker), bounded."""

    blocking = False

    def __init__(self, max_records: int = 10_000) -> None:
        self.max_records = max_records
        self._lock = threading.Lock()
        self._data: OrderedDict[str, tuple[int, Record]] = OrderedDict()
        self._bound: dict[str, list[str]] = {}

    def create(self, record: Record, retention_s: float) -> None:
        with self._lock:
            self._data[record["id"]] = (1, dict(record))
            self._bound.setdefault(record["binding"], []).append(record["id"])
            while len(self._data) > self.max_records:
                _, (_, old) = self._data.popitem(last=False)
                ids = self._bound.get(old["binding"], [])
                if old["id"] in ids:
                    ids.remove(old["id"])
                if not ids:
                    self._bound.pop(old["binding"], None)

    def load(self, approval_id: str) -> tuple[int, Record | None]:
        with self._lock:
            entry = self._data.get(approval_id)
            return (entry[0], dict(entry[1])) if entry is not None else (0, None)

    def save(self, approval_id: str, version: int, record: Record) -> bool:
        with self._lock:
            entry = self._data.get(approval_id)
            if entry is None or entry[0] != version:
                return False
            self._data[approval_id] = (version + 1, dict(record))
            return True

    def recent(self, limit: int) -> list[tuple[int, Record]]:
        with self._lock:
            items = list(self._data.values())[-limit:]
        return [(v, dict(r)) for v, r in reversed(items)]

    def bound(self, binding: str) -> list[str]:
        with self._lock:
            return list(self._bound.get(binding, ()))

    def close(self) -> None:
        with self._lock:
            self._data.clear()
            self._bound.clear()


def binding_of(event: Event) -> str:
    """What an approval binds to: session (with tenant), kind, tool and the fingerprint of
    the canonical arguments (or content). Events without a session id bind without one."""
    if event.kind == "call":
        print_ = fingerprint(str(event.tool), event.args)
    else:
        print_ = fingerprint(f"{event.kind}:{event.tool or ''}", event.content)
    return f"{session_key(event) or '-'}|{event.kind}|{event.tool or ''}|{print_}"


def mask_secrets(value: Any) -> Any:
    """`value` with every credential in every string masked (`<GITHUB_TOKEN>`)."""
    from railguard.builtins.pii import credentials, masking
    from railguard.engine.payload import apply_redactor

    def redactor(text: str) -> list[tuple[int, int, str]]:
        spans = [
            masking.Span(h.kind.upper(), h.start, h.end, h.score) for h in credentials.find(text)
        ]
        return masking.redactions(text, spans, "tag")

    masked, _ = apply_redactor(value, redactor, "")
    return masked


class Approvals:
    """Approval requests on a backend: create, decide, use once, expire.

    `clock` is injectable for tests; `ttl_s` is how long a request waits for a decision and,
    once approved, how long the approval waits for its use.
    """

    def __init__(
        self,
        backend: ApprovalBackend | None = None,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Clock = time.time,
        on_change: OnChange | None = None,
    ) -> None:
        self.backend: ApprovalBackend = backend if backend is not None else MemoryApprovals()
        self.ttl_s = ttl_s
        self.clock = clock
        self.on_change = on_change

    @classmethod
    def from_store(cls, store: Any, **kwargs: Any) -> Approvals:
        """Approvals kept where `store` (a session store) keeps sessions: Redis or memory."""
        from railguard.engine.redis_store import RedisStore

        if isinstance(store, RedisStore):
            from railguard.engine.approvals_redis import RedisApprovals

            return cls(RedisApprovals(store._client, store.prefix), **kwargs)
        return cls(MemoryApprovals(), **kwargs)

    @property
    def blocking(self) -> bool:
        return self.backend.blocking

    def _emit(self, action: str, record: Record, **extra: Any) -> None:
        if self.on_change is not None:
            self.on_change(action, record, extra)

    # -- requests

    def request(
        self, event: Event, verdict: Verdict, redact: Callable[[Event], Event] | None = None
    ) -> Record:
        """Record the approval request of an escalated verdict (its id is the decision id).
        The stored event has the policies' redactions applied (`redact`) and secrets masked."""
        now = self.clock()
        shown = redact(event) if redact is not None else event
        reasons = [v for v in verdict.violations if v.effect == ESCALATE] or list(
            verdict.violations
        )
        first = reasons[0] if reasons else None
        record: Record = {
            "id": verdict.decision_id,
            "status": "pending",
            "kind": event.kind,
            "tool": event.tool,
            "session": event.session,
            "tenant": _tenant(event),
            "session_key": session_key(event),
            "binding": binding_of(event),
            "event": mask_secrets(shown.to_dict()),
            "rule": first.rule if first else None,
            "policy": first.policy if first else None,
            "message": first.message if first else "",
            "reasons": [mask_secrets(v.to_dict()) for v in reasons],
            "policy_digest": verdict.policy_digest,
            "requested_at": now,
            "expires_at": now + self.ttl_s,
            "decided_by": None,
            "decided_at": None,
            "comment": None,
            "used_at": None,
            "used_by": None,
        }
        self.backend.create(record, RETENTION_S)
        self._emit("requested", record)
        return record

    def get(self, approval_id: str) -> Record | None:
        """One record (turned `expired` first when its time is up)."""
        version, record = self.backend.load(approval_id)
        if record is None:
            return None
        return self._expire(approval_id, version, record)

    def list(self, status: str | None = "pending", limit: int = 200) -> list[Record]:
        """Records newest first, of one status (None: all)."""
        out = []
        for version, record in self.backend.recent(max(limit * 4, limit)):
            record = self._expire(record["id"], version, record)
            if status is None or record["status"] == status:
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    def expire_due(self) -> int:
        """Turn every pending or approved record past `expires_at` `expired`; how many."""
        count = 0
        for version, record in self.backend.recent(10_000):
            due = (
                record["status"] in ("pending", "approved") and record["expires_at"] <= self.clock()
            )
            if due and self._expire(record["id"], version, record)["status"] == "expired":
                count += 1
        return count

    def _expire(self, approval_id: str, version: int, record: Record) -> Record:
        for _ in range(MAX_CAS):
            if record["status"] not in ("pending", "approved"):
                return record
            if record["expires_at"] > self.clock():
                return record
            updated = {**record, "status": "expired"}
            if self.backend.save(approval_id, version, updated):
                self._emit("expired", updated, was=record["status"])
                return updated
            version, fresh = self.backend.load(approval_id)
            if fresh is None:
                return record
            record = fresh
        return record

    # -- approvers

    def decide(self, approval_id: str, approve: bool, by: str, comment: str = "") -> Record:
        """Approve or deny a pending request; `ApprovalError` when it is not pending."""
        for _ in range(MAX_CAS):
            version, record = self.backend.load(approval_id)
            if record is None:
                raise ApprovalError(404, "approval_not_found", f"no approval `{approval_id}`")
            record = self._expire(approval_id, version, record)
            if record["status"] != "pending":
                raise ApprovalError(
                    409,
                    "approval_" + record["status"],
                    f"approval `{approval_id}` is {record['status']}, no longer pending",
                )
            now = self.clock()
            updated = {
                **record,
                "status": "approved" if approve else "denied",
                "decided_by": by,
                "decided_at": now,
                "comment": comment,
            }
            if approve:  # the approval waits `ttl_s` for its use
                updated["expires_at"] = now + self.ttl_s
            if self.backend.save(approval_id, version, updated):
                self._emit("approved" if approve else "denied", updated)
                return updated
        raise ApprovalError(409, "approval_busy", f"approval `{approval_id}` kept changing")

    # -- agents

    def redeem(self, approval_id: str, event: Event | None = None, use_id: str = "") -> Verdict:
        """Use approval `approval_id` once: allow when it is approved, unused, unexpired and
        (when `event` is given) bound to that event; deny when it was denied, expired, used
        or is bound to another event; escalate while it is pending."""
        for _ in range(MAX_CAS):
            version, record = self.backend.load(approval_id)
            if record is None:
                raise ApprovalError(404, "approval_not_found", f"no approval `{approval_id}`")
            record = self._expire(approval_id, version, record)
            status = record["status"]
            if (
                status == "approved"
                and event is not None
                and binding_of(event) != record["binding"]
            ):
                why = "the approval is bound to another event (tool, arguments or session)"
                self._emit("use_refused", record, reason=why)
                return _verdict(record, DENY, why)
            if status == "used":
                why = f"the approval was already used (by {record['used_by']})"
                self._emit("use_refused", record, reason=why)
                return _verdict(record, DENY, why)
            if status != "approved":
                return _verdict(record, ESCALATE if status == "pending" else DENY, None)
            verdict = _verdict(record, ALLOW, None)
            updated = {
                **record,
                "status": "used",
                "used_at": self.clock(),
                "used_by": use_id or verdict.decision_id,
            }
            if self.backend.save(approval_id, version, updated):
                self._emit("used", updated, decision_id=updated["used_by"])
                return verdict
        raise ApprovalError(409, "approval_busy", f"approval `{approval_id}` kept changing")

    def redeem_matching(self, event: Event, use_id: str) -> Verdict | None:
        """The allow verdict of an approved, unused approval for this exact event (used up
        by this call), or None when there is none."""
        binding = binding_of(event)
        for approval_id in reversed(self.backend.bound(binding)):
            for _ in range(MAX_CAS):
                version, record = self.backend.load(approval_id)
                if record is None or record["binding"] != binding:
                    break
                record = self._expire(approval_id, version, record)
                if record["status"] != "approved":
                    break
                updated = {**record, "status": "used", "used_at": self.clock(), "used_by": use_id}
                if self.backend.save(approval_id, version, updated):
                    self._emit("used", updated, decision_id=use_id)
                    return _verdict(updated, ALLOW, None)
        return None


def _tenant(event: Event) -> str | None:
    tenant = event.context.get("tenant") if event.context else None
    return tenant if isinstance(tenant, str) else None


def _verdict(record: Record, decision: str, why: str | None = None) -> Verdict:
    """The verdict an approval gives: allow with a warning naming the approver, deny or
    escalate with a `railguard.approval` violation saying why."""
    status = record["status"]
    details = {
        "approval": record["id"],
        "status": status,
        "decided_by": record.get("decided_by"),
        "comment": record.get("comment"),
    }
    if decision == ALLOW:
        message = f"approved by {record['decided_by']}" + (
            f": {record['comment']}" if record.get("comment") else ""
        )
    elif why is not None:
        message = why
    elif status == "pending":
        message = f"approval `{record['id']}` is still pending"
    elif status == "denied":
        message = f"denied by {record['decided_by']}" + (
            f": {record['comment']}" if record.get("comment") else ""
        )
    else:
        message = f"approval `{record['id']}` {status}"
    effect = "warn" if decision == ALLOW else decision
    v = Violation(RULE, "railguard", effect, message, "<approval>", details)
    verdict = Verdict(
        decision,
        () if decision == ALLOW else (v,),
        (v,) if decision == ALLOW else (),
        record.get("policy_digest") or "",
        0.0,
        record["kind"],
        record.get("tool"),
    )
    return verdict
