"""Exfiltration channels: links and images whose URL carries data to a host outside an
allowlist, and URLs with long query strings.

A markdown image (`![x](https://evil.example/p.png?d=...)`) or an HTML `<img>` is fetched
by the client that renders the answer, with no click: any data in its URL leaves. A
markdown link leaks when clicked. The data rides in the query string, the fragment (one
that is not a heading's anchor such as `#getting-started`), or a long path segment that
reads as encoded. An image or link URL that is a template to fill in (`?q={secret}`,
`[DATA]`, `$VAR`) is flagged whatever its length, and so is a bare URL whose query or
fragment is one (a placeholder in a bare URL's path is also how API routes are written).
Hosts are read as `url.host` reads them; a host in the allowlist, or a subdomain of one,
never counts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from urllib.parse import urlsplit

from railguard.builtins.injection.hits import Hit
from railguard.builtins.regex import Regex
from railguard.builtins.registry import EvalError
from railguard.builtins.urls import host as url_host

KIND = "exfiltration"
LINK_QUERY = 24  # query (or fragment) characters for a link to count as carrying data
LONG_QUERY = 100  # query characters for a bare URL to count as a long query string
LONG_SEGMENT = 32  # characters of a path segment of data (base64, hex, percent-encoding)


@functools.cache
def _patterns() -> dict[str, Regex]:
    return {
        "markdown": Regex(r"(!?)\[[^\]\n]{0,1000}\]\(\s*<?([^\s)>]+)[^)\n]{0,200}\)?"),
        "reference": Regex(r"(?m)^\s{0,3}\[[^\]\n]{1,200}\]:\s*<?(\S+)"),
        "img": Regex(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", "i"),
        "src": Regex(r"\bsrc\s*=\s*[\"']?", "i"),
        "url": Regex(r"\bhttps?://[^\s<>\"'`)\]]+", "i"),
        "template": Regex(
            r"\{[^}]{0,80}\}|\$\{|\$[A-Z_]{3,}|\[[A-Z_ ]{3,}\]|%7B|<[a-z_]{3,}>", "i"
        ),
        "data": Regex(r"[A-Za-z0-9+/=_%\-]{" + str(LONG_SEGMENT) + ",}"),
        "escape": Regex(r"%[0-9A-Fa-f]{2}"),
        "hex": Regex(r"[0-9a-f]+"),
        # a word in lower case, Capitalized or camelCase, or in capitals; a number
        "slug_word": Regex(r"(?:[a-z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*|[A-Z]+)[0-9]*|[0-9]+[a-z]*"),
        "uuid": Regex(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"),
        "anchor": Regex(r"[a-z][a-z0-9]*(?:[\-_.:][a-z0-9]+)*"),
    }


def find(text: str, hosts: Sequence[str]) -> list[Hit]:
    """Every exfiltration-channel indicator in `text`, ignoring `hosts` and their subdomains."""
    if "://" not in text and "](" not in text:
        return []
    p = _patterns()
    out: list[Hit] = []
    covered: list[tuple[int, int]] = []
    for start, end in p["markdown"].finditer(text):
        piece = text[start:end]
        image = piece.startswith("!")
        url = piece[piece.index("](") + 2 :].strip().lstrip("<").split(")")[0].split()[0:1]
        covered.append((start, end))
        if url:
            out.extend(_judge(url[0].rstrip(">"), start, end, "image" if image else "link", hosts))
    for start, end in p["img"].finditer(text):
        piece = text[start:end]
        src = piece[p["src"].finditer(piece)[0][1] :]  # `SRC=` too: HTML is case-blind
        covered.append((start, end))
        out.extend(_judge(src, start, end, "image", hosts))
    for start, end in p["url"].finditer(text):
        if any(a <= start < b for a, b in covered):
            continue
        out.extend(_judge(text[start:end].rstrip(".,;:!?"), start, end, "url", hosts))
    return out


def _judge(url: str, start: int, end: int, shape: str, hosts: Sequence[str]) -> list[Hit]:
    """A hit when `url` goes outside `hosts` and carries data (what counts depends on
    `shape`: an image, a link or a bare URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    if parts.scheme.lower() not in ("http", "https", ""):
        return []
    if not parts.netloc and not url.startswith("//"):
        return []  # a relative link: it stays on the page's own host
    if _allowed(url, hosts):
        return []
    p = _patterns()
    # A heading's anchor (`#dependencies-that-need-more-than-one-resource`) is no data.
    query = parts.query + ("" if p["anchor"].fullmatch(parts.fragment) else parts.fragment)
    if p["template"].search(url.split("://", 1)[-1]):
        if shape != "url":
            reason = f"a {shape} URL with a placeholder to fill in with data"
            return [Hit(KIND, f"{shape}_template", start, end, 0.9, reason)]
        if p["template"].search(query):
            reason = "a bare URL with a placeholder in its query to fill in with data"
            return [Hit(KIND, "url_template", start, end, 0.6, reason)]
        # `https://api.example/users/{id}`: an API route or a code sample, as often as a trap
        reason = "a bare URL with a placeholder in its address"
        return [Hit(KIND, "url_template", start, end, 0.4, reason)]
    segment = any(_encoded(s) for s in parts.path.split("/"))
    if shape == "image" and (query or segment):
        return [
            Hit(
                KIND,
                "image_data",
                start,
                end,
                0.9,
                "an image URL that carries data to an outside host (sent with no click)",
            )
        ]
    if shape == "link" and (len(query) >= LINK_QUERY or segment):
        return [
            Hit(
                KIND,
                "link_data",
                start,
                end,
                0.7,
                "a link URL that carries data to an outside host",
            )
        ]
    if shape == "url" and len(query) >= LONG_QUERY:
        return [
            Hit(
                KIND,
                "long_query",
                start,
                end,
                0.4,
                f"a URL to an outside host with a query of {len(query)} characters",
            )
        ]
    return []


_DIGEST_LENGTHS = (32, 40, 64)  # MD5, SHA-1 (a Git commit), SHA-256 in hex


def _encoded(segment: str) -> bool:
    """Whether a path segment reads as data: `LONG_SEGMENT` characters or more of base64,
    hex or percent-encoding. Not a slug (`creating-and-viewing-access-tokens`,
    `List_of_Unicode_characters`, `arm64-is-here`: words, numbers and words ending in a
    number joined by `-` or `_`, one short id among them), a UUID, a word in one case, nor
    a hex digest or Git commit id (`/commit/1a83ad6a...`)."""
    p = _patterns()
    if len(segment) < LONG_SEGMENT:
        return False
    if len(p["escape"].finditer(segment)) >= 3:
        return True  # percent-encoded text
    if not p["data"].fullmatch(segment):
        return False
    pieces = segment.replace("_", "-").split("-")
    odd = [piece for piece in pieces if piece and not p["slug_word"].fullmatch(piece)]
    if not odd or (len(pieces) > 1 and len(odd) == 1 and len(odd[0]) <= 8):
        return False  # a slug, perhaps with a short id (`custom-esm-loaders-4i1o`)
    if p["uuid"].fullmatch(segment):
        return False
    if len(segment) in _DIGEST_LENGTHS and p["hex"].fullmatch(segment):
        return False
    return any(c.isdigit() for c in segment) or segment.lower() != segment


def _allowed(url: str, hosts: Sequence[str]) -> bool:
    if not hosts:
        return False
    try:
        h = url_host(url if "://" in url else "https:" + url)
    except EvalError:
        return False  # a host a browser would refuse is not on any allowlist
    if h is None:
        return False
    for allowed in hosts:
        a = allowed.lower().rstrip(".")
        if h == a or h.endswith("." + a):
            return True
    return False
