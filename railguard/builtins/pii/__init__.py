"""Personal data: find it, name it, mask it, on Presidio's recognizers, offline and fast.

`pii.find`, `pii.entities` and the `pii.mask` redactor read text or any JSON value (every
string in it). Detection is the pattern and checksum path by default (Presidio's
recognizers run directly, plus Railguard's additions: see `fast.py` and `extra.py`); with a
spaCy model configured (`configure(model=...)`, the `RAILGUARD_PII_MODEL` environment
variable, or `model:` in the call), entities such as PERSON and LOCATION are found too.
Nothing is imported until a policy using these builtins loads; nothing reaches the network.

Findings carry the entity, score, span and path, never the text found.

The Python API beside the builtins:

* `custom_recognizer(name, patterns, context, score)` builds a recognizer from RE2
  patterns (the policy language's `recognizer` declaration calls it), and
  `register_recognizer(r)` makes it available as `recognizers: ["name"]`;
* `configure(model=..., max_chars=..., time_limit_ms=...)` sets the process's defaults;
* `ner_entities_without_model(entities, model)` lists the requested entities that need a
  model none is configured for (the linter's warning).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from railguard.builtins.pii import detect, masking, presidio
from railguard.builtins.pii.custom import (
    CustomRecognizer,
    custom_recognizer,
    register_recognizer,
    resolve_recognizers,
    unregister_recognizer,
)
from railguard.builtins.pii.detect import configure
from railguard.builtins.registry import Choices, EvalError, Redaction, builtin

__all__ = [
    "KNOWN_ENTITIES",
    "NER_ENTITIES",
    "PATTERN_ENTITIES",
    "CustomRecognizer",
    "configure",
    "custom_recognizer",
    "ner_entities_without_model",
    "register_recognizer",
    "unregister_recognizer",
]

# What Presidio's English pattern and checksum recognizers find.
PATTERN_ENTITIES = frozenset(
    "CREDIT_CARD CRYPTO DATE_TIME EMAIL_ADDRESS IBAN_CODE IP_ADDRESS MAC_ADDRESS "
    "MEDICAL_LICENSE PHONE_NUMBER UK_NHS URL US_BANK_NUMBER US_DRIVER_LICENSE US_ITIN "
    "US_PASSPORT US_SSN UUID".split()
)
NER_ENTITIES = presidio.NER_ENTITIES
KNOWN_ENTITIES = PATTERN_ENTITIES | NER_ENTITIES

Value = Annotated[Any, "the text, or JSON value, to read (every string in it)"]
Entities = Annotated[
    list[Any] | None,
    'the entity types to look for, such as ["EMAIL_ADDRESS", "CREDIT_CARD"]; null or empty: '
    "every pattern entity (and, with a model, every NER entity)",
]
MinScore = Annotated[float, "the lowest detection score that counts, from 0 to 1"]
Language = Annotated[str, "the language of the text", Choices(("en",))]
Model = Annotated[
    str | None,
    "a spaCy model for NER entities such as PERSON (`en_core_web_lg`); null: the configured one",
]
Recognizers = Annotated[list[Any] | None, "custom recognizers, by name, to run as well"]


def prepare() -> None:
    detect.prepare()


def options(
    entities: Sequence[Any] | None,
    min_score: float,
    language: str,
    model: str | None,
    recognizers: Sequence[Any] | None,
) -> detect.Options:
    """Checked detection options (an `EvalError` names the bad argument)."""
    if language != "en":
        raise EvalError(f"PII detection supports the language `en`, not `{language}`")
    if (
        isinstance(min_score, bool)
        or not isinstance(min_score, int | float)
        or not 0 <= min_score <= 1
    ):
        raise EvalError(f"`min_score` must be a number from 0 to 1, got {min_score!r}")
    if model is not None and not isinstance(model, str):
        raise EvalError("`model` must be the name of a spaCy model")
    try:
        customs = resolve_recognizers(recognizers or ())
    except (LookupError, TypeError) as exc:
        raise EvalError(str(exc)) from None
    wanted: frozenset[str] | None = None
    if entities:
        names = set()
        custom_names = {r.entity for r in customs}
        for e in entities:
            if not isinstance(e, str):
                raise EvalError('`entities` holds entity names, such as "EMAIL_ADDRESS"')
            if e not in KNOWN_ENTITIES and e not in custom_names:
                raise EvalError(f"unknown PII entity `{e}`")
            names.add(e)
        wanted = frozenset(names)
    return detect.Options(wanted, float(min_score), model, customs)


def _findings(
    value: Any,
    entities: Sequence[Any] | None,
    min_score: float,
    language: str,
    model: str | None,
    recognizers: Sequence[Any] | None,
) -> list[dict[str, Any]]:
    opts = options(entities, min_score, language, model, recognizers)
    return [f.to_dict() for f in detect.scan(value, opts)]


def _details(
    value: Any,
    entities: Sequence[Any] | None = None,
    min_score: float = 0.4,
    language: str = "en",
    model: str | None = None,
    recognizers: Sequence[Any] | None = None,
) -> dict[str, Any]:
    return {"pii": _findings(value, entities, min_score, language, model, recognizers)}


@builtin(
    "pii.find",
    prepare=prepare,
    details=_details,
    examples=[
        'pii.find(content, entities: ["EMAIL_ADDRESS", "CREDIT_CARD"], min_score: 0.6)',
        "len(pii.find(args)) > 0",
    ],
)
def find(
    value: Value,
    entities: Entities = None,
    min_score: MinScore = 0.4,
    language: Language = "en",
    model: Model = None,
    recognizers: Recognizers = None,
) -> list[Any]:
    """The personal data in `value`: a list of `{entity, score, start, end, path}`.

    The text itself is never in the result. `path` names the string within a JSON value
    (`body`, `items[2].note`; empty for a plain string), `start` and `end` are character
    offsets in it. Text is normalized first (NFKC, zero-width characters removed, digits
    folded to ASCII), and spans point into the original text. A value over the size limit,
    or a scan over the time limit, is an error, so the rule fails closed.
    """
    return _findings(value, entities, min_score, language, model, recognizers)


@builtin(
    "pii.entities",
    prepare=prepare,
    details=_details,
    examples=['pii.entities(content) & {"US_SSN", "CREDIT_CARD"}'],
)
def entities(
    value: Value,
    entities: Entities = None,
    min_score: MinScore = 0.4,
    language: Language = "en",
    model: Model = None,
    recognizers: Recognizers = None,
) -> frozenset[Any]:
    """The set of entity types found in `value`, such as `{"EMAIL_ADDRESS", "PHONE_NUMBER"}`."""
    return frozenset(
        f["entity"] for f in _findings(value, entities, min_score, language, model, recognizers)
    )


@builtin(
    "pii.mask",
    kind="redactor",
    prepare=prepare,
    examples=[
        'redact output with pii.mask(entities: ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"], min_score: 0.6)',
        'redact call send_email with pii.mask(args.body, entities: ["CREDIT_CARD"], mode: "partial")',
        'redact result with pii.mask(mode: "hash", key_env: "PII_HASH_KEY")',
    ],
)
def mask(
    value: Annotated[str, "the text being rewritten (supplied by the engine)"],
    entities: Entities = None,
    min_score: MinScore = 0.4,
    mode: Annotated[
        str,
        "`tag` (`<EMAIL_ADDRESS>`), `fixed` (the replacement), `partial` (keep the last "
        "`keep` letters and digits) or `hash` (a keyed hash: one value, one tag)",
        Choices(masking.MODES),
    ] = "tag",
    replacement: Annotated[str, "the text of the `fixed` mode"] = "<REDACTED>",
    keep: Annotated[int, "how many trailing letters and digits `partial` keeps"] = 4,
    key_env: Annotated[
        str, "the environment variable holding the `hash` key (no key: the event is denied)"
    ] = masking.DEFAULT_KEY_ENV,
    language: Language = "en",
    model: Model = None,
    recognizers: Recognizers = None,
) -> list[Redaction]:
    """Mask the personal data in every string of the payload.

    Overlapping findings are merged into one replacement. The verdict lists every
    replacement with its path and offsets. `hash` needs a key in `key_env`: without one the
    redaction fails, and the event is denied rather than passed unmasked.
    """
    opts = options(entities, min_score, language, model, recognizers)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise EvalError(f"`keep` must be a whole number of 0 or more, got {keep!r}")
    hits = detect.scan_text(value, opts)
    spans = [masking.Span(h.entity, h.start, h.end, h.score) for h in hits]
    return masking.redactions(value, spans, mode, replacement, keep, key_env)


def ner_entities_without_model(entities: Iterable[object], model: str | None = None) -> list[str]:
    """The NER entities in `entities` when no usable spaCy model is given or configured.

    The linter calls this for every PII builtin call whose `entities` (and `model`) are
    written in the policy, and warns when the list is not empty: those entities would never
    be found. An empty `entities` (all) asks for none in particular.
    """
    wanted = sorted({e for e in entities if isinstance(e, str) and e in NER_ENTITIES})
    if not wanted:
        return []
    chosen = model if model is not None else detect.config().model
    if chosen is not None and presidio.model_installed(chosen):
        return []
    return wanted
