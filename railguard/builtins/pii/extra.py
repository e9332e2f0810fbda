"""Railguard's additions to Presidio's recognizers, where the corpus showed them short.

Measured on the synthetic PII corpus (`make bench-pii`), Presidio's pattern recognizers miss
a quarter of the card numbers (19-digit Visa, 12-digit Maestro, 2-series Mastercard and
15-digit JCB prefixes are outside its pattern) and most non-North-American phone numbers,
and report the domain of every e-mail address as a URL. This module adds, on top of what
Presidio finds (never instead of it):

* `CARD`: 12 to 19 digits, grouped by single spaces or dashes, starting with a known card
  prefix and passing the Luhn check (score 1.0, as Presidio gives a checked card);
* `PHONE`: phone-shaped numbers: an optional `+` or `00` country code, an optional `(0)`
  or bracketed area code, then groups of digits separated by single spaces, dashes or
  dots, 7 to 15 digits in all, with an optional extension; ten or eleven digits written
  without separators are scored lower (0.3), so they count only next to a context word;
* `OBFUSCATED_EMAIL`: `name (at) example (dot) com`, `name[at]example[dot]com`,
  `name @ example.com`;
* phone shape: every phone hit, Presidio's too, is scored by its shape (`phone_score`):
  two groups of digits (`370 3911`) or fewer than seven digits are as often a street
  number, a flat or a postcode, so they need a context word to count;
* context: a hit whose recognizer lists context words (Presidio's, for its own
  recognizers) gains 0.35 when one of them occurs among the five words before it or the
  word after it, as Presidio's enhancer does with a spaCy model (the blank pipeline gives
  it no words);
* resolution: where hits of different entities overlap, a pattern hit beats a model's
  guess and otherwise the lower score is dropped (a card is not also a phone number, nor a
  date a phone number), and a URL inside an e-mail address is dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from railguard.builtins.pii.fast import _SHORT, Hit, Text, luhn

SOURCE = "railguard"
CONTEXT_BOOST = 0.35
CONTEXT_FLOOR = 0.4
CONTEXT_WORDS = 5

# (The lookaheads at the start only say what the first character is: they make the scan
# skip other characters faster.)
_CARD = re.compile(r"(?=\d)(?<![\w.+-])\d(?:[ -]?\d){11,18}(?![\w-]|\.\d)")
_CARD_PREFIX = re.compile(
    r"4|5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720|3[47]|30[0-5]|3[689]|35(?:2[89]|[3-8]\d)"
    r"|6011|64[4-9]|65|62|50|5[6-8]|6[37]|2131|1800|0604|6390"
)
_PHONE = re.compile(
    r"(?=[\d+(])(?<![\w+.\-/])"
    r"(?:(?:\+|00)\d{1,3}[ .-]?)?"
    r"(?:\(0\)[ .-]?)?"
    r"(?:\(\d{1,5}\)[ .-]?)?"
    r"\d{1,12}(?:[ .-]\d{1,8}){0,6}"
    r"(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?"
    r"(?![\w+/]|[.-]\d)",
    re.IGNORECASE,
)
_GROUPS = re.compile(r"[ .()+/-]+")
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|#)[ ]?\d{1,6}$", re.IGNORECASE)
_DATE_LIKE = re.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2}"
)
_AT = r"(?:\s*(?:\(at\)|\[at\]|\{at\}|<at>)\s*|\s+@\s*|\s*@\s+)"
_DOT = r"(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|<dot>)\s*|\.)"
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}"
    + _AT
    + r"[\w-]{1,63}(?:"
    + _DOT
    + r"[\w-]{1,63}){0,4}"
    + _DOT
    + r"[a-z]{2,24}(?![\w-])",
    re.IGNORECASE,
)
PHONE_CONTEXT = (
    "phone",
    "number",
    "telephone",
    "cell",
    "cellphone",
    "mobile",
    "call",
    "fax",
    "tel",
    "desk",
    "office",
    "contact",
    "reach",
    "text",
    "sms",
    "whatsapp",
    "message",
)
_WORDS = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
# What a match of `_PHONE` can hold (and a match of `_CARD`, with the `.` of the `\.\d` its
# lookahead reads past a match): the rest are barriers no match crosses, and a match needs
# seven (twelve) digits between two of them.
_PHONE_BARRIER = re.compile(r"[^\d .\-+()xXeEtT#]")
_BRACKET_AT = ("(at)", "[at]", "{at}", "<at>")
# Entities whose hits may sit inside another entity's span without being dropped.
_URL_IN = frozenset({"EMAIL_ADDRESS"})


def _stretched(
    text: str | Text, pattern: re.Pattern[str], digits: int
) -> list[tuple[int, int, str]]:
    """The matches of `_CARD` or `_PHONE` (start, end, text), found on the stretches
    between `_PHONE_BARRIER` characters that hold `digits` digits or more (see
    `fast.Text.stretches`): those barriers are barriers to `_CARD` too."""
    t = text if isinstance(text, Text) else Text(text)
    if not t.simple or (t.n <= _SHORT and t.total_digits >= digits):
        return [(m.start(), m.end(), m.group()) for m in pattern.finditer(t.text)]
    stretches = t.memo.get("numbers")
    if stretches is None:
        stretches = t.memo["numbers"] = t.stretches(_PHONE_BARRIER, (s for s, _ in t.runs), 7, 7)
    if digits > 7:
        stretches = [(a, b) for a, b in stretches if t.digits(a, b) >= digits]
    if not stretches:
        return []
    pieces = t.pieces(stretches)
    out = []
    for m in pattern.finditer(pieces.text):
        shift = pieces.shift(m.start())
        out.append((m.start() + shift, m.end() + shift, m.group()))
    return out


def cards(text: str | Text) -> list[Hit]:
    out = []
    for start, end, raw in _stretched(text, _CARD, 12):
        seps = {c for c in raw if not c.isdigit()}
        if len(seps) > 1:
            continue
        digits = raw.replace(" ", "").replace("-", "")
        if _CARD_PREFIX.match(digits) and luhn(digits):
            out.append(Hit("CREDIT_CARD", start, end, 1.0, SOURCE))
    return out


def phones(text: str | Text) -> list[Hit]:
    out = []
    for start, end, raw in _stretched(text, _PHONE, 7):
        core = _core(raw)
        digits = sum(map(str.isdigit, core))
        if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(core):
            continue
        formatted = not core.isdigit()  # (the core holds a digit)
        if not formatted and digits not in (10, 11):
            continue
        out.append(Hit("PHONE_NUMBER", start, end, _score(core, digits), SOURCE))
    return out


def _core(raw: str) -> str:
    """A phone number without its extension."""
    return _EXTENSION.sub("", raw) if "x" in raw or "X" in raw or "#" in raw else raw


def phone_score(raw: str) -> float:
    """How much a phone-shaped number looks like one without context: 0.4 (Presidio's phone
    score) with a country code, brackets, three or more groups or ten digits; 0.3 for two
    groups or bare digits (a street number and flat, a postcode); 0.2 under seven digits."""
    core = _core(raw)
    return _score(core, sum(map(str.isdigit, core)))


def _score(core: str, digits: int) -> float:
    if digits < 7:
        return 0.2
    groups = [g for g in _GROUPS.split(core) if g]
    if "+" in core or "(" in core or len(groups) >= 3 or (len(groups) == 2 and digits >= 10):
        return 0.4
    return 0.3


def shape_phones(text: str, hits: Iterable[Hit]) -> list[Hit]:
    """Give every phone hit (Presidio's too) the score its shape earns (`phone_score`);
    `phones` scored its own already."""
    return [
        h._replace(score=phone_score(text[h.start : h.end]))
        if h.entity == "PHONE_NUMBER" and h.source != "ner" and h.source != SOURCE
        else h
        for h in hits
    ]


def obfuscated_emails(text: str) -> list[Hit]:
    # Every match holds `@` next to a blank, or `(at)` (or `[at]`, `{at}`, `<at>`).
    if not _blank_at(text):
        low = text.lower()
        if not any(at in low for at in _BRACKET_AT):
            return []
    return [
        Hit("EMAIL_ADDRESS", m.start(), m.end(), 0.8, SOURCE)
        for m in _OBFUSCATED_EMAIL.finditer(text)
    ]


def _blank_at(text: str) -> bool:
    at = text.find("@")
    while at >= 0:
        if (at and text[at - 1].isspace()) or (at + 1 < len(text) and text[at + 1].isspace()):
            return True
        at = text.find("@", at + 1)
    return False


def find(text: str | Text, entities: frozenset[str] | None) -> list[Hit]:
    """The additional hits for `text`, limited to `entities` (None: all)."""
    out: list[Hit] = []
    if entities is None or "CREDIT_CARD" in entities:
        out.extend(cards(text))
    if entities is None or "PHONE_NUMBER" in entities:
        out.extend(phones(text))
    if entities is None or "EMAIL_ADDRESS" in entities:
        out.extend(obfuscated_emails(text.text if isinstance(text, Text) else text))
    return out


def enhance(text: str, hits: Iterable[Hit], context: Mapping[str, tuple[str, ...]]) -> list[Hit]:
    """Raise the score of hits with a context word among the five words before them (or
    the word after)."""
    out = []
    windows: dict[tuple[int, int], str] = {}
    nearby: dict[tuple[int, int], str] = {}
    for h in hits:
        cues = context.get(h.entity, ())
        if cues and h.score < 1.0 and h.source != "ner":
            span = (h.start, h.end)
            cues = _letter_cues(cues)
            # A cheap necessary condition first: a cue in the stretch of text the words
            # come from.
            window = windows.get(span)
            if window is None:
                window = windows[span] = _window(text, h.start, h.end)
            if not any(map(window.__contains__, cues)):
                out.append(h)
                continue
            near = nearby.get(span)
            if near is None:
                near = nearby[span] = _near(text, h.start, h.end)
            if any(map(near.__contains__, cues)):
                score = min(1.0, max(h.score + CONTEXT_BOOST, CONTEXT_FLOOR))
                h = h._replace(score=round(score, 6))
        out.append(h)
    return out


_NOT_LETTER = re.compile(r"[\W\d_]")


@functools.lru_cache(maxsize=256)
def _letter_cues(cues: tuple[str, ...]) -> tuple[str, ...]:
    """The cues that can be part of a word (letters only); the others never match."""
    return tuple(c for c in cues if c.isalpha())


def _window(text: str, start: int, end: int) -> str:
    """The text the words near `text[start:end]` come from (see `_near`), lower-cased: from
    100 characters before `start` to the end of the word that starts 30 characters after
    `end`."""
    found = _NOT_LETTER.search(text, end + 30)
    return text[max(0, start - 100) : found.start() if found else len(text)].lower()


def _near(text: str, start: int, end: int) -> str:
    """The words (runs of letters) that may give `text[start:end]` context, lower-cased and
    joined by a character no cue holds: of the six that start before `end`, those that
    start within 100 characters before `start`; and the first that starts at or after
    `end`, if within 30 characters."""
    lo = max(0, start - 100)
    letter = _LETTER.match
    # The words that start before `end`, a word running over it whole.
    stop = end
    if 0 < end < len(text) and letter(text, end) and letter(text, end - 1):
        found = _NOT_LETTER.search(text, end)
        stop = found.start() if found else len(text)
    words = _WORDS.findall(text, lo, stop)
    if words and lo > 0 and letter(text, lo) and letter(text, lo - 1):
        del words[0]  # the tail of a word that starts before `lo`
    near = words[-(CONTEXT_WORDS + 1) :]
    after = _WORDS.search(text, stop)
    if after is not None and after.start() < end + 30:
        near.append(after.group())
    return "\n".join(near).lower()


def resolve(hits: list[Hit]) -> list[Hit]:
    """Drop hits that overlap a stronger hit of another entity: a pattern hit beats a
    model's (NER) guess, and among the same kind a higher score wins; a URL inside an
    e-mail address is dropped. The rest are kept in text order."""
    kept: list[tuple[Hit, tuple[bool, float]]] = []
    for h in sorted(hits, key=_strongest_first):
        rank = (h.source != "ner", h.score)
        for k, k_rank in kept:
            if k.entity == h.entity or k.end <= h.start or h.end <= k.start:
                continue
            if k_rank > rank or (
                h.entity == "URL" and k.entity in _URL_IN and k.start <= h.start and h.end <= k.end
            ):
                break
        else:
            kept.append((h, rank))
    out = [k for k, _ in kept]
    out.sort(key=_text_order)
    return out


def _strongest_first(h: Hit) -> tuple[bool, float, int, int]:
    return (h.source == "ner", -h.score, h.start - h.end, h.start)


def _text_order(h: Hit) -> tuple[int, int, str]:
    return (h.start, h.end, h.entity)
