"""Announce new approval requests to a chat webhook (Slack, Teams, anything taking JSON).

The body is `{"text": "..."}`, which Slack and Microsoft Teams incoming webhooks both accept.
Each announcement is a background task on the sidecar's event loop: the verdict that
created the request has already been answered, so a slow or failing webhook never delays
one. A failed delivery (a connection error, a timeout, a 429 or a 5xx) is retried with
exponential backoff (0.5 s, 1 s, 2 s, ... up to `attempts` tries); a 4xx other than 429 is
not retried. Failures are logged, never raised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import httpx

log = logging.getLogger("railguard.approvals")


def message(record: dict[str, Any], page_url: str | None = None) -> dict[str, str]:
    """The webhook body for a new request: what, why, which session, until when."""
    expires = dt.datetime.fromtimestamp(record["expires_at"], dt.UTC).strftime("%H:%M:%S UTC")
    target = f"{record['kind']} {record['tool']}" if record.get("tool") else record["kind"]
    lines = [
        f"Approval needed: {target} (session {record.get('session') or '-'})",
        f"{record.get('rule') or 'escalated'}: {record.get('message') or ''}",
        f"id {record['id']}, expires {expires}",
    ]
    if page_url:
        lines.append(f"Decide at {page_url.rstrip('/')}/ui/approvals")
    else:
        lines.append(
            f"Decide with `railguard approvals approve {record['id']}` or on /ui/approvals"
        )
    return {"text": "\n".join(lines)}


class Webhook:
    """Delivers announcements in the background, with retries; `close()` waits briefly."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        page_url: str | None = None,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.page_url = page_url
        self._tasks: set[asyncio.Task[bool]] = set()
        self._http: httpx.AsyncClient | None = None

    def announce(self, record: dict[str, Any]) -> None:
        """Schedule the announcement of `record`; returns at once (call on the event loop)."""
        task = asyncio.get_running_loop().create_task(self.deliver(message(record, self.page_url)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, body: dict[str, str]) -> bool:
        """POST `body` until it is accepted or the attempts run out; True when delivered."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_s, trust_env=False)
        for attempt in range(self.attempts):
            try:
                response = await self._http.post(self.url, json=body)
                if response.status_code < 300:
                    return True
                if response.status_code < 500 and response.status_code != 429:
                    log.warning("the approval webhook refused: HTTP %s", response.status_code)
                    return False
                cause = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                cause = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < self.attempts:
                delay = self.backoff_s * (2**attempt)
                log.info("the approval webhook failed (%s); retrying in %.1f s", cause, delay)
                await asyncio.sleep(delay)
            else:
                log.warning("the approval webhook failed %d times (%s)", self.attempts, cause)
        return False

    async def close(self, wait_s: float = 2.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_s)
            for task in self._tasks:
                task.cancel()
        if self._http is not None:
            await self._http.aclose()
