"""`railguard.Client` and `railguard.AsyncClient`: `Guard.evaluate()` over HTTP.

Same signature, same `Verdict` type, same JSON. One pooled connection per client (keep-alive),
so create one client and share it. When the sidecar cannot answer (timeout, connection
refused or reset, a 5xx, a body that is not a verdict) the client fails closed: a `deny`
verdict with a `railguard.sidecar` violation carrying `error`, unless it was created with
`fail_open=True`, in which case the verdict is `allow` with that violation as a warning.
An invalid event raises `EventError`, as in-process; other refusals (401, 413) deny.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from railguard.engine import otel as _otel
from railguard.engine.events import BaseEvent, Event, EventError
from railguard.engine.verdict import ALLOW, DENY, Verdict, Violation
from railguard.policylang.diagnostics import Diagnostic, Severity
from railguard.policylang.span import Span

DEFAULT_URL = "http://127.0.0.1:8181"
_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_OTEL = _otel.STATE  # with a tracer, requests carry the caller's `traceparent`


class _Base:
    def __init__(self, url: str, token: str | None, timeout: float, fail_open: bool) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.fail_open = fail_open
        self._headers = dict(_HEADERS)
        if token:
            self._headers["authorization"] = f"Bearer {token}"
        _otel.refresh()

    def _encode(self, event: Event | Mapping[str, Any]) -> bytes | str:
        data = event.to_dict() if isinstance(event, BaseEvent) else dict(event)
        try:
            return json.dumps(data, allow_nan=False).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as exc:
            return f"the event is not JSON: {exc}"

    def _unavailable(
        self, event: Event | Mapping[str, Any], cause: str, closed: bool = False
    ) -> Verdict:
        """A verdict the client makes itself: deny, or allow with a warning if fail_open."""
        if isinstance(event, BaseEvent):
            kind, tool = event.kind, event.tool
        else:
            kind, tool = str(event.get("kind", "")), event.get("tool")
        open_ = self.fail_open and not closed
        v = Violation(
            rule="railguard.sidecar",
            policy="railguard",
            effect="warn" if open_ else "deny",
            message=f"no verdict from the sidecar at {self.url}: {cause}",
            location="<client>",
            error=cause,
        )
        return Verdict(
            ALLOW if open_ else DENY,
            () if open_ else (v,),
            (v,) if open_ else (),
            "",
            0.0,
            kind,
            tool if isinstance(tool, str) else None,
        )

    def _verdicts(
        self, response: httpx.Response, events: list[Event | Mapping[str, Any]], batch: bool
    ) -> list[Verdict]:
        status = response.status_code
        if status >= 500:
            return [self._unavailable(e, f"HTTP {status}: {_detail(response)}") for e in events]
        if status != 200:
            problem = _json(response)
            if (
                status == 400
                and isinstance(problem, dict)
                and problem.get("code") == "invalid_event"
            ):
                raise EventError(_diagnostics(problem))
            return [
                self._unavailable(e, f"HTTP {status}: {_detail(response)}", closed=True)
                for e in events
            ]
        data = _json(response)
        try:
            items = data["verdicts"] if batch else [data]
            verdicts = [Verdict.from_dict(item) for item in items]
        except (KeyError, TypeError, ValueError):
            return [self._unavailable(e, "the response is not a verdict") for e in events]
        if len(verdicts) != len(events):
            return [
                self._unavailable(e, "the response has the wrong number of verdicts")
                for e in events
            ]
        return verdicts


class Client(_Base):
    """A synchronous client of `railguard serve`; thread-safe, reuses connections."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        timeout: float = 2.0,
        *,
        fail_open: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(url, token, timeout, fail_open)
        self._http = httpx.Client(
            timeout=timeout,
            headers=self._headers,
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=32, keepalive_expiry=30),
            trust_env=False,
        )

    def evaluate(self, event: Event | Mapping[str, Any]) -> Verdict:
        """Decide on one event, as `Guard.evaluate()` would."""
        body = self._encode(event)
        if isinstance(body, str):
            return self._unavailable(event, body, closed=True)
        try:
            response = self._http.post(self.url + "/v1/evaluate", content=body, headers=_trace())
        except httpx.HTTPError as exc:
            return self._unavailable(event, _cause(exc))
        return self._verdicts(response, [event], batch=False)[0]

    def evaluate_batch(self, events: Iterable[Event | Mapping[str, Any]]) -> list[Verdict]:
        """Decide on many events in one request; verdicts in the same order."""
        items = list(events)
        bodies = [self._encode(e) for e in items]
        bad = next((b for b in bodies if isinstance(b, str)), None)
        if bad is not None:
            return [self._unavailable(e, bad, closed=True) for e in items]
        payload = b'{"events": [' + b", ".join(b for b in bodies if isinstance(b, bytes)) + b"]}"
        try:
            response = self._http.post(
                self.url + "/v1/evaluate/batch", content=payload, headers=_trace()
            )
        except httpx.HTTPError as exc:
            return [self._unavailable(e, _cause(exc)) for e in items]
        return self._verdicts(response, items, batch=True)

    def policies(self) -> dict[str, Any]:
        """`GET /v1/policies`: the serving set's digest, policies and the last refused reload."""
        response = self._http.get(self.url + "/v1/policies")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reload(self) -> dict[str, Any]:
        """`POST /v1/reload`; the outcome, or the problem body when the new set was refused."""
        response = self._http.post(self.url + "/v1/reload")
        result: dict[str, Any] = response.json()
        return result

    def wait_for_approval(
        self,
        decision_id: str,
        timeout: float = 300.0,
        event: Event | Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Wait (long poll, no busy loop) for a human to decide on an escalated verdict, then
        use the approval once: allow, deny, or escalate if still pending at `timeout`."""
        from railguard.engine.approvals_client import wait_for_approval

        return wait_for_approval(self, decision_id, timeout, event)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base):
    """The asyncio client: `await client.evaluate(event)`."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        timeout: float = 2.0,
        *,
        fail_open: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, token, timeout, fail_open)
        self._http = httpx.AsyncClient(
            timeout=timeout,
            headers=self._headers,
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=32, keepalive_expiry=30),
            trust_env=False,
        )

    async def evaluate(self, event: Event | Mapping[str, Any]) -> Verdict:
        body = self._encode(event)
        if isinstance(body, str):
            return self._unavailable(event, body, closed=True)
        try:
            response = await self._http.post(
                self.url + "/v1/evaluate", content=body, headers=_trace()
            )
        except httpx.HTTPError as exc:
            return self._unavailable(event, _cause(exc))
        return self._verdicts(response, [event], batch=False)[0]

    async def evaluate_batch(self, events: Iterable[Event | Mapping[str, Any]]) -> list[Verdict]:
        items = list(events)
        bodies = [self._encode(e) for e in items]
        bad = next((b for b in bodies if isinstance(b, str)), None)
        if bad is not None:
            return [self._unavailable(e, bad, closed=True) for e in items]
        payload = b'{"events": [' + b", ".join(b for b in bodies if isinstance(b, bytes)) + b"]}"
        try:
            response = await self._http.post(
                self.url + "/v1/evaluate/batch", content=payload, headers=_trace()
            )
        except httpx.HTTPError as exc:
            return [self._unavailable(e, _cause(exc)) for e in items]
        return self._verdicts(response, items, batch=True)

    async def wait_for_approval(
        self,
        decision_id: str,
        timeout: float = 300.0,
        event: Event | Mapping[str, Any] | None = None,
    ) -> Verdict:
        """`Client.wait_for_approval`, awaited."""
        from railguard.engine.approvals_client import wait_for_approval_async

        return await wait_for_approval_async(self, decision_id, timeout, event)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _trace() -> dict[str, str] | None:
    """The caller's trace context (`traceparent`), when OpenTelemetry records spans."""
    return _otel.inject() if _OTEL.recorder is not None else None


def _cause(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    data = _json(response)
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return str(data["detail"])
    return response.reason_phrase or "error"


def _diagnostics(problem: dict[str, Any]) -> list[Diagnostic]:
    out = []
    for e in problem.get("errors") or ():
        if not isinstance(e, dict):
            continue
        out.append(
            Diagnostic(
                str(e.get("code", "RG403")),
                str(e.get("message", "")),
                Span(str(e.get("file", "<event>")), 0, 0, 0, 0, 0, 0),
                Severity.ERROR,
            )
        )
    return out or [
        Diagnostic("RG403", str(problem.get("detail")), Span("<event>", 0, 0, 0, 0, 0, 0))
    ]
