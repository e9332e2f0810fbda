"""The public entry points: `load()` a policy set into a `Guard`, `evaluate()` an event."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from railguard import __version__
from railguard.engine.auditlog import DecisionLog
from railguard.engine.events import Event
from railguard.engine.guard import Guard
from railguard.engine.rules import Limits
from railguard.engine.stores import SessionStore, open_store
from railguard.engine.verdict import Verdict
from railguard.policylang.compiler import compile_sources
from railguard.policylang.diagnostics import Diagnostic, Diagnostics, PolicyError
from railguard.policylang.loader import Source, load_sources, looks_like_text

PolicySource = str | Path


def check(
    sources: PolicySource | Iterable[PolicySource],
    *,
    limits: Limits | None = None,
    allow_imports: Iterable[str] = (),
    schema_roots: Mapping[str, str | Path] | None = None,
    sessions: str | SessionStore | None = None,
    audit: DecisionLog | str | Path | None = None,
) -> tuple[Guard | None, list[Diagnostic]]:
    """Compile policies; return the guard (None on errors) and every diagnostic, sorted.

    `allow_imports` names the modules (and their submodules) whose pydantic models policies
    may name in `schema.model`: importing a module runs its code. `schema_roots` maps URI
    prefixes to local folders, so that a schema's `$ref` to `https://acme.com/schemas/x.json`
    reads `FOLDER/x.json` (offline; nothing is ever downloaded). `sessions` is where session
    state lives when a policy reads it: a store, or its URL (`"memory://"`, the default, or
    `"redis://host:6379/0"`; see `railguard.engine.stores.open_store`). `audit` records every
    verdict: a `DecisionLog`, or a file path for a hash-chained JSON-lines log with the
    defaults (payloads as hashes, each record written before `evaluate` returns).
    """
    store = open_store(sessions) if isinstance(sessions, str) else sessions
    paths, texts = _split(sources)
    diags = Diagnostics()
    loaded = load_sources(paths, texts, diags)
    config = engine_config(allow_imports, schema_roots, store)
    result = compile_sources(loaded, diags, config)
    found = diags.sorted()
    if diags.has_errors:
        return None, found
    effective = _limits(limits, result.policies)
    guard = Guard(
        result.policies,
        _digest(loaded),
        effective,
        catalog=result.catalog,
        diagnostics=found,
        files=[s.module.file for s in loaded],
        sessions=store,
    )
    return guard.with_audit(open_log(audit)) if audit is not None else guard, found


def load(
    sources: PolicySource | Iterable[PolicySource],
    *,
    limits: Limits | None = None,
    allow_imports: Iterable[str] = (),
    schema_roots: Mapping[str, str | Path] | None = None,
    sessions: str | SessionStore | None = None,
    audit: DecisionLog | str | Path | None = None,
) -> Guard:
    """Compile policy files, folders (every `*.rail` inside) or policy text into a `Guard`.

    Raises `PolicyError` carrying every diagnostic when any policy has an error. See
    `check` for `allow_imports`, `schema_roots`, `sessions` and `audit`.
    """
    guard, diagnostics = check(
        sources,
        limits=limits,
        allow_imports=allow_imports,
        schema_roots=schema_roots,
        sessions=sessions,
        audit=audit,
    )
    if guard is None:
        raise PolicyError([d for d in diagnostics if d.is_error])
    return guard


def loads(
    text: str,
    name: str = "<policy>",
    *,
    limits: Limits | None = None,
    allow_imports: Iterable[str] = (),
    schema_roots: Mapping[str, str | Path] | None = None,
    sessions: str | SessionStore | None = None,
    audit: DecisionLog | str | Path | None = None,
) -> Guard:
    """Compile policy text (never read as a path); paths in it are relative to the working
    directory."""
    store = open_store(sessions) if isinstance(sessions, str) else sessions
    config = engine_config(allow_imports, schema_roots, store)
    guard, diagnostics = _check_text(text, name, limits, config, store)
    if guard is None:
        raise PolicyError([d for d in diagnostics if d.is_error])
    return guard.with_audit(open_log(audit)) if audit is not None else guard


def open_log(audit: DecisionLog | str | Path) -> DecisionLog:
    """A decision log: `audit` itself, or a hash-chained JSON-lines file at that path."""
    if isinstance(audit, DecisionLog):
        return audit
    from railguard.engine.auditfile import JsonlFile

    return DecisionLog([JsonlFile(audit)])


def _check_text(
    text: str,
    name: str,
    limits: Limits | None,
    config: Mapping[str, Any] | None = None,
    sessions: SessionStore | None = None,
) -> tuple[Guard | None, list[Diagnostic]]:
    diags = Diagnostics()
    loaded = load_sources([], [(name, text)], diags)
    result = compile_sources(loaded, diags, config)
    found = diags.sorted()
    if diags.has_errors:
        return None, found
    guard = Guard(
        result.policies,
        _digest(loaded),
        _limits(limits, result.policies),
        catalog=result.catalog,
        diagnostics=found,
        files=[name],
        sessions=sessions,
    )
    return guard, found


def engine_config(
    allow_imports: Iterable[str] = (),
    schema_roots: Mapping[str, str | Path] | None = None,
    sessions: SessionStore | None = None,
) -> dict[str, Any]:
    """The engine configuration that load-time builtin arguments read."""
    if isinstance(allow_imports, str):
        allow_imports = [allow_imports]
    config: dict[str, Any] = {
        "allow_imports": tuple(allow_imports),
        "schema_roots": {str(k): Path(v) for k, v in (schema_roots or {}).items()},
    }
    if sessions is not None:
        config["session_ttl"] = sessions.settings.ttl_s
    return config


_CACHE: dict[tuple[Any, ...], Guard] = {}
_CACHE_LOCK = threading.Lock()


def evaluate(
    event: Event | Mapping[str, Any], policies: PolicySource | Iterable[PolicySource]
) -> Verdict:
    """Evaluate one event against `policies`, compiling them once and reusing the result.

    Files are recompiled when their modification time or size changes.
    """
    key = _cache_key(policies)
    guard = _CACHE.get(key)
    if guard is None:
        guard = load(policies)
        with _CACHE_LOCK:
            if len(_CACHE) >= 64:
                _CACHE.clear()
            _CACHE[key] = guard
    return guard.evaluate(event)


def _split(
    sources: PolicySource | Iterable[PolicySource],
) -> tuple[list[str | Path], list[tuple[str, str]]]:
    items: list[PolicySource] = [sources] if isinstance(sources, str | Path) else list(sources)
    paths: list[str | Path] = []
    texts: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, str) and looks_like_text(item):
            texts.append((f"<policy {len(texts) + 1}>" if texts else "<policy>", item))
        else:
            paths.append(item)
    return paths, texts


def _cache_key(policies: PolicySource | Iterable[PolicySource]) -> tuple[Any, ...]:
    paths, texts = _split(policies)
    stamps: list[Any] = []
    for p in paths:
        path = Path(p)
        files = sorted(path.rglob("*.rail")) if path.is_dir() else [path]
        for f in files:
            try:
                st = f.stat()
                stamps.append((str(f), st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append((str(f), None))
    return (tuple(stamps), tuple(texts))


def _digest(sources: list[Source]) -> str:
    h = hashlib.sha256(f"railguard {__version__}\n".encode())
    seen: set[str] = set()

    def add(name: str, text: str) -> None:
        if name in seen:
            return
        seen.add(name)
        h.update(f"{len(name)}:{name}{len(text)}:".encode())
        h.update(text.encode("utf-8", "surrogatepass"))

    for s in sources:
        add(s.module.file, s.text)
        for pairs in s.included.values():
            for policy, text in pairs:
                add(policy.span.file, text)
    return "sha256:" + h.hexdigest()


def _limits(given: Limits | None, policies: list[Any]) -> Limits:
    base = given or Limits()
    values = {name: getattr(base, name) for name in Limits.names()}
    for p in policies:
        for key, value in p.limits.items():
            name = key.removeprefix("limit.")
            values[name] = min(values[name], value)
    return Limits(**values)
