"""Session stores: where session state lives between evaluations.

A store keeps one `SessionState` per (tenant, session) key with a version number, and
offers two operations: `load` (the state and its version) and `save` (compare-and-set: write
only if the version is still the one loaded). The engine loads, decides, and saves the
state its decision adds; when another evaluation saved first, it loads again and decides
again. That makes check-and-record atomic with any store that can compare-and-set, which is
how several sidecars sharing one Redis enforce one limit.

`open_store("memory://")` (the default: embedded, bounded) or
`open_store("redis://127.0.0.1:6379/0")` picks one by configuration.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from railguard.engine.session_state import DEFAULT_MAX_CALLS, DEFAULT_TTL_S, SessionState, Settings

Clock = Callable[[], float]


class StoreError(Exception):
    """The store cannot be read or written (down, timed out, refused)."""


class SessionStore(Protocol):
    settings: Settings
    clock: Clock
    blocking: bool  # calls wait on the network (run them off an event loop)

    def load(self, key: str) -> tuple[int, SessionState | None]:
        """The session's state and version (0 and None when there is none)."""
        ...

    def save(self, key: str, version: int, state: SessionState) -> bool:
        """Write `state` if the stored version is still `version`; False when it is not.
        The session expires `settings.ttl_s` after its last save."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """Sessions in this process's memory, for one engine or one sidecar worker.

    Bounded: at most `max_sessions` sessions, the least recently used forgotten first,
    and idle sessions expire after the TTL.
    """

    blocking = False

    def __init__(
        self,
        settings: Settings | None = None,
        max_sessions: int = 100_000,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings or Settings()
        self.max_sessions = max_sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._data: OrderedDict[str, tuple[int, SessionState, float]] = OrderedDict()

    def load(self, key: str) -> tuple[int, SessionState | None]:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return 0, None
            version, state, expires = entry
            if expires <= self.clock():
                del self._data[key]
                return 0, None
            return version, state

    def save(self, key: str, version: int, state: SessionState) -> bool:
        now = self.clock()
        with self._lock:
            entry = self._data.get(key)
            current = 0 if entry is None or entry[2] <= now else entry[0]
            if current != version:
                return False
            self._data[key] = (version + 1, state, now + self.settings.ttl_s)
            self._data.move_to_end(key)
            while len(self._data) > self.max_sessions:
                self._data.popitem(last=False)
            return True

    def __len__(self) -> int:
        return len(self._data)

    def close(self) -> None:
        with self._lock:
            self._data.clear()


class ReadOnlyStore:
    """Another store's sessions, read but never written: what a shadow policy set sees, so
    that trying a candidate on live traffic changes no session."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.settings = store.settings
        self.clock: Clock = lambda: store.clock()  # follows the store's clock
        self.blocking = store.blocking

    def load(self, key: str) -> tuple[int, SessionState | None]:
        return self.store.load(key)

    def save(self, key: str, version: int, state: SessionState) -> bool:
        return True

    def close(self) -> None:
        pass


def open_store(url: str = "memory://", clock: Clock = time.time) -> SessionStore:
    """A store from its URL.

    `memory://?max_sessions=100000&ttl=86400&max_calls=1000` or
    `redis://[:password@]host:port/db?prefix=railguard&timeout=0.25&ttl=86400&max_calls=1000`
    (`rediss://` for TLS, `unix:///path/redis.sock?db=0` for a socket). `ttl` is how long an idle
    session is kept, in seconds, and bounds the windows rules may ask about.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def number(name: str, default: float) -> float:
        text = query.pop(name, None)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"`{name}` in the session store URL must be a number") from None
        if value <= 0:
            raise ValueError(f"`{name}` in the session store URL must be more than 0")
        return value

    settings = Settings(
        ttl_s=number("ttl", DEFAULT_TTL_S), max_calls=int(number("max_calls", DEFAULT_MAX_CALLS))
    )
    if parts.scheme == "memory":
        max_sessions = int(number("max_sessions", 100_000))
        _no_more(query)
        return MemoryStore(settings, max_sessions, clock)
    if parts.scheme in ("redis", "rediss", "unix"):
        from railguard.engine.redis_store import RedisStore

        prefix = query.pop("prefix", "railguard")
        timeout = number("timeout", 0.25)
        client_url = parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()
        return RedisStore(client_url, settings, prefix=prefix, timeout_s=timeout, clock=clock)
    raise ValueError(
        f"unknown session store `{parts.scheme or url}`: use memory:// or redis://host:port/db"
    )


def _no_more(query: dict[str, str]) -> None:
    if query:
        raise ValueError(f"unknown setting `{next(iter(query))}` in the session store URL")
