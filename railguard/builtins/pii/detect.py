"""Detection of personal data in text and JSON: normalization, chunks, limits, paths.

`detect_hits(text, options)` normalizes the text (`normalize.py`), scans it in bounded
chunks with an overlap, runs the pattern path (`fast.py`, Presidio's recognizers),
Railguard's additions (`extra.py`) and any custom recognizers and, when a requested entity
needs one and a spaCy model is configured, Presidio's analyzer on that model for the NER
entities only (the NER path: spaCy's pipeline is then most of the cost); then it
applies context words, the minimum score, Presidio's duplicate removal and the resolution
of overlaps, and maps every span back to the original text.

`scan(value, options)` does the same for every string leaf of a JSON value, each finding
with its path. A check reads at most `Config.max_chars` characters and runs at most
`Config.time_limit_ms`; past either it raises `EvalError` (the rule fails closed).

Results are kept in a small LRU cache, so that several rules reading the same text (a
`deny` on `pii.entities`, then a `redact` with `pii.mask`) scan it once.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from railguard.builtins.pii import extra, presidio
from railguard.builtins.pii.custom import CustomRecognizer
from railguard.builtins.pii.fast import Hit, PatternPath, Text, remove_contained
from railguard.builtins.pii.normalize import normalize
from railguard.builtins.registry import EvalError

CHUNK = 8192  # characters per chunk
OVERLAP = 256  # characters shared by consecutive chunks
MODEL_ENV = "RAILGUARD_PII_MODEL"


@dataclass(slots=True)
class Config:
    """Process-wide settings (see `configure`)."""

    model: str | None = None  # the spaCy model of the NER path; None: patterns only
    max_chars: int = 1_048_576  # characters one check may scan
    time_limit_ms: int = 2_000  # time one check may take


_config = Config(model=os.environ.get(MODEL_ENV) or None)
_lock = threading.Lock()
_path: PatternPath | None = None


def configure(**changes: Any) -> Config:
    """Change the process-wide settings (`model`, `max_chars`, `time_limit_ms`); returns them."""
    global _config
    with _lock:
        for key, value in changes.items():
            if key not in Config.__dataclass_fields__:
                raise TypeError(f"unknown PII setting `{key}`")
            setattr(_config, key, value)
        _cache.clear()
    return _config


def config() -> Config:
    return _config


def pattern_path() -> PatternPath:
    """The process's pattern path, built on first use."""
    global _path
    if _path is None:
        with _lock:
            if _path is None:
                _path = PatternPath()
    return _path


def prepare() -> None:
    """Import Presidio and build what detection needs (run when a policy loads)."""
    pattern_path()
    if _config.model is not None:
        presidio.analyzer(_config.model)


@dataclass(frozen=True, slots=True)
class Options:
    entities: frozenset[str] | None = None  # None: every pattern entity
    min_score: float = 0.4
    model: str | None = None  # None: the configured model
    recognizers: tuple[CustomRecognizer, ...] = ()

    def effective_model(self) -> str | None:
        return self.model if self.model is not None else _config.model


@dataclass(frozen=True, slots=True)
class Finding:
    entity: str
    score: float
    start: int
    end: int
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "score": self.score,
            "start": self.start,
            "end": self.end,
            "path": self.path,
        }


@dataclass(slots=True)
class _Budget:
    chars: int
    deadline: float
    spent: int = 0

    def take(self, n: int) -> None:
        self.spent += n
        if self.spent > self.chars:
            raise EvalError(
                f"the text to scan for personal data is over the limit of {self.chars} characters"
            )
        if time.monotonic() > self.deadline:
            raise EvalError(f"the scan for personal data took over {_config.time_limit_ms} ms")


def _budget(options: Options | None = None) -> _Budget:
    """The limits of one check; what detection loads (Presidio, a model) is loaded first,
    outside the time limit."""
    pattern_path()
    if options is not None and (model := _ner_wanted(options)) is not None:
        presidio.analyzer(model)
    return _Budget(_config.max_chars, time.monotonic() + _config.time_limit_ms / 1000)


def chunks(text: str, size: int = CHUNK, overlap: int = OVERLAP) -> Iterator[tuple[int, str]]:
    """`(offset, piece)` pairs covering `text`; consecutive pieces share `overlap` characters
    and end at a blank where one is near, so that a value is rarely cut."""
    n = len(text)
    if n <= size:
        yield 0, text
        return
    start = 0
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = max(text.rfind(" ", end - overlap, end), text.rfind("\n", end - overlap, end))
            if cut > start + overlap:
                end = cut
        yield start, text[start:end]
        if end >= n:
            return
        start = end - overlap


def _ner_wanted(options: Options) -> str | None:
    """The model to use, when some requested entity needs one and a model is configured."""
    model = options.effective_model()
    if model is None:
        return None
    if options.entities is None or options.entities & presidio.NER_ENTITIES:
        return model
    return None


def detect_hits(text: str, options: Options, budget: _Budget | None = None) -> list[Hit]:
    """Hits in `text` (normalized offsets mapped back to `text`), resolved and filtered."""
    if not text:
        return []
    budget = budget or _budget(options)
    budget.take(len(text))
    norm = normalize(text)
    path = pattern_path()
    model = _ner_wanted(options)
    entities = options.entities
    context = _context(path, options.recognizers)
    hits: list[Hit] = []
    for offset, piece in chunks(norm.text):
        scanned = Text(piece)  # what the pattern path and the additions share
        found = path.analyze(scanned, entities, resolved=True)
        if model is not None:
            found.extend(_ner(piece, model, entities))
        found.extend(extra.find(scanned, entities))
        for recognizer in options.recognizers:
            found.extend(recognizer.find(piece))
        found = extra.enhance(piece, extra.shape_phones(piece, found), context)
        if offset:
            hits.extend(h._replace(start=h.start + offset, end=h.end + offset) for h in found)
        else:
            hits.extend(found)
        budget.take(0)
    hits = [h for h in hits if h.score >= options.min_score]
    hits = extra.resolve(remove_contained(hits))
    if norm.is_identity:
        return hits
    out = []
    for h in hits:
        start, end = norm.span(h.start, h.end)
        out.append(h._replace(start=start, end=end))
    return out


_contexts: dict[tuple[int, tuple[CustomRecognizer, ...]], dict[str, tuple[str, ...]]] = {}


def _context(
    path: PatternPath, recognizers: tuple[CustomRecognizer, ...]
) -> dict[str, tuple[str, ...]]:
    """Each entity's context words (Presidio's, Railguard's, the custom recognizers'),
    computed once per set of recognizers."""
    key = (id(path), recognizers)
    found = _contexts.get(key)
    if found is not None:
        return found
    context = dict(path.context_words())
    context["PHONE_NUMBER"] = tuple(
        sorted(set(context.get("PHONE_NUMBER", ())) | set(extra.PHONE_CONTEXT))
    )
    for r in recognizers:
        context[r.entity] = tuple(sorted(set(context.get(r.entity, ())) | set(r.context)))
    if len(_contexts) < 256:
        _contexts[key] = context
    return context


def _ner(text: str, model: str, entities: frozenset[str] | None) -> list[Hit]:
    """The NER entities spaCy finds in `text`, through Presidio's analyzer on the model,
    asked for those entities only (so that only its spaCy recognizer runs; the pattern
    entities come from the pattern path)."""
    engine = presidio.analyzer(model)
    wanted = presidio.NER_ENTITIES if entities is None else entities & presidio.NER_ENTITIES
    wanted &= frozenset(engine.get_supported_entities())
    if not wanted:
        return []
    results = engine.analyze(text, language=presidio.LANGUAGE, entities=sorted(wanted))
    return [Hit(r.entity_type, r.start, r.end, float(r.score), "ner") for r in results]


# ---- JSON values ----------------------------------------------------------------


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of a JSON value with its path (`body`, `items[2].note`, `["a b"]`)."""
    import json

    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, where = stack.pop()
        t = type(v)
        if t is str:
            yield where, v
        elif t is dict:
            items = list(v.items())
            for k, x in reversed(items):
                key = str(k)
                step = (
                    (f".{key}" if where else key)
                    if key.isidentifier()
                    else f"[{json.dumps(key, ensure_ascii=False)}]"
                )
                stack.append((x, where + step))
        elif t in (list, tuple):
            for i in range(len(v) - 1, -1, -1):
                stack.append((v[i], f"{where}[{i}]"))


@dataclass
class _Cache:
    size: int = 512
    max_text: int = 65_536
    items: OrderedDict[tuple[str, Options, str | None], list[Hit]] = field(
        default_factory=OrderedDict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, text: str, options: Options, budget: _Budget) -> list[Hit]:
        key = (text, options, options.effective_model())
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        hits = detect_hits(text, options, budget)
        if len(text) <= self.max_text:
            with self.lock:
                self.items[key] = hits
                if len(self.items) > self.size:
                    self.items.popitem(last=False)
        return hits

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_cache = _Cache()


def clear_cache() -> None:
    _cache.clear()


def scan(value: Any, options: Options) -> list[Finding]:
    """Findings in every string leaf of `value`, in order of path then position."""
    out: list[Finding] = []
    try:
        budget = _budget(options)
        for where, text in leaves(value):
            for h in _cache.get(text, options, budget):
                out.append(Finding(h.entity, round(h.score, 4), h.start, h.end, where))
    except EvalError:
        raise
    except Exception as exc:  # fail closed, with the cause
        raise EvalError(f"personal data detection failed: {type(exc).__name__}: {exc}") from None
    return out


def scan_text(text: str, options: Options) -> list[Hit]:
    """Hits in one string (for redaction), with the same limits and cache as `scan`."""
    try:
        return _cache.get(text, options, _budget(options))
    except EvalError:
        raise
    except Exception as exc:
        raise EvalError(f"personal data detection failed: {type(exc).__name__}: {exc}") from None
