"""Invisible and deceptive text: Unicode tag characters, zero-width and bidirectional
controls, text in HTML comments or styled out of sight, long base64 blobs, Morse code and
binary octets and hex bytes in prose (English in a Caesar shift or backwards is in
`cipher.py`).

Every detector reads the original text (normalization would remove what they look for)
and reports spans in it. Patterns are RE2.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable

from railguard.builtins.injection.hits import Hit
from railguard.builtins.regex import Regex

KIND = "hidden"
MIN_BASE64 = 48  # characters in a run for it to count as a blob
MIN_COMMENT_WORDS = 6  # words of prose in an HTML comment for it to weigh as hidden prose
MAX_DECODE = 65_536  # a blob longer than this is reported without being decoded

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u180e\ufeff"
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_MARKS = "\u200e\u200f\u061c"


# Style that hides text whatever its colours (white text is hidden only on a white page).
_HIDING_STYLE = (
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?"
    r"\s*[;\"'>]|opacity\s*:\s*0(?:\.0*)?\s*[;\"'>]"
)
_PAGE_COLOURS = frozenset(("white", "#fff", "#ffffff", "transparent", "none", "inherit"))


@functools.cache
def _patterns() -> dict[str, Regex]:
    return {
        "invisible": Regex(f"[{_ZERO_WIDTH}{_BIDI}{_MARKS}\U000e0000-\U000e007f]"),
        "tags": Regex("[\U000e0000-\U000e007f]+"),
        "zero_width": Regex(f"[{_ZERO_WIDTH}]+"),
        "bidi": Regex(f"[{_BIDI}]+"),
        "marks": Regex(f"[{_MARKS}]+"),
        "comment": Regex(r"<!--(?s:.*?)(?:-->|\z)"),
        "styled": Regex(
            # each property at the start of the style or after `;`: `background-color: #fff`
            # paints no text white
            r"<[a-z][a-z0-9]*\b[^>]*?\bstyle\s*=\s*[\"']?(?:[^\"'>]*?[;\s])?(?:"
            + _HIDING_STYLE
            + r"|color\s*:\s*(?:white|#fff(?:fff)?|transparent)\b)[^>]*>[^<]*",
            "i",
        ),
        "hiding": Regex(_HIDING_STYLE, "i"),
        "reader": Regex(
            r"\b(?:assistant|AI|LLM|chatbot|GPT|language\s+model)\b"
            r"|\byour\s+(?:answer|response|reply|output|summary)\b"
            r"|\b(?:when|while|before|after|if)\s+(?:you\s+)?(?:summar|answer|respond|repl)\w*"
            r"|\b(?:say|state|print|output|respond|reply|answer|write)\s*:|\bwhen\s+asked\b"
            r"|\b(?:tell|to)\s+the\s+user\b|\bthe\s+reader\b",
            "i",
        ),
        "background": Regex(r"\bbackground(?:-color)?\s*:[^;\"'>]*", "i"),
        "hidden_attr": Regex(
            r"<[a-z][a-z0-9]*\b[^>]*?\shidden(?:\s*=\s*[\"']?hidden[\"']?)?(?:\s[^>]*)?/?>[^<]*",
            "i",
        ),
        "blob": Regex(r"[A-Za-z0-9+/_\-]{" + str(MIN_BASE64) + r",}={0,2}"),
        "word": Regex(r"[A-Za-z]{2,}"),
        "morse": Regex(r"(?:[.\-]{1,7}(?: / | {1,3}|/)){7,}[.\-]{1,7}"),
        "binary": Regex(r"(?:[01]{8}[ ,]){5,}[01]{8}"),
        "hex_bytes": Regex(r"\b(?:[0-9A-Fa-f]{2} ){7,}[0-9A-Fa-f]{2}\b"),
    }


def _invisible(text: str) -> list[Hit]:
    p = _patterns()
    if not p["invisible"].search(text):
        return []
    out = []
    for start, end in p["tags"].finditer(text):
        out.append(
            Hit(
                KIND,
                "tag_characters",
                start,
                end,
                0.9,
                f"{end - start} invisible Unicode tag characters (U+E0000 block) hide text",
            )
        )
    for start, end in p["bidi"].finditer(text):
        out.append(
            Hit(
                KIND,
                "bidi_controls",
                start,
                end,
                0.7,
                "bidirectional control characters make text display out of its real order",
            )
        )
    for start, end in p["marks"].finditer(text):
        if _beside_ascii_word(text, start, end):
            out.append(
                Hit(KIND, "bidi_marks", start, end, 0.3, "directional marks inside Latin text")
            )
    for start, end in p["zero_width"].finditer(text):
        if start == 0 and text[0] == "\ufeff" and end == 1:
            continue  # a byte-order mark
        if end - start >= 2 or _inside_ascii_word(text, start, end):
            out.append(
                Hit(
                    KIND, "zero_width", start, end, 0.6, "zero-width characters hidden inside words"
                )
            )
    return out


def _inside_ascii_word(text: str, start: int, end: int) -> bool:
    """Between two ASCII letters or digits, at least one a letter (`ig<ZWSP>nore`)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return (
        before.isascii()
        and after.isascii()
        and before.isalnum()
        and after.isalnum()
        and (before.isalpha() or after.isalpha())
    )


def _beside_ascii_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum())


_PUNCTUATION = ".,;!?()[]\"'`*"
_KEY = re.compile(r"[\w\-]+:(?:\s|$)")  # one token, then a colon: linear in any engine


def _prose_words(comment: str) -> int:
    """The words of prose in an HTML comment: tokens that are words once punctuation is
    stripped (`lint disable max-line-length`, `source_link=lib/a.js` hold few), none when
    most lines are YAML or a list (`added: v9.9.0`, `- version: v15`), as metadata is."""
    lines = [line.strip() for line in comment.splitlines() if line.strip()]
    keyed = sum(1 for line in lines if line.startswith("- ") or _KEY.match(line))
    if len(lines) > 1 and 2 * keyed > len(lines):
        return 0
    return sum(1 for token in comment.split() if token.strip(_PUNCTUATION).isalpha())


def _markup(text: str, wording: Callable[[int, int], float] | None = None) -> list[Hit]:
    """HTML comments and text styled out of sight. `wording(start, end)` weighs the
    instruction wording of `text[start:end]`, for a comment's prose."""
    p = _patterns()
    out = []
    if "<!--" in text:
        for start, end in p["comment"].finditer(text):
            inside = text[start + 4 : end].removesuffix("-->")
            if inside.lstrip().startswith("[if"):
                continue  # an Internet Explorer conditional comment: markup for old browsers
            words = _prose_words(inside)
            if words >= MIN_COMMENT_WORDS and _for_the_reader(text, start, end, wording):
                reason = "prose for the reader hidden in an HTML comment"
                out.append(Hit(KIND, "html_comment", start, end, 0.6, reason))
            elif words:  # developers' notes, `<!-- end of header -->`: on every page, barely a sign
                what = "prose" if words >= MIN_COMMENT_WORDS else "text"
                out.append(Hit(KIND, "html_comment", start, end, 0.1, f"{what} in an HTML comment"))
    for name in ("styled", "hidden_attr"):
        for start, end in p[name].finditer(text):
            tag, _, inner = text[start:end].rpartition(">")
            tag += ">"
            if name == "styled" and _on_a_visible_background(tag):
                continue
            if p["word"].search(inner):
                out.append(
                    Hit(
                        KIND,
                        "hidden_style",
                        start,
                        end,
                        0.7,
                        "text styled out of sight (display:none, hidden, size 0)",
                    )
                )
    return out


def _for_the_reader(
    text: str, start: int, end: int, wording: Callable[[int, int], float] | None
) -> bool:
    """Whether the comment `text[start:end]` speaks to whoever reads the page, not to its
    developers: it names an AI or its answer, dictates what to say, or holds instruction
    wording."""
    if _patterns()["reader"].search(text[start:end]):
        return True
    return wording is not None and wording(start, end) >= 0.4


def _on_a_visible_background(tag: str) -> bool:
    """Whether a tag whose style only paints its text white (or transparent) also paints a
    background it shows against (`color: white; background: #333` is a banner, not a trap)."""
    p = _patterns()
    if p["hiding"].search(tag):
        return False
    for start, end in p["background"].finditer(tag):
        if tag[start:end].partition(":")[2].strip().lower() not in _PAGE_COLOURS:
            return True
    return False


_HEX = Regex(r"[0-9A-Fa-f]+")
_BEFORE = frozenset(" \t\r\n\"'>(:[`")
_AFTER = frozenset(" \t\r\n\"'<).,;:]`!?")


def _blobs(text: str, phrases: Callable[[str], float] | None) -> list[Hit]:
    out = []
    for start, end in _patterns()["blob"].finditer(text):
        if start > 0 and text[start - 1] not in _BEFORE:
            continue
        if end < len(text) and text[end] not in _AFTER:
            continue
        if text[max(0, start - 7) : start].lower() == "base64,":
            continue  # a data: URI
        run = text[start:end]
        if _HEX.fullmatch(run):
            decoded = _readable(bytes.fromhex(run)) if len(run) % 2 == 0 else None
            if decoded is not None:  # else a digest: nothing to say
                out.append(_decoded("hex", start, end, decoded, phrases))
            continue
        if not (any(c.isupper() for c in run) and any(c.islower() for c in run)):
            continue  # identifiers in one case
        if "/" in run and run.count("/") * 12 > len(run):
            continue  # a file path
        decoded = _decode(run)
        if decoded is None:
            out.append(Hit(KIND, "base64_blob", start, end, 0.4, "a long base64 blob in prose"))
            continue
        out.append(_decoded("base64", start, end, decoded, phrases))
    return out


def _decoded(
    encoding: str, start: int, end: int, decoded: str, phrases: Callable[[str], float] | None
) -> Hit:
    """The hit for an encoded run that decodes to readable text: 0.9 when the text carries
    instruction wording (`phrases` weighs it at 0.5 or more), else 0.6."""
    written = "Morse code" if encoding == "morse" else encoding
    if phrases is not None and phrases(decoded) >= 0.5:
        reason = f"{written} that decodes to instructions for the reader"
        return Hit(KIND, f"{encoding}_instructions", start, end, 0.9, reason)
    reason = f"{written} that decodes to readable text"
    return Hit(KIND, f"{encoding}_text", start, end, 0.6, reason)


def _decode(run: str) -> str | None:
    """The text a base64 run decodes to, when it is mostly printable; else None."""
    if len(run) > MAX_DECODE:
        return None
    body = run.rstrip("=")
    body += "=" * (-len(body) % 4)
    try:
        raw = (
            base64.urlsafe_b64decode(body) if "-" in body or "_" in body else base64.b64decode(body)
        )
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _readable(raw: bytes) -> str | None:
    """`raw` as text, when it is UTF-8, printable and reads as prose: four in five of its
    characters letters or spaces and half its tokens words (JSON, markup, a certificate or
    an HTTP response read back from base64 or hex are data, not hidden prose); else None."""
    try:
        decoded = raw.decode("utf-8")
    except ValueError:
        return None
    if not decoded or " " not in decoded:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\n\t")
    if printable < 0.95 * len(decoded):
        return None
    if sum(1 for c in decoded if c.isalpha() or c.isspace()) < 0.8 * len(decoded):
        return None
    tokens = decoded.split()
    if 2 * sum(1 for t in tokens if t.strip(_PUNCTUATION).isalpha()) < len(tokens):
        return None
    return decoded


_MORSE = dict(
    zip(
        (
            ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. -- -. --- .--. --.- .-. ... - ..- "
            "...- .-- -..- -.-- --.. ----- .---- ..--- ...-- ....- ..... -.... --... ---.. ----. "
            ".-.-.- --..-- ..--.. -.-.-- .----. -..-. ---... -.-.-."
        ).split(),
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!'/:;",
        strict=True,
    )
)
_VOWELS = frozenset("AEIOUY")


def _morse(run: str) -> str | None:
    """The words a Morse run spells, when every code is a letter, digit or punctuation mark
    and they make two or more different words, each word of two letters or more holding a
    vowel and two different letters (`.... . .-.. .-.. --- / .-- --- .-. .-.. -..` is
    `HELLO WORLD`; a pattern of dots and dashes spells `AAAA NNN`, which is no text);
    else None."""
    words = []
    for part in (p for chunk in run.split("/") for p in chunk.split("  ")):  # word breaks
        codes = part.split()
        if any(code not in _MORSE for code in codes):
            return None
        if codes:
            words.append("".join(_MORSE[code] for code in codes))
    if len(words) < 2 or len(set(words)) < 2:
        return None
    if any(
        len(w) > 1 and w.isalpha() and (len(set(w)) == 1 or not set(w) & _VOWELS) for w in words
    ):
        return None
    return " ".join(words)


def _encoded(text: str, phrases: Callable[[str], float] | None = None) -> list[Hit]:
    """Morse code, binary octets and spaced hex bytes in prose: text written so that filters
    miss it. Codes, octets and bytes that decode to readable text weigh as base64 that does."""
    out = []
    for start, end in _patterns()["morse"].finditer(text):  # `HI MOM` holds no `.-`
        if start > 0 and not text[start - 1].isspace():  # `in.` ends a word, not a code
            start = text.index(" ", start) + 1
        decoded = _morse(text[start:end])
        if decoded is not None:
            out.append(_decoded("morse", start, end, decoded, phrases))
        else:
            out.append(Hit(KIND, "morse_code", start, end, 0.4, "text written in Morse code"))
    if "0" in text and "1" in text:
        for start, end in _patterns()["binary"].finditer(text):
            octets = bytes(int(o, 2) for o in text[start:end].replace(",", " ").split())
            decoded = _readable(octets)
            if decoded is not None:
                out.append(_decoded("binary", start, end, decoded, phrases))
            else:
                out.append(Hit(KIND, "binary_octets", start, end, 0.4, "binary octets in prose"))
    for start, end in _patterns()["hex_bytes"].finditer(text):
        decoded = _readable(bytes.fromhex(text[start:end].replace(" ", "")))
        if decoded is not None:
            out.append(_decoded("hex", start, end, decoded, phrases))
    return out
