"""The Redis session store: one state shared by every engine and sidecar that points at it.

Each session is one hash, `{prefix}:{key}`, with the fields `v` (version) and `s` (state,
JSON). `load` is one `HMGET`; `save` is one Lua script that compares the version and writes
the state and its expiry atomically, so a compare-and-set takes one round trip. Any failure
of Redis (down, refused, timed out) is a `StoreError`, which the engine turns into a
fail-closed verdict; redis-py reconnects on the next call once Redis is back.

Time comes from this host's clock: hosts that share a Redis should keep their clocks in
sync (NTP), as every rate limiter with windows must.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from railguard.engine.session_state import SessionState, Settings
from railguard.engine.stores import Clock, StoreError

_SAVE = """
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisStore:
    blocking = True

    def __init__(
        self,
        url: str,
        settings: Settings | None = None,
        *,
        prefix: str = "railguard",
        timeout_s: float = 0.25,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings or Settings()
        self.clock = clock
        self.prefix = prefix
        # One quick retry: a connection left stale by a Redis restart fails once, then
        # reconnects. No backoff: a verdict must not wait seconds for a store that is down.
        self._client: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )
        self._save = self._client.register_script(_SAVE)
        self._ttl_ms = str(int(self.settings.ttl_s * 1000))

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def load(self, key: str) -> tuple[int, SessionState | None]:
        try:
            version, text = self._client.hmget(self._key(key), ("v", "s"))
        except redis.RedisError as exc:
            raise StoreError(_describe(exc)) from None
        if version is None or text is None:
            return 0, None
        try:
            return int(version), SessionState.from_json(text)
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"the stored session state is unreadable: {exc}") from None

    def save(self, key: str, version: int, state: SessionState) -> bool:
        try:
            done = self._save(
                keys=[self._key(key)],
                args=[str(version), str(version + 1), state.to_json(), self._ttl_ms],
            )
        except redis.RedisError as exc:
            raise StoreError(_describe(exc)) from None
        return bool(done)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._client.close()


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"the Redis session store failed: {text}"
