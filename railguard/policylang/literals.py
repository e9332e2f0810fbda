"""Decoding and encoding of string and regular-expression literals."""

from __future__ import annotations

import re

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_ENCODE = {v: "\\" + k for k, v in _ESCAPES.items()}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)", re.S)


class LiteralError(ValueError):
    """A bad escape; `offset` is its position inside the literal's source text."""

    def __init__(self, message: str, offset: int, length: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.length = length


def decode_string(token: str) -> str:
    """The value of a `"..."` literal as written in source (quotes included)."""
    body = token[1:-1]

    def replace(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        if esc.startswith("u{"):
            code = int(esc[2:-1], 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code)
        raise LiteralError(f"invalid escape `\\{esc}` in string", m.start() + 1, len(esc) + 1)

    return _ESCAPE_RE.sub(replace, body) if "\\" in body else body


def encode_string(value: str) -> str:
    """A `"..."` literal that decodes to `value`."""
    out = []
    for ch in value:
        if ch in _ENCODE:
            out.append(_ENCODE[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def decode_regex(token: str) -> tuple[str, str]:
    """`/pattern/flags` -> (pattern, flags); `\\/` stands for a slash."""
    end = token.rindex("/")
    return token[1:end].replace("\\/", "/"), token[end + 1 :]


def encode_regex(pattern: str, flags: str) -> str:
    out = []
    escaped = False
    for ch in pattern:
        if ch == "/" and not escaped:
            out.append("\\/")
        else:
            out.append(ch)
        escaped = ch == "\\" and not escaped
    return "/" + "".join(out) + "/" + flags
