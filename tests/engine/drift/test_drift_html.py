"""The HTML report: escaped, self-contained, one chart per change; opened in chromium."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from railguard.cli import main
from railguard.engine.drift.synth import write_log

pytest.importorskip("matplotlib", reason="the HTML report needs railguard[drift]")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("RAILGUARD_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")
)
HOSTILE = 'evil<script>alert("x")</script>$\\frac{1}{0}$'


def _hostile_logs(tmp_path: Path) -> list[Path]:
    """A rule (with a hostile id) moves 2% -> 9% between two models; a tool name with markup."""
    a = write_log(tmp_path / "a.jsonl", "m-old", 2000, 1)
    b = write_log(
        tmp_path / "b.jsonl",
        "m-new",
        2000,
        2,
        rates={"finance.read_only_sql": 0.09},
        start=1_794_000_000.0,
    )
    for path in (a, b):
        text = path.read_text()
        path.write_text(
            text.replace("finance.read_only_sql", HOSTILE.replace("\\", "\\\\").replace('"', '\\"'))
        )
    return [a, b]


def _report(tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["drift", *map(str, _hostile_logs(tmp_path)), "--html", str(out)]
    )
    assert result.exit_code == 1, result.output
    return out, out.read_text(encoding="utf-8")


def test_html_is_escaped_and_self_contained(tmp_path: Path) -> None:
    _, html = _report(tmp_path)
    assert "<script" not in html  # neither the page's nor the attacker's
    assert "&lt;script&gt;" in html
    # nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere (the SVG's
    # xmlns and RDF identifiers are names, not requests)
    assert not re.search(
        r"<(link|img|iframe|object)\b|\b(src|href)=\"?https?:|@import|url\(https?:", html
    )
    assert html.count('<figure class="chart"') == 2  # the rule and the deny rate
    assert len(re.findall(r"<svg[ >]", html)) == 2
    assert 'data-metric="decision:deny"' in html


def test_report_opens_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("RAILGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{CHROMIUM} is missing and RAILGUARD_REQUIRE_BROWSER=1 (apt-get install chromium)"
            )
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    path, _ = _report(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "drift-report.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri())
            assert page.title() == "Railguard drift report"
            charts = page.locator("figure.chart")
            assert charts.count() == 2
            for i in range(2):
                svg = charts.nth(i).locator("svg")
                box = svg.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100
                assert svg.locator("path, rect").count() > 4  # bars, axes, error bars
            assert charts.nth(0).get_attribute("data-metric") == f"rule:{HOSTILE}"
            assert HOSTILE in page.locator("table.changes").inner_text()  # shown, not run
            assert dialogs == []
            assert [u for u in requests if not u.startswith("file://")] == []
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
