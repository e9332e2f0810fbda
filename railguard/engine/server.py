"""`railguard serve`: the sidecar, a Starlette app on uvicorn (uvloop, httptools).

Plain Starlette, not FastAPI: measured on this project's 2-core machine with wrk at
concurrency 16, a FastAPI endpoint with a pydantic body served about 43% of a trivial
Starlette endpoint, and Starlette with `Guard.evaluate` behind it above 60% (see
docs/sidecar.md). Events are validated once, by `event_from_dict`, as in-process; the
OpenAPI document is written by hand (`openapi.py`).

Every refusal is a `Problem` rendered once; no request can crash a worker or get a 500
for bad input. Evaluation runs on the event loop (it takes microseconds); compiling runs
in the reloader's thread.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from railguard.engine import otel as _otel
from railguard.engine.approvals_http import ApprovalService
from railguard.engine.auditlog import DecisionLog
from railguard.engine.events import Event, EventError, event_from_dict
from railguard.engine.guard import Guard
from railguard.engine.metrics import CONTENT_TYPE as METRICS_TYPE
from railguard.engine.metrics import Metrics
from railguard.engine.openapi import document
from railguard.engine.problems import PROBLEM_TYPE, Problem, invalid_event, refused_policies
from railguard.engine.reloader import Reloader, default_compiler
from railguard.engine.serveconfig import ENV_CONFIG, ServeConfig
from railguard.engine.stores import open_store
from railguard.engine.verdict import Verdict
from railguard.engine.wire import parse_json, read_limited

log = logging.getLogger("railguard.serve")

JSON_TYPE = "application/json"
_dumps = json.dumps
_perf = time.perf_counter
_OTEL = _otel.STATE
Handler = Callable[[Request], Awaitable[Response]]


class Sidecar:
    """The app's state: settings, token, the reloader and the metrics."""

    def __init__(
        self, config: ServeConfig, token: str | None = None, reloader: Reloader | None = None
    ) -> None:
        self.config = config
        self._token = token.encode() if token else None
        self.metrics = Metrics()
        self._max_body = config.max_body_bytes
        self.sessions = open_store(config.sessions)
        compiler = default_compiler(config.allow_imports, config.schema_roots, self.sessions)
        self.reloader = reloader or Reloader(
            config.paths, compiler, interval=config.watch_interval, on_outcome=self.metrics.reload
        )
        self.shadow = (
            Reloader(config.shadow, compiler, interval=config.watch_interval)
            if config.shadow
            else None
        )
        self.audit = _decision_log(config)
        self.approvals = ApprovalService(self)  # escalations become approval requests
        # Evaluate off the event loop when it waits on Redis or on a disk sync.
        self._offload = self.sessions.blocking or (self.audit is not None and config.audit_fsync)
        self._serving: tuple[tuple[int, int], Guard] | None = None
        self._openapi = _dumps(
            document(
                max_batch=config.max_batch,
                authenticated=self._token is not None,
                approver=self.approvals.token is not None,
            )
        ).encode()

    # -- plumbing

    def guard(self) -> Guard | None:
        """The set serving, with the shadow set and the decision log attached."""
        active = self.reloader.guard
        if active is None or (self.shadow is None and self.audit is None):
            return active
        shadow = self.shadow.guard if self.shadow is not None else None
        key = (id(active), id(shadow))
        serving = self._serving
        if serving is None or serving[0] != key:
            combined = active.with_shadow(shadow) if shadow is not None else active
            serving = self._serving = (key, combined.with_audit(self.audit))
        return serving[1]

    async def _decide(
        self, guard: Guard, events: list[Event], headers: Mapping[str, str]
    ) -> list[Verdict]:
        """Evaluate the events (under the request's trace, off the loop when they wait on
        Redis or a disk sync), then settle escalations against approvals."""
        parent = _otel.attach(headers) if _OTEL.recorder is not None else None
        try:
            if self._offload or (guard.sessions is not None and guard.sessions.blocking):
                verdicts = await anyio.to_thread.run_sync(
                    lambda: [guard.evaluate(e) for e in events]
                )
            else:
                verdicts = [guard.evaluate(e) for e in events]
        finally:
            _otel.detach(parent)
        return await self.approvals.on_verdicts(guard, events, verdicts)

    def problem(self, p: Problem, headers: dict[str, str] | None = None) -> Response:
        self.metrics.error(p.status, p.code)
        return Response(p.body(), p.status, headers=headers, media_type=PROBLEM_TYPE)

    def _unauthorized(self, request: Request) -> Response | None:
        if self._token is None:
            return None
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode("utf-8", "surrogateescape"), self._token
        ):
            return None
        return self.problem(
            Problem(401, "unauthorized", "a valid bearer token is required", field="Authorization"),
            {"WWW-Authenticate": 'Bearer realm="railguard"'},
        )

    async def _json_body(self, request: Request) -> Any | Problem:
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) <= self._max_body
        ):
            body: bytes | Problem = await request.body()  # the server enforces the length
        else:
            body = await read_limited(request.stream(), declared, self._max_body)
        if isinstance(body, Problem):
            return body
        return parse_json(body, self.config.max_depth)

    # -- endpoints

    async def evaluate(self, request: Request) -> Response:
        start = _perf()
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        data = await self._json_body(request)
        if isinstance(data, Problem):
            return self.problem(data)
        guard = self.guard()
        if guard is None:
            return self.problem(_NOT_READY)
        try:
            event = event_from_dict(data, "<request>")
        except EventError as exc:
            return self.problem(invalid_event(exc))
        (verdict,) = await self._decide(guard, [event], request.headers)
        body = _dumps(verdict.to_dict()).encode()
        self.metrics.observe(verdict, _perf() - start)
        return Response(body, media_type=JSON_TYPE)

    async def evaluate_batch(self, request: Request) -> Response:
        start = _perf()
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        data = await self._json_body(request)
        if isinstance(data, Problem):
            return self.problem(data)
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(data, dict) or set(data) != {"events"} or not isinstance(events, list):
            return self.problem(
                Problem(
                    400,
                    "invalid_batch",
                    'a batch is a JSON object {"events": [event, ...]}',
                    field="events",
                )
            )
        if len(events) > self.config.max_batch:
            return self.problem(
                Problem(
                    400,
                    "batch_too_large",
                    f"a batch holds at most {self.config.max_batch} events, got {len(events)}",
                    field="events",
                )
            )
        guard = self.guard()
        if guard is None:
            return self.problem(_NOT_READY)
        parsed = []
        for i, item in enumerate(events):
            try:
                parsed.append(event_from_dict(item, f"<request events[{i}]>"))
            except EventError as exc:
                return self.problem(invalid_event(exc, prefix=f"events[{i}]"))
        done = await self._decide(guard, parsed, request.headers)  # one set for the whole batch
        verdicts = []
        for verdict in done:
            self.metrics.observe(verdict, _perf() - start)
            verdicts.append(verdict.to_dict())
        return Response(_dumps({"verdicts": verdicts}).encode(), media_type=JSON_TYPE)

    async def policies(self, request: Request) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        status = self.reloader.status()
        if self.shadow is not None:
            status["shadow"] = self.shadow.status()
        return Response(_dumps(status).encode(), media_type=JSON_TYPE)

    async def reload(self, request: Request) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        outcome = await anyio.to_thread.run_sync(self.reloader.reload, "POST /v1/reload")
        if outcome.outcome == "failure":
            return self.problem(refused_policies(outcome.diagnostics))
        body = {
            "outcome": outcome.outcome,
            "digest": outcome.digest,
            "diagnostics": [d.to_dict() for d in outcome.diagnostics],
        }
        return Response(_dumps(body).encode(), media_type=JSON_TYPE)

    async def healthz(self, request: Request) -> Response:
        return Response(b'{"status": "ok"}', media_type=JSON_TYPE)

    async def readyz(self, request: Request) -> Response:
        current = self.reloader.current
        body = {
            "ready": current is not None,
            "digest": current.guard.digest if current is not None else None,
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(current.loaded_at))
            if current is not None
            else None,
            "last_error": self.reloader.last_error is not None,
        }
        return Response(
            _dumps(body).encode(), 200 if current is not None else 503, media_type=JSON_TYPE
        )

    async def metrics_text(self, request: Request) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        guard = self.reloader.guard
        text = self.metrics.render(guard.digest if guard else None, guard is not None)
        return Response(text, media_type=METRICS_TYPE)

    async def openapi(self, request: Request) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        return Response(self._openapi, media_type=JSON_TYPE)

    # -- errors Starlette raises before a handler runs, and the unexpected

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        detail = f"no endpoint `{request.method} {request.url.path}`; see /openapi.json"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
        return self.problem(Problem(status, code, detail), headers)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return self.problem(Problem(500, "internal", "unexpected error; see the sidecar's log"))

    def app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            reloaders = [self.reloader, *([self.shadow] if self.shadow is not None else [])]
            for reloader in reloaders:
                if self.config.watch:
                    reloader.start()
                elif reloader.current is None:
                    await anyio.to_thread.run_sync(reloader.reload, "start")
            await self.approvals.start()
            try:
                yield
            finally:
                await self.approvals.stop()
                for reloader in reloaders:
                    reloader.stop()
                if self.audit is not None:
                    self.audit.close()

        routes = [
            Route("/v1/evaluate", self.evaluate, methods=["POST"]),
            Route("/v1/evaluate/batch", self.evaluate_batch, methods=["POST"]),
            Route("/v1/policies", self.policies, methods=["GET"]),
            Route("/v1/reload", self.reload, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics_text, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            *self.approvals.routes(),
        ]
        return Starlette(
            routes=routes,
            lifespan=lifespan,
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )


class FastPath:
    """`POST /v1/evaluate` straight to its handler; everything else through Starlette.

    The hot path skips the router and the exception middlewares (about a tenth of a
    request's cost in the load test), with the same handler and the same error handling.
    """

    def __init__(self, sidecar: Sidecar, app: Starlette) -> None:
        self.sidecar = sidecar
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/v1/evaluate"
            and scope["method"] == "POST"
        ):
            request = Request(scope, receive)
            try:
                response = await self.sidecar.evaluate(request)
            except Exception as exc:
                response = await self.sidecar._crash(request, exc)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


_NOT_READY = Problem(503, "not_ready", "no policy set has compiled yet; see /v1/policies")


def _decision_log(config: ServeConfig) -> DecisionLog | None:
    if config.audit is None:
        return None
    from railguard.engine.auditfile import JsonlFile

    sink = JsonlFile(
        config.audit,
        flush=config.audit_flush,  # type: ignore[arg-type]
        fsync=config.audit_fsync,
        rotate_bytes=config.audit_rotate_bytes,
    )
    return DecisionLog([sink], payloads=config.audit_payloads)  # type: ignore[arg-type]


def create_app(config: ServeConfig) -> ASGIApp:
    """The ASGI app for `config`; a token that cannot be read refuses to start."""
    token = config.token()
    if isinstance(token, ValueError):
        raise SystemExit(f"railguard serve: {token}")
    sidecar = Sidecar(config, token)
    return FastPath(sidecar, sidecar.app())


def app_from_env() -> ASGIApp:
    """uvicorn's factory in each worker process: settings from `RAILGUARD_SERVE_CONFIG`."""
    _otel.setup_from_env()  # RAILGUARD_OTEL_EXPORTER: spans to the console or a file
    return create_app(ServeConfig.from_json(os.environ[ENV_CONFIG]))


def run(config: ServeConfig) -> None:
    """Serve until SIGTERM or SIGINT; in-flight requests finish first (up to the timeout)."""
    import uvicorn

    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    os.environ[ENV_CONFIG] = config.to_json()
    uvicorn.run(
        "railguard.engine.server:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        server_header=False,
        log_level=config.log_level,
        timeout_graceful_shutdown=int(config.graceful_timeout),
    )
