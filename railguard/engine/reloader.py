"""The policy set a sidecar serves: compiled off the request path, swapped atomically.

`Reloader.guard` is one attribute read, so a request sees either the old set or the new
one, never a mix. A set that does not compile is refused: the last good one keeps serving,
and the refusal's diagnostics are kept for `/v1/policies` and written to the log. A polling
thread watches the policy files (stat every `interval` seconds, content hash on a change):
no extra dependency, and it works on ConfigMap volumes, whose files change by symlink swap.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from railguard.engine.guard import Guard
from railguard.engine.stores import SessionStore
from railguard.policylang.diagnostics import Diagnostic, render_human

log = logging.getLogger("railguard.serve")

_MAX_WATCHED = 10_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A compiled set and when it started serving."""

    guard: Guard
    loaded_at: float
    content: str  # hash of the watched files it was compiled from


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one reload did: `success` (a new set serves), `unchanged` or `failure`."""

    outcome: str
    digest: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


Compiler = Callable[[list[str]], tuple[Guard | None, list[Diagnostic]]]


def default_compiler(
    allow_imports: Iterable[str] = (),
    schema_roots: Mapping[str, str] | None = None,
    sessions: SessionStore | None = None,
) -> Compiler:
    """Compiles with `railguard.check`; every set it builds keeps its session state in
    `sessions`, so that a reload does not forget the sessions in flight."""

    def compile_paths(paths: list[str]) -> tuple[Guard | None, list[Diagnostic]]:
        from railguard.api import check

        return check(
            list(paths),
            allow_imports=list(allow_imports),
            schema_roots=schema_roots,
            sessions=sessions,
        )

    return compile_paths


class Reloader:
    def __init__(
        self,
        paths: list[str],
        compiler: Compiler | None = None,
        interval: float = 1.0,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.interval = interval
        self._compile = compiler or default_compiler()
        self._on_outcome = on_outcome
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stamps: tuple[Any, ...] | None = None
        self.current: Snapshot | None = None
        self.last_attempt: float | None = None
        self.last_error: tuple[float, list[Diagnostic]] | None = None
        self.counts: dict[str, int] = {"success": 0, "failure": 0, "unchanged": 0}

    @property
    def guard(self) -> Guard | None:
        current = self.current
        return current.guard if current is not None else None

    # -- reloading

    def reload(self, reason: str = "request", force: bool = False) -> Outcome:
        """Compile the files now; swap in the result when it compiled and differs."""
        with self._lock:
            self._stamps = self._stat()
            content = self._content_hash()
            current = self.current
            if not force and current is not None and content == current.content:
                return self._done(Outcome("unchanged", current.guard.digest))
            self.last_attempt = time.time()
            try:
                guard, diagnostics = self._compile(self.paths)
            except Exception as exc:  # a compiler bug must not take the sidecar down
                log.exception("policy reload (%s) crashed; the last good set keeps serving", reason)
                from railguard.policylang.diagnostics import Severity
                from railguard.policylang.span import Span

                diagnostics = [
                    Diagnostic(
                        "RG200",
                        f"the policy set could not be compiled: {exc}",
                        Span("<reload>", 0, 0, 0, 0, 0, 0),
                        Severity.ERROR,
                    )
                ]
                guard = None
            if guard is None:
                self.last_error = (time.time(), diagnostics)
                serving = current.guard.digest if current is not None else None
                log.error(
                    "policy reload (%s) refused; %s\n%s",
                    reason,
                    f"still serving {serving}" if serving else "no policy set is serving",
                    render_human([d for d in diagnostics if d.is_error]),
                )
                return self._done(Outcome("failure", serving, diagnostics))
            self.last_error = None
            if current is not None and guard.digest == current.guard.digest:
                self.current = Snapshot(current.guard, current.loaded_at, content)
                return self._done(Outcome("unchanged", guard.digest, diagnostics))
            self.current = Snapshot(guard, time.time(), content)
            log.info(
                "policy set %s serving (%s: %d policies, %d rules)",
                guard.digest,
                reason,
                len(guard.policies),
                guard.rule_count,
            )
            return self._done(Outcome("success", guard.digest, diagnostics))

    def _done(self, outcome: Outcome) -> Outcome:
        self.counts[outcome.outcome] += 1
        if self._on_outcome is not None:
            self._on_outcome(outcome.outcome)
        return outcome

    # -- watching

    def start(self) -> None:
        """Compile the first set (in the watcher thread), then watch for changes."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="railguard-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _watch(self) -> None:
        self.reload("start")
        while not self._stop.wait(self.interval):
            try:
                if self._stat() != self._stamps:
                    self.reload("file change")
            except Exception:  # keep watching whatever happens
                log.exception("the policy watcher failed; retrying")

    def _files(self) -> list[Path]:
        found: set[Path] = set()
        for p in self.paths:
            path = Path(p)
            if path.is_dir():
                for f in path.rglob("*"):
                    if len(found) >= _MAX_WATCHED:
                        break
                    if f.is_file() and not any(part.startswith(".") for part in f.parts[-2:]):
                        found.add(f)
            else:
                found.add(path)
        current = self.current
        if current is not None:
            found.update(Path(f) for f in current.guard.files if not f.startswith("<"))
        return sorted(found)

    def _stat(self) -> tuple[Any, ...]:
        stamps: list[Any] = []
        for f in self._files():
            try:
                st = f.stat()
                stamps.append((str(f), st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                stamps.append((str(f), None))
        return tuple(stamps)

    def _content_hash(self) -> str:
        h = hashlib.sha256()
        for f in self._files():
            h.update(str(f).encode() + b"\0")
            try:
                h.update(f.read_bytes())
            except OSError:
                h.update(b"\1missing")
        return h.hexdigest()

    # -- status

    def status(self) -> dict[str, Any]:
        current = self.current
        out: dict[str, Any] = {"ready": current is not None, "paths": self.paths}
        if current is not None:
            guard = current.guard
            out.update(
                digest=guard.digest,
                loaded_at=_iso(current.loaded_at),
                rule_count=guard.rule_count,
                files=guard.files,
                policies=[
                    {
                        "name": p.name,
                        "version": p.version,
                        "file": p.file,
                        "default": p.default,
                        "mode": "shadow" if p.shadow else "enforce",
                        "rules": len(p.rules),
                    }
                    for p in guard.policies
                ],
                warnings=[d.to_dict() for d in guard.diagnostics if not d.is_error],
            )
        else:
            out.update(digest=None, loaded_at=None, rule_count=0, files=[], policies=[])
            out["warnings"] = []
        out["last_attempt"] = _iso(self.last_attempt) if self.last_attempt else None
        error = self.last_error
        out["last_error"] = (
            {"at": _iso(error[0]), "diagnostics": [d.to_dict() for d in error[1]]}
            if error is not None
            else None
        )
        out["reloads"] = dict(self.counts)
        return out


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
