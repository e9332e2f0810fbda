"""The approval page in a real browser: Playwright driving Debian's chromium.

Sign in, see the pending request, approve it with a comment and the waiting client gets
allow; attacker-controlled arguments (`<script>`, `<img onerror>`) show as text and run
nothing; a form post without the CSRF token is refused; a screenshot at phone width is
saved (its path is printed). Skips when chromium or Playwright is missing, unless
`RAILGUARD_REQUIRE_BROWSER=1` (set by `.ci/run`)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import railguard
from railguard.engine.approvals_client import ApproverClient

from .conftest import AGENT_TOKEN, APPROVER_TOKEN, StartSidecar
from .test_approvals_sidecar import wait_in_thread

CHROMIUM = "/usr/bin/chromium"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def _missing(reason: str) -> None:
    if os.environ.get("RAILGUARD_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; no browser download)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def test_sign_in_see_approve_and_the_client_gets_allow(
    browser: Any, start_sidecar: StartSidecar, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = start_sidecar()
    client = railguard.Client(server.url, token=AGENT_TOKEN, timeout=5)
    approver = ApproverClient(server.url, APPROVER_TOKEN)
    client.evaluate(railguard.ToolCall(tool="search", args={"q": "vendors"}, session="s-7"))
    event = railguard.ToolCall(
        tool="send_email", args={"to": "eve@example.org", "body": XSS}, session="s-7"
    )
    escalated = client.evaluate(event)
    assert escalated.decision == "escalate"
    waiting = wait_in_thread(client, escalated.decision_id, timeout=60, event=event)

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # sign in
    page.goto(server.url + "/ui/approvals")
    assert page.url.endswith("/ui/login")
    page.fill("#name", "ana")
    page.fill("#token", "wrong")
    page.click("button[type=submit]")
    assert "not the approver token" in page.content()
    page.fill("#name", "ana")
    page.fill("#token", APPROVER_TOKEN)
    page.click("button[type=submit]")
    assert page.url.endswith("/ui/approvals")
    cookie = next(c for c in context.cookies() if c["name"] == "rg_approver")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # the pending request, with its arguments as text and nothing run
    card = page.locator(f'section.request[data-id="{escalated.decision_id}"]')
    assert card.count() == 1
    assert "mail to eve@example.org needs approval" in card.inner_text()
    assert "mail.outside_mail" in card.inner_text()
    assert "visited_web" in card.inner_text() and "search" in card.inner_text()  # the session
    assert XSS.replace('"', '\\"') in card.locator("pre.args").inner_text()
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []

    # a screenshot at phone width, kept as an artifact
    folder = Path(os.environ.get("RAILGUARD_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "approvals-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot at phone width: {shot}")
    assert shot.stat().st_size > 5000
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone

    # a form post without the CSRF token (or with a wrong one) is refused
    other = client.evaluate(
        railguard.ToolCall(tool="send_email", args={"to": "x@example.org"}, session="s-8")
    )
    for form in (
        {"action": "approve", "comment": "forged"},
        {"action": "approve", "comment": "forged", "csrf": "not-the-token"},
    ):
        forged = context.request.post(
            f"{server.url}/ui/approvals/{other.decision_id}", form=form, max_redirects=0
        )
        assert forged.status == 403
    assert approver.show(other.decision_id)["status"] == "pending"

    # approve with a comment: the waiting client gets allow
    page.reload()
    card = page.locator(f'section.request[data-id="{escalated.decision_id}"]')
    card.locator("textarea").fill("checked with the vendor <b>by phone</b>")
    card.locator("button.approve").click()
    assert "approved" in page.locator("[role=status]").inner_text()
    assert page.locator(f'section.request[data-id="{escalated.decision_id}"]').count() == 0
    waiting["thread"].join(15)
    verdict = waiting["verdict"]
    assert verdict.decision == "allow", verdict.explain()
    assert "approved by ana: checked with the vendor <b>by phone</b>" in verdict.explain()
    record = approver.show(escalated.decision_id)
    assert record["status"] == "used" and record["decided_by"] == "ana"
    context.close()
    time.sleep(0)  # keep the sidecar until here
