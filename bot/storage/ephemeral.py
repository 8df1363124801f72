"""Short-lived state kept in memory only: in this process, or in a Redis that every replica shares.

What a user does for a few minutes (which update was handled, a language choice, a /status session, a count of
wrong receipt codes) must not outlive its use nor reach a disk. With one process it stays in the process's
memory (`MemoryStore`); with several replicas it goes to Redis (`RedisStore`, `REDIS_URL`), which must run
without persistence: `open()` refuses a Redis that saves snapshots or an append-only file, and says so loudly
when the server will not tell. Keys are the callers' keyed hashes, never a Telegram id; every value has a TTL.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

PREFIX = "netra:"
MAX_MEMORY_KEYS = 200_000  # a flood of users cannot grow the process without bound; the oldest go first


class PersistentRedis(Exception):
    """The Redis at REDIS_URL writes its data to disk; the message is one line that says how to stop it."""


class EphemeralStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set `key` only if it is not there; True if this call set it."""
        ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one; a new key starts at 1 and lives `ttl` seconds from then."""
        ...

    async def scan(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every live key that starts with `prefix`, with its value (the drafts, for the evidence sweep)."""
        ...


class MemoryStore:
    """One process: a dict with expiry times, the oldest dropped beyond `capacity`."""

    def __init__(self, capacity: int = MAX_MEMORY_KEYS, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._capacity = capacity
        self._clock = clock

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        self._items.clear()

    async def ping(self) -> bool:
        return True

    def _live(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._items[key]
            return None
        return item[1]

    def _put(self, key: str, value: bytes, ttl: float) -> None:
        self._items[key] = (self._clock() + ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._put(key, value, ttl)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def incr(self, key: str, ttl: float) -> int:
        current = self._live(key)
        if current is None:
            self._put(key, b"1", ttl)
            return 1
        expires, _value = self._items[key]
        count = int(current) + 1
        self._items[key] = (expires, str(count).encode())
        return count

    async def scan(self, prefix: str) -> list[tuple[str, bytes]]:
        return [(k, v) for k in list(self._items) if k.startswith(prefix) and (v := self._live(k)) is not None]


class RedisStore:
    """Several replicas: Redis, run as `redis-server --save '' --appendonly no`."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    async def open(self) -> None:
        from redis.exceptions import ResponseError

        try:
            config = await self._redis.config_get("save", "appendonly")
        except ResponseError:  # CONFIG renamed or disabled, as managed services do
            log.warning(
                "REDIS_URL: the server does not say whether it persists (CONFIG is disabled). Netra keeps who "
                "is doing what in Redis for minutes, and that must never reach a disk: make sure it runs with "
                "`--save '' --appendonly no`"
            )
            return
        if config.get(b"save", config.get("save")) not in (b"", ""):
            raise PersistentRedis(
                "REDIS_URL: this Redis saves snapshots to disk (save is set); run it with --save '' --appendonly no"
            )
        if config.get(b"appendonly", config.get("appendonly")) in (b"yes", "yes"):
            raise PersistentRedis(
                "REDIS_URL: this Redis keeps an append-only file on disk; run it with --save '' --appendonly no"
            )

    async def close(self) -> None:
        await self._redis.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:  # any failure means "not reachable" to the health check
            return False

    async def get(self, key: str) -> bytes | None:
        return await self._redis.get(PREFIX + key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(PREFIX + key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(await self._redis.set(PREFIX + key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(PREFIX + key)

    async def incr(self, key: str, ttl: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(PREFIX + key)
            pipe.pexpire(PREFIX + key, max(1, int(ttl * 1000)), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def scan(self, prefix: str) -> list[tuple[str, bytes]]:
        keys = [key async for key in self._redis.scan_iter(match=PREFIX + prefix + "*", count=500)]
        found = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            values = await self._redis.mget(chunk)
            found += [(k.decode().removeprefix(PREFIX), v) for k, v in zip(chunk, values, strict=True) if v]
        return found


def ephemeral_store(redis_url: str | None) -> EphemeralStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()


class UserSlot:
    """One JSON value per user for one purpose (a /status session, a rule edit in progress), under a keyed hash
    of the user id, for `ttl` seconds after it was last written: a form's state that any replica can read."""

    def __init__(self, store: EphemeralStore, key_of: Callable[[int], str], purpose: str, ttl: float) -> None:
        self._store = store
        self._key_of = key_of
        self.purpose = purpose
        self.ttl = ttl

    def _key(self, user_id: int) -> str:
        return f"{self.purpose}:{self._key_of(user_id)}"

    async def get(self, user_id: int) -> dict | None:
        raw = await self._store.get(self._key(user_id))
        return json.loads(raw) if raw is not None else None

    async def put(self, user_id: int, value: dict, ttl: float | None = None) -> None:
        await self._store.set(self._key(user_id), json.dumps(value).encode(), self.ttl if ttl is None else ttl)

    async def drop(self, user_id: int) -> None:
        await self._store.delete(self._key(user_id))
