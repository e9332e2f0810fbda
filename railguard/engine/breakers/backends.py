"""Where breaker state lives: beside the session state, in the session store's place.

- With the in-memory session store (the default), breakers keep their state in this
  process: a dict from key to state. Reading it is one dict lookup, so a closed breaker costs
  a call next to nothing; every change happens under a lock.
- With the Redis session store, every change is a compare-and-set on the same Redis (the
  sessions' Lua script, one round trip; a lost race loads and decides again), so a fleet of
  sidecars shares one breaker and a half-open breaker admits exactly its trials in total.
  Reads are served from a short-lived local copy (`refresh_s`, half a second by default):
  a closed breaker costs no round trip per call, at the price that another sidecar's
  opening is seen here up to `refresh_s` late. Open breakers need no read until their
  cool-down ends, and admitting a trial always reads Redis.

`backend_for(store)` gives the backend of a session store (one per store, kept while the
store lives). A session store of another kind keeps breaker state in this process.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from railguard.engine.breakers.state import CLOSED_STATE, BreakerState
from railguard.engine.stores import MemoryStore, ReadOnlyStore, SessionStore, StoreError

R = TypeVar("R")
Change = Callable[[BreakerState], tuple[BreakerState | None, R]]

MAX_KEYS = 100_000  # breaker states kept in memory (per tenant or session scopes add up)
MAX_ATTEMPTS = 100  # compare-and-set rounds before giving up
REFRESH_S = 0.5  # how long a Redis-backed process trusts its copy of a breaker's state


class Backend(Protocol):
    def peek(self, key: str) -> BreakerState | None:
        """The state (None: closed and never failed), possibly from a local copy."""
        ...

    def update(self, key: str, change: Change[R]) -> tuple[BreakerState, BreakerState | None, R]:
        """Apply `change` to the current state atomically: (old, new or None, its result)."""
        ...


class MemoryBackend:
    """Breaker states in this process."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._data: OrderedDict[str, BreakerState] = OrderedDict()
        self._lock = threading.Lock()
        self.peek = self._data.get  # the hot path: a bound dict lookup

    def update(self, key: str, change: Change[R]) -> tuple[BreakerState, BreakerState | None, R]:
        with self._lock:
            old = self._data.get(key, CLOSED_STATE)
            new, result = change(old)
            if new is not None:
                if new == CLOSED_STATE:
                    self._data.pop(key, None)
                else:
                    self._data[key] = new
                    self._data.move_to_end(key)
                    while len(self._data) > self.max_keys:
                        self._data.popitem(last=False)
            return old, new, result


class RedisBackend:
    """Breaker states on the session store's Redis: `{prefix}:breaker:{key}`, a hash with
    the version `v` and the state `s`, written by compare-and-set."""

    def __init__(self, store: Any, refresh_s: float = REFRESH_S) -> None:
        self.client = store._client
        self.cas = store._save  # the session store's compare-and-set script
        self.prefix = store.prefix
        self.ttl_ms = str(int(store.settings.ttl_s * 1000))
        self.refresh_s = refresh_s
        self._cache: dict[str, tuple[float, BreakerState | None]] = {}

    def _key(self, key: str) -> str:
        return f"{self.prefix}:breaker:{key}"

    def _load(self, key: str) -> tuple[int, BreakerState]:
        import redis

        try:
            version, text = self.client.hmget(self._key(key), ("v", "s"))
        except redis.RedisError as exc:
            raise StoreError(f"the Redis session store failed: {exc}") from None
        if version is None or text is None:
            return 0, CLOSED_STATE
        try:
            return int(version), BreakerState.from_json(text)
        except (ValueError, TypeError, IndexError) as exc:
            raise StoreError(f"the stored breaker state is unreadable: {exc}") from None

    def _remember(self, key: str, state: BreakerState | None) -> None:
        if len(self._cache) >= MAX_KEYS:
            self._cache.clear()
        self._cache[key] = (time.monotonic(), None if state == CLOSED_STATE else state)

    def peek(self, key: str) -> BreakerState | None:
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.refresh_s:
            return cached[1]
        _, state = self._load(key)
        self._remember(key, state)
        return None if state == CLOSED_STATE else state

    def update(self, key: str, change: Change[R]) -> tuple[BreakerState, BreakerState | None, R]:
        import redis

        for _ in range(MAX_ATTEMPTS):
            version, old = self._load(key)
            new, result = change(old)
            if new is None:
                self._remember(key, old)
                return old, None, result
            try:
                done = self.cas(
                    keys=[self._key(key)],
                    args=[str(version), str(version + 1), new.to_json(), self.ttl_ms],
                )
            except redis.RedisError as exc:
                raise StoreError(f"the Redis session store failed: {exc}") from None
            if done:
                self._remember(key, new)
                return old, new, result
        raise StoreError(f"the breaker state stayed contended over {MAX_ATTEMPTS} attempts")


_BACKENDS: weakref.WeakKeyDictionary[Any, Backend] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def backend_for(store: SessionStore) -> Backend:
    """The breaker backend that goes with a session store (a read-only store's: its own
    store's; callers do not write through it)."""
    while isinstance(store, ReadOnlyStore):
        store = store.store
    with _LOCK:
        found = _BACKENDS.get(store)
        if found is None:
            found = _BACKENDS[store] = _new_backend(store)
        return found


def _new_backend(store: SessionStore) -> Backend:
    if isinstance(store, MemoryStore):
        return MemoryBackend()
    from railguard.engine.redis_store import RedisStore

    if isinstance(store, RedisStore):
        return RedisBackend(store)
    return MemoryBackend()
