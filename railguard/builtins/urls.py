"""URL tests: the scheme and host an argument points at, read the way a browser reads them.

Parsing follows the WHATWG URL rules where Python's `urllib` is laxer, because an attacker
picks the URL: leading and trailing spaces and control characters are stripped, tabs and
newlines inside removed, a backslash counts as a slash in http(s) URLs, the host is
percent-decoded, lower-cased, stripped of a trailing dot and converted to IDNA (punycode),
an IPv4 address in any form a browser accepts (`2130706433`, `0x7f.1`, `0177.0.0.1`) is
written in dotted decimal and an IPv6 address in its shortest form (`[::1]`). A host that
a browser refuses (a control character, space or `%` after decoding, a malformed IP
address, an IPv6 zone id) or that reads differently under Python's IDNA 2003 codec and a
browser's IDNA 2008 (`ß`, `ς`, zero-width joiners) is an error, so the rule fails closed.
"""

from __future__ import annotations

import ipaddress
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
    if host.startswith("["):
        return scheme, _ipv6(host, value)
    host = _to_ascii(host, value)
    if not _FORBIDDEN.isdisjoint(host):
        raise EvalError(f"url: the host of `{value[:80]}` holds a character no host may hold")
    if _ends_in_number(host):
        host = _ipv4(host, value)
    return scheme, host


# WHATWG's forbidden domain code points: C0 controls, space, `#%/:<>?@[\]^|` and DEL.
_FORBIDDEN = frozenset(chr(c) for c in range(0x21)) | frozenset("#%/:<>?@[\\]^|\x7f")
# Characters IDNA 2003 (Python's codec) maps away but IDNA 2008 / UTS 46 keeps, so that
# Python and a browser or HTTP client would name different hosts.
_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def _ipv6(host: str, value: str) -> str:
    """`[...]` in WHATWG's form: lower-case hex, the first longest run of zeros as `::`."""
    inner = host[1:-1] if host.endswith("]") else ""
    try:
        if "%" in inner:  # a zone id, which URLs cannot carry
            raise ValueError(inner)
        packed = ipaddress.IPv6Address(inner).packed
    except ValueError:
        raise EvalError(f"url: the host of `{value[:80]}` is not a valid IPv6 address") from None
    pieces = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    start, length, i = -1, 1, 0
    while i < 8:
        j = i
        while j < 8 and pieces[j] == 0:
            j += 1
        if j - i > length:
            start, length = i, j - i
        i = j + 1
    text = [f"{p:x}" for p in pieces]
    if start < 0:
        return "[" + ":".join(text) + "]"
    return "[" + ":".join(text[:start]) + "::" + ":".join(text[start + length :]) + "]"


def _to_ascii(host: str, value: str) -> str:
    if host.isascii():
        return host
    if not _DEVIATIONS.isdisjoint(host):
        raise EvalError(
            f"url: the host of `{value[:80]}` reads differently under IDNA 2003 and 2008"
        )
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise EvalError(f"url: invalid host in `{value[:80]}`: {exc}") from None


_IPV4_PART = {10: re.compile(r"[0-9]+"), 8: re.compile(r"[0-7]*"), 16: re.compile(r"[0-9a-f]*")}


def _ends_in_number(host: str) -> bool:
    last = host.rpartition(".")[2]
    return bool(re.fullmatch(r"[0-9]+|0x[0-9a-f]*", last))


def _ipv4(host: str, value: str) -> str:
    """WHATWG's IPv4 parser: 1 to 4 parts, each decimal, octal (`0...`) or hex (`0x...`)."""
    parts = host.split(".")
    numbers = []
    for part in parts:
        radix, digits = 10, part
        if part[:2] == "0x":
            radix, digits = 16, part[2:]
        elif len(part) > 1 and part[0] == "0":
            radix, digits = 8, part[1:]
        if len(parts) > 4 or not part or not _IPV4_PART[radix].fullmatch(digits):
            raise EvalError(f"url: the host of `{value[:80]}` is not a valid IPv4 address")
        numbers.append(int(digits, radix) if digits else 0)
    last = numbers.pop()
    if any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        raise EvalError(f"url: the host of `{value[:80]}` is not a valid IPv4 address")
    address = last + sum(n << (8 * (3 - i)) for i, n in enumerate(numbers))
    return ".".join(str((address >> shift) & 255) for shift in (24, 16, 8, 0))


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
        a = _to_ascii(allowed.lower().rstrip("."), allowed)
        if h == a or h.endswith("." + a):
            return True
    return False
