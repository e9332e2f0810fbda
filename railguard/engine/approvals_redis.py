"""Approval records in Redis, shared by every sidecar that points at one server.

Keys (under the session store's prefix):

| key | what |
|---|---|
| `{prefix}:approval:{id}` | hash: `v` (version), `r` (the record, JSON) |
| `{prefix}:approvals` | sorted set of ids by request time (newest last) |
| `{prefix}:approval-binding:{hash}` | set of the ids requested for one binding |

Creating a request is one `MULTI` transaction; every transition is one Lua script that
compares the version and writes the record (a compare-and-set in one round trip), so one
use of one approval wins even with many sidecars. Records expire with the retention time;
the index forgets them on the next request.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis

from railguard.engine.stores import StoreError

_SAVE = """
local v = redis.call('HGET', KEYS[1], 'v')
if v == false or v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'r', ARGV[3])
return 1
"""


class RedisApprovals:
    blocking = True

    def __init__(self, client: Any, prefix: str = "railguard") -> None:
        self._client = client
        self.prefix = prefix
        self._save = client.register_script(_SAVE)
        self._index = f"{prefix}:approvals"

    def _key(self, approval_id: str) -> str:
        return f"{self.prefix}:approval:{approval_id}"

    def _binding(self, binding: str) -> str:
        digest = hashlib.blake2b(binding.encode("utf-8", "surrogatepass"), digest_size=16)
        return f"{self.prefix}:approval-binding:{digest.hexdigest()}"

    def create(self, record: dict[str, Any], retention_s: float) -> None:
        ms = int(retention_s * 1000)
        created = float(record["requested_at"])
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(self._key(record["id"]), mapping={"v": "1", "r": _dumps(record)})
            pipe.pexpire(self._key(record["id"]), ms)
            pipe.zadd(self._index, {record["id"]: created})
            pipe.zremrangebyscore(self._index, "-inf", created - retention_s)
            pipe.sadd(self._binding(record["binding"]), record["id"])
            pipe.pexpire(self._binding(record["binding"]), ms)
            pipe.execute()
        except redis.RedisError as exc:
            raise StoreError(f"the Redis approval store failed: {exc}") from None

    def load(self, approval_id: str) -> tuple[int, dict[str, Any] | None]:
        try:
            version, text = self._client.hmget(self._key(approval_id), ("v", "r"))
        except redis.RedisError as exc:
            raise StoreError(f"the Redis approval store failed: {exc}") from None
        if version is None or text is None:
            return 0, None
        return int(version), json.loads(text)

    def save(self, approval_id: str, version: int, record: dict[str, Any]) -> bool:
        try:
            done = self._save(
                keys=[self._key(approval_id)], args=[str(version), str(version + 1), _dumps(record)]
            )
        except redis.RedisError as exc:
            raise StoreError(f"the Redis approval store failed: {exc}") from None
        return bool(done)

    def recent(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        try:
            ids = self._client.zrevrange(self._index, 0, limit - 1)
            if not ids:
                return []
            pipe = self._client.pipeline(transaction=False)
            for raw in ids:
                pipe.hmget(self._key(raw.decode()), ("v", "r"))
            rows = pipe.execute()
        except redis.RedisError as exc:
            raise StoreError(f"the Redis approval store failed: {exc}") from None
        return [(int(v), json.loads(r)) for v, r in rows if v is not None and r is not None]

    def bound(self, binding: str) -> list[str]:
        try:
            ids = self._client.smembers(self._binding(binding))
        except redis.RedisError as exc:
            raise StoreError(f"the Redis approval store failed: {exc}") from None
        return sorted(i.decode() for i in ids)

    def close(self) -> None:
        pass  # the session store owns the connection


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
