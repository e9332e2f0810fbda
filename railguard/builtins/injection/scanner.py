"""One scan: the phrase patterns on normalized text, hidden text and exfiltration links on
the original, for a string or every string leaf of a JSON value, within a size limit.

Cost: a text is first checked with one RE2 search for anything any indicator could match
(the phrase patterns, the policy's own, and the markers of hidden text and links); clean
text stops there. Only a text that passes it is scanned by each indicator. A text whose
characters outside ASCII are all ones normalization keeps (`©`, `•`, accented letters
already composed) or turns into a space (no-break and typographic spaces) skips the
normalizer: its normalized form is the text itself, those spaces replaced one for one.
The text is encoded to UTF-8 once, for both the check of its characters and the gate.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from railguard.builtins.injection import cipher, exfil, hidden
from railguard.builtins.injection.hits import KINDS, Hit
from railguard.builtins.injection.phrases import PHRASES, Phrase
from railguard.builtins.pii.detect import leaves
from railguard.builtins.pii.normalize import Normalized, changing_chars, normalize
from railguard.builtins.regex import Regex
from railguard.builtins.registry import EvalError

MAX_CHARS = 1_048_576  # characters one check may scan, over every string of the value
MAX_HITS = 200  # hits one check reports at most
_GATE_MEMORY = 64 << 20  # bytes RE2 may spend on the gate's automata (allocated as needed)

# What hidden text and links start with: the gate lets a text on to their detectors.
_MARKERS = (
    r"<!--|<[a-z][^>]*\b(?:style|hidden)\b|\]\(|<img\b|https?://|"
    r"[A-Za-z0-9+/_\-]{" + str(hidden.MIN_BASE64) + r",}|"
    r"\b[a-z](?:[ ._*\-][a-z]){3,}\b|"  # a word spelled out letter by letter
    r"(?:[.\-]{1,7}(?: / | {1,3}|/)){7}|(?:[01]{8}[ ,]){5}|"  # Morse code, binary octets
    r"\b(?:[0-9a-f]{2} ){7}|"  # hex bytes
     + cipher.marker_source()  # a common word in a Caesar shift or backwards
)
_SURROGATES = re.compile("[\ud800-\udfff]")  # a character class: linear in any engine
_SPELLED = Regex(r"\b[a-z](?:[ ._*\-][a-z]){3,}\b", "i")
_ASCII_BYTES = bytes(range(0x80))
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


@functools.cache
def _spaces() -> frozenset[str]:
    """The characters outside ASCII that normalization turns into one space, and nothing
    else: each is its own cluster (no combining mark), so the map stays one for one."""
    return frozenset(c for c in changing_chars(True) if unicodedata.normalize("NFKC", c) == " ")


def _plain(text: str, encoded: bytes) -> str | None:
    """The normalized form of `text` when normalization changes it at most by turning some
    characters into spaces, one for one (the text itself when it changes nothing); None
    when it does more (the normalizer then runs)."""
    if len(encoded) == len(text):
        return text  # ASCII
    # UTF-8 writes a character outside ASCII with bytes 0x80 and up only: dropping the ASCII
    # bytes leaves those characters, still valid UTF-8.
    others = encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    changing = changing_chars(True).intersection(others)
    if not changing:
        return text
    spaces = _spaces()
    if not changing <= spaces:
        return None
    for ch in changing:
        text = text.replace(ch, " ")
    return text


@dataclass(frozen=True)
class Extra:
    """A policy's own phrase patterns (`patterns:`), compiled when the policy loads."""

    phrases: tuple[Phrase, ...] = ()

    @functools.cached_property
    def gate(self) -> Regex:
        """One RE2 search for anything an indicator could match."""
        sources = [p.regex.pattern for p in (*PHRASES, *self.phrases)]
        return Regex("|".join(f"(?:{s})" for s in (*sources, _MARKERS)), "i")

    @functools.cached_property
    def _gate_re2(self) -> Any:
        """The gate compiled with room for its automata: the union of every pattern is
        large, and with RE2's default budget (8 MB) the search for where a match lies falls
        back to a slow simulation (milliseconds on 5 KB) on every text that does match."""
        options = re2.Options()
        options.log_errors = False
        options.max_mem = _GATE_MEMORY
        gate = self.gate
        return re2.compile(f"(?{gate.flags}){gate.pattern}", options)._regexp

    def passes(self, encoded: bytes) -> bool:
        """The gate on text already encoded to UTF-8 (`surrogatepass`)."""
        return bool(self._gate_re2.Match(_UNANCHORED, encoded, 0, len(encoded))[0][1] >= 0)


NO_EXTRA = Extra()


def kinds_of(kinds: Sequence[Any] | None) -> frozenset[str]:
    """The kinds asked for (every kind for null or empty); an unknown kind is an error."""
    if not kinds:
        return frozenset(KINDS)
    for k in kinds:
        if k not in KINDS:
            raise EvalError(f"unknown injection indicator kind `{k}`; kinds are {', '.join(KINDS)}")
    return frozenset(kinds)


def hosts_of(hosts: Sequence[Any] | None) -> tuple[str, ...]:
    out = []
    for h in hosts or ():
        if not isinstance(h, str):
            raise EvalError("injection: every allowed host must be a string")
        out.append(h)
    return tuple(out)


def scan_text(
    text: str, kinds: frozenset[str], hosts: Sequence[str], extra: Extra = NO_EXTRA
) -> list[Hit]:
    """Every indicator of the wanted kinds in one string, spans in the original text."""
    out: list[Hit] = []
    encoded = text.encode("utf-8", "surrogatepass")
    plain = _plain(text, encoded)
    if plain is not None:
        if plain is not text:
            encoded = plain.encode("utf-8", "surrogatepass")
        if not extra.passes(encoded):
            return out
        norm = Normalized(plain)  # the identity map: nothing dropped, one for one
    else:
        norm = normalize(text, digits=False, confusables=True)
        if "hidden" in kinds and norm.dropped(len(text)):  # every invisible character is dropped
            out.extend(hidden._invisible(text))
        if not norm.is_identity and not extra.passes(norm.text.encode("utf-8", "surrogatepass")):
            return out
    if _SPELLED.search(norm.text):
        norm = normalize(text, digits=False, letters=True, confusables=True)
    if "instruction" in kinds:
        for phrase in (*PHRASES, *extra.phrases):
            for start, end in phrase.spans(norm.text):
                if end > start:
                    a, b = norm.span(start, end)
                    out.append(Hit("instruction", phrase.id, a, b, phrase.weight, phrase.reason))
    if "hidden" in kinds:
        weigh = functools.partial(phrase_weight, extra=extra)
        if "<" in text:
            out.extend(hidden._markup(text, _wording(text, out, kinds, weigh)))
        out.extend(hidden._blobs(text, weigh))
        out.extend(hidden._encoded(text, weigh))
        out.extend(cipher.find(text, weigh))
    if "exfiltration" in kinds:
        out.extend(exfil.find(text, hosts))
    return out


def _wording(
    text: str, hits: list[Hit], kinds: frozenset[str], weigh: Callable[[str], float]
) -> Callable[[int, int], float]:
    """How strongly the phrase patterns read `text[start:end]`: from the instruction hits
    the scan already found inside it, or, when it does not look for instructions, by
    weighing that part alone."""
    if "instruction" not in kinds:
        return lambda start, end: weigh(text[start:end])
    found = [(h.start, h.end, h.weight) for h in hits if h.kind == "instruction"]
    return lambda start, end: max((w for s, e, w in found if start <= s and e <= end), default=0.0)


def phrase_weight(text: str, extra: Extra = NO_EXTRA) -> float:
    """The highest weight of a phrase pattern found in `text` (0 for none)."""
    norm = normalize(text, digits=False, letters=True, confusables=True).text
    return max((p.weight for p in (*PHRASES, *extra.phrases) if p.regex.search(norm)), default=0.0)


def scan(
    value: Any,
    kinds: Sequence[Any] | None = None,
    hosts: Sequence[Any] | None = None,
    extra: Extra = NO_EXTRA,
) -> list[Hit]:
    """Every indicator in a string or in every string leaf of a JSON value, with its path.
    Over `MAX_CHARS` characters in all, or on any internal failure, raises `EvalError`."""
    wanted = kinds_of(kinds)
    allowed = hosts_of(hosts)
    out: list[Hit] = []
    total = 0
    try:
        for path, text in leaves(value):
            total += len(text)
            if total > MAX_CHARS:
                raise EvalError(
                    f"the text to scan for prompt injection is over {MAX_CHARS} characters"
                )
            try:
                found = scan_text(text, wanted, allowed, extra)
            except UnicodeEncodeError:
                # A lone surrogate (valid in JSON, not in UTF-8) becomes U+FFFD; offsets keep.
                found = scan_text(_SURROGATES.sub("\ufffd", text), wanted, allowed, extra)
            for h in found:
                out.append(h if not path else _with_path(h, path))
            if len(out) >= MAX_HITS:
                return out[:MAX_HITS]
    except EvalError:
        raise
    except Exception as exc:  # fail closed on anything unforeseen
        raise EvalError(f"prompt-injection scan failed: {type(exc).__name__}: {exc}") from None
    return out


def _with_path(h: Hit, path: str) -> Hit:
    return Hit(h.kind, h.rule, h.start, h.end, h.weight, h.reason, path)
