"""The approval page, `/ui/approvals`: server-rendered HTML for the people on call.

Jinja2 templates (`templates/approvals/`) through Starlette, autoescaped everywhere: the
arguments shown are attacker-controlled text. No JavaScript at all; the
Content-Security-Policy forbids scripts outright, as a second line of defence.

Sign-in: the approver token and a name, once; the page then sets a session cookie
(`rg_approver`: HttpOnly, SameSite=Strict, Path=/ui, Secure over HTTPS) holding the name, an
expiry and a CSRF token, signed with HMAC-SHA256 under a key derived from the approver token
(so every worker verifies it, and changing the token signs everyone out). Every form carries
the CSRF token, compared in constant time with the cookie's; the sign-in form is protected
the same way by a short-lived nonce cookie.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from railguard.engine.approvals import ApprovalError
from railguard.engine.stores import StoreError

if TYPE_CHECKING:
    from railguard.engine.approvals_http import ApprovalService

COOKIE = "rg_approver"
LOGIN_COOKIE = "rg_login"
SESSION_S = 8 * 3600
MAX_FORM_BYTES = 64 * 1024
RECENT_CALLS = 8
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
_TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates" / "approvals"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)


class ApprovalPage:
    """The page's routes, on one `ApprovalService`."""

    def __init__(self, service: ApprovalService) -> None:
        self.service = service
        token = service.token
        self._key = (
            hmac.new(token, b"railguard approvals page cookie", hashlib.sha256).digest()
            if token
            else None
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/ui/approvals", self.page, methods=["GET"]),
            Route("/ui/approvals/{id}", self.act, methods=["POST"]),
            Route("/ui/login", self.login_form, methods=["GET"]),
            Route("/ui/login", self.login, methods=["POST"]),
            Route("/ui/logout", self.logout, methods=["POST"]),
        ]

    # -- signed cookies

    def _sign(self, data: dict[str, Any]) -> str:
        assert self._key is not None
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body, hashlib.sha256).digest()
        return body.decode() + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _session(self, request: Request) -> dict[str, Any] | None:
        value = request.cookies.get(COOKIE)
        if self._key is None or not value or "." not in value:
            return None
        body, _, mac = value.partition(".")
        want = base64.urlsafe_b64encode(
            hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(want.rstrip("="), mac):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        if not isinstance(data, dict) or float(data.get("exp", 0)) <= time.time():
            return None
        return data

    # -- rendering

    def _render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        response = _TEMPLATES.TemplateResponse(
            request, name, {"who": None, "csrf": "", **context}, status_code=status
        )
        response.headers.update(HEADERS)
        return response

    def _refused(self, request: Request, status: int, message: str) -> Response:
        return self._render(request, "error.html", status, message=message)

    async def _form(self, request: Request) -> dict[str, str] | None:
        if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/x-www-form-urlencoded"
        ):
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in fields.items()}

    # -- sign-in

    async def login_form(self, request: Request, status: int = 200, error: str = "") -> Response:
        if self._key is None:
            return self._refused(
                request,
                403,
                "No approver token is configured on this sidecar "
                "(approver_token_file or $RAILGUARD_APPROVER_TOKEN).",
            )
        nonce = secrets.token_urlsafe(24)
        response = self._render(request, "login.html", status, nonce=nonce, error=error)
        _set_cookie(response, request, LOGIN_COOKIE, nonce, 600)
        return response

    async def login(self, request: Request) -> Response:
        if self._key is None:
            return await self.login_form(request)
        form = await self._form(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if form is None or not nonce or not hmac.compare_digest(form.get("csrf", ""), nonce):
            return self._refused(
                request, 403, "The sign-in form expired or was not ours: reload it."
            )
        name = form.get("name", "").strip()[:200]
        if not name:
            return await self.login_form(request, 400, "Say who you are: your name is recorded.")
        if not self.service.check_approver_token(form.get("token", "")):
            return await self.login_form(request, 401, "That is not the approver token.")
        session = {"who": name, "exp": time.time() + SESSION_S, "csrf": secrets.token_urlsafe(24)}
        response = RedirectResponse("/ui/approvals", 303, headers=HEADERS)
        _set_cookie(response, request, COOKIE, self._sign(session), SESSION_S)
        response.delete_cookie(LOGIN_COOKIE, path="/ui")
        return response

    async def logout(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._form(request)
        if session is not None and (form is None or not _same(form.get("csrf"), session["csrf"])):
            return self._refused(request, 403, "The form's CSRF token is missing or wrong.")
        response = RedirectResponse("/ui/login", 303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/ui")
        return response

    # -- the page and its forms

    async def page(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return RedirectResponse("/ui/login", 303, headers=HEADERS)
        try:
            found = await self.service._run(self._pending)
        except StoreError as exc:
            return self._refused(request, 503, f"The approval store is unavailable: {exc}")
        done = request.query_params.get("done")
        return self._render(
            request,
            "list.html",
            who=session["who"],
            csrf=session["csrf"],
            requests=found,
            done=done if done in ("approved", "denied") else None,
            done_id=request.query_params.get("id", "")[:128],
            problem=request.query_params.get("problem", "")[:200],
        )

    def _pending(self) -> list[dict[str, Any]]:
        """Pending requests, newest first, with what the session did before (when the
        session store knows)."""
        now = self.service.approvals.clock()
        sessions = self.service.sidecar.sessions
        out = []
        for record in self.service.approvals.list("pending", 200):
            event = record.get("event") or {}
            shown = event.get("args") if record["kind"] == "call" else event.get("content")
            calls: list[dict[str, str]] = []
            labels: list[str] = []
            key = record.get("session_key")
            if key:
                try:
                    _, state = sessions.load(key)
                except StoreError:
                    state = None
                if state is not None:
                    labels = list(state.labels)
                    for call in reversed(state.calls[-RECENT_CALLS:]):
                        calls.append({"tool": call.tool, "ago": _duration(now - call.at) + " ago"})
            out.append(
                {
                    **record,
                    "shown": json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True),
                    "left": _duration(record["expires_at"] - now),
                    "requested": dt.datetime.fromtimestamp(record["requested_at"], dt.UTC).strftime(
                        "%Y-%m-%d %H:%M:%S UTC"
                    ),
                    "calls": calls,
                    "labels": labels,
                }
            )
        return out

    async def act(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return self._refused(request, 401, "Sign in first: the session is missing or expired.")
        form = await self._form(request)
        if form is None or not _same(form.get("csrf"), session["csrf"]):
            return self._refused(request, 403, "The form's CSRF token is missing or wrong.")
        action = form.get("action")
        if action not in ("approve", "deny"):
            return self._refused(request, 400, "Choose approve or deny.")
        approval_id = request.path_params["id"]
        comment = form.get("comment", "")[:2000]
        try:
            await self.service._run(
                self.service.approvals.decide,
                approval_id,
                action == "approve",
                session["who"],
                comment,
            )
        except ApprovalError as exc:
            return RedirectResponse(
                "/ui/approvals?" + _query(problem=exc.detail), 303, headers=HEADERS
            )
        except StoreError as exc:
            return self._refused(request, 503, f"The approval store is unavailable: {exc}")
        done = "approved" if action == "approve" else "denied"
        return RedirectResponse(
            "/ui/approvals?" + _query(done=done, id=approval_id), 303, headers=HEADERS
        )


def _same(given: str | None, want: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), want)


def _set_cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3 h 5 min`; `expired` below zero."""
    if seconds <= 0:
        return "expired"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s < 600 else f"{s // 60} min"
    return f"{s // 3600} h {(s % 3600) // 60} min"
