"""URL tests: the scheme and host an argument points at, read the way a browser reads them.

Parsing follows the WHATWG URL rules where Python's `urllib` is laxer, because an attacker
picks the URL: leading and trailing spaces and control characters are stripped, tabs and
newlines inside removed, a backslash counts as a slash in http(s) URLs, the host is
percent-decoded, lower-cased, stripped of a trailing dot and converted to IDNA (punycode).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from railguard.builtins.registry import EvalError, builtin

Url = Annotated[str, "the URL to read"]

_STRIP = "".join(chr(c) for c in range(0x21))
_INNER_WS = re.compile(r"[\t\n\r]")
_SPECIAL = ("http", "https", "ws", "wss", "ftp", "file")


def _split(value: str) -> tuple[str, str | None]:
    text = _INNER_WS.sub("", value.strip(_STRIP))
    scheme, sep, rest = text.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
        return "", None
    scheme = scheme.lower()
    if scheme in _SPECIAL:
        rest = rest.replace("\\", "/")
        if not rest.startswith("//"):
            rest = "//" + rest.lstrip("/")
    try:
        netloc = urlsplit(f"{scheme}:{rest}").netloc
    except ValueError as exc:
        raise EvalError(f"url: cannot parse `{value[:80]}`: {exc}") from None
    if not netloc:
        return scheme, None
    host = netloc.rpartition("@")[2]
    host = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
    host = unquote(host).lower().rstrip(".")
    if not host:
        return scheme, None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise EvalError(f"url: invalid host in `{value[:80]}`: {exc}") from None
    return scheme, host


@builtin("url.host", examples=['url.host(args.url) in {"api.acme.com", "docs.acme.com"}'])
def host(value: Url) -> str | None:
    """The URL's host, normalized (lower case, IDNA, no trailing dot), or null when it has none."""
    return _split(value)[1]


@builtin("url.scheme", examples=['url.scheme(args.url) == "https"'])
def scheme(value: Url) -> str | None:
    """The URL's scheme in lower case (`https`, `mailto`, ...), or null when it is not a URL."""
    s = _split(value)[0]
    return s or None


@builtin("url.host_in", examples=['url.host_in(args.url, ["acme.com", "example.org"])'])
def host_in(
    value: Url,
    hosts: Annotated[list[Any] | frozenset[Any], "allowed hosts; each also allows its subdomains"],
) -> bool:
    """True when the URL's host is one of `hosts` or a subdomain of one."""
    h = _split(value)[1]
    if h is None:
        return False
    for allowed in hosts:
        if not isinstance(allowed, str):
            raise EvalError("url.host_in: every host must be a string")
        a = allowed.lower().rstrip(".")
        if h == a or h.endswith("." + a):
            return True
    return False
