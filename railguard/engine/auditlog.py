"""The decision log: one record per verdict, handed to sinks.

`DecisionLog.record(event, verdict)` turns a verdict into a JSON-ready record (decision id,
time, policy digest and version, event kind, tool, session, the event's `context.model`
when it is a string, decision, violated rules, warnings, timing) with the event's payload
stored as the configuration says:

| `payloads` | what the record holds of the event |
|---|---|
| `none` | nothing |
| `hash` (default) | `sha256:` of the canonical JSON of the event |
| `redacted` | the event after the policy's redactions (its own text when nothing was redacted) |
| `full` | the event as it came |

Sinks receive each record: `JsonlFile` (the embedded default, hash-chained, in
`auditfile.py`) or any object with `write(record)` and `close()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

from railguard.engine.events import Event
from railguard.engine.verdict import Verdict

PayloadMode = Literal["none", "hash", "redacted", "full"]
PAYLOAD_MODES: tuple[PayloadMode, ...] = ("none", "hash", "redacted", "full")


class AuditSink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


# Built once: `json.dumps` with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
).encode


def canonical(value: Any) -> bytes:
    """The JSON that hashes use: sorted keys, no spaces, UTF-8."""
    return _CANONICAL(value).encode("utf-8", "surrogatepass")


def sha256(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(value)).hexdigest()


class DecisionLog:
    """Builds a record for each verdict and writes it to every sink."""

    def __init__(
        self,
        sinks: Iterable[AuditSink],
        payloads: PayloadMode = "hash",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if payloads not in PAYLOAD_MODES:
            raise ValueError(
                f"`payloads` must be one of {', '.join(PAYLOAD_MODES)}, not `{payloads}`"
            )
        self.sinks = tuple(sinks)
        self.payloads = payloads
        self.clock = clock

    def record(
        self,
        event: Event,
        verdict: Verdict,
        redact: Callable[[Event], Event] | None = None,
        version: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Write the record of one verdict to every sink. `redact` applies the policies'
        redactions to an event whose verdict did not (a denied event is not rewritten);
        `version` is the policy set's version."""
        now = self.clock()
        record: dict[str, Any] = {
            "id": verdict.decision_id,
            "time": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="microseconds"),
            "ts": now,
            "policy_digest": verdict.policy_digest,
            "policy_version": version,
            "kind": event.kind,
            "tool": verdict.tool,
            "session": event.session,
            "decision": verdict.decision,
            "rules": [v.rule for v in verdict.violations],
            "violations": [v.to_dict() for v in verdict.violations],
            "warnings": [w.to_dict() for w in verdict.warnings],
            "elapsed_us": round(verdict.elapsed_us, 3),
        }
        model = event.context.get("model")
        if isinstance(model, str):  # `railguard drift` slices by model without the payload
            record["model"] = model
        if verdict.labels:
            record["labels"] = list(verdict.labels)
        if verdict.retry_after is not None:
            record["retry_after"] = verdict.retry_after
        if verdict.redactions:
            record["redactions"] = [r.to_dict() for r in verdict.redactions]
        if verdict.shadow is not None:
            shadow = verdict.shadow
            record["shadow"] = {
                "policy_digest": shadow.policy_digest,
                "decision": shadow.decision,
                "rules": [v.rule for v in shadow.violations],
                "agree": shadow.decision == verdict.decision,
            }
        payload = self._payload(event, verdict, redact)
        if payload is not None:
            record["payload" if self.payloads != "hash" else "payload_hash"] = payload
        record.update(extra)
        for sink in self.sinks:
            sink.write(record)
        return record

    def _payload(
        self, event: Event, verdict: Verdict, redact: Callable[[Event], Event] | None
    ) -> Any:
        mode = self.payloads
        if mode == "none":
            return None
        data = event.to_dict()
        if mode == "hash":
            return sha256(data)
        if mode == "redacted":
            if verdict.redactions:
                data[("args" if event.kind == "call" else "content")] = (
                    verdict.args if event.kind == "call" else verdict.content
                )
            elif redact is not None and verdict.denied:  # redactions were skipped
                data = redact(event).to_dict()
        return data

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
