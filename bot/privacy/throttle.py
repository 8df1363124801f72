"""Per-user limits that remember nobody: counts in short-lived memory, keyed by an HMAC under a secret that rotates.

Each window (say 15 minutes) gets a fresh random secret and fresh counts, so a count can never be joined to a
Telegram id after its window; both live in the short-lived store (bot/storage/ephemeral.py: this process's
memory, or a Redis without persistence shared by the replicas, so a flood cannot spread over them) and expire
with their window. A restart of a single process forgets everything (an acceptable price: the limits guard
against floods and guessing, not against a determined restart).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.ephemeral import EphemeralStore


class KeyedLimit:
    def __init__(
        self, name: str, limit: int, window_seconds: float, store: EphemeralStore,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.name = name
        self.limit = limit
        self.window = window_seconds
        self._store = store
        self._clock = clock

    async def _key(self, user_id: int) -> str:
        epoch = int(self._clock() // self.window)
        prefix = f"limit:{self.name}:{epoch}"
        ttl = self.window * 2  # outlives its window a little, whatever the clocks of the replicas say
        await self._store.add(f"{prefix}:secret", secrets.token_bytes(32), ttl)  # the first replica sets it
        secret = await self._store.get(f"{prefix}:secret") or b""
        return f"{prefix}:{hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]}"

    async def used(self, user_id: int) -> int:
        return int(await self._store.get(await self._key(user_id)) or 0)

    async def exhausted(self, user_id: int) -> bool:
        return await self.used(user_id) >= self.limit

    async def hit(self, user_id: int) -> int:
        """Count one; the count so far."""
        return await self._store.incr(await self._key(user_id), self.window * 2)


WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW = 5, 15 * 60


@dataclass
class Limits:
    """The per-user limits the bot keeps: reports sent per day, and wrong receipt codes per 15 minutes."""

    reports: KeyedLimit
    wrong_codes: KeyedLimit

    @classmethod
    def build(cls, store: EphemeralStore, reports_per_day: int) -> Limits:
        return cls(
            reports=KeyedLimit("reports", reports_per_day, 24 * 3600, store),
            wrong_codes=KeyedLimit("codes", WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW, store),
        )
