"""Per-user limits that remember nobody: counts in memory, keyed by an HMAC under a secret that rotates.

Each window (say 15 minutes) gets a fresh random secret and an empty table, so a count can never be joined
to a Telegram id after its window, nothing is written to disk, and a restart forgets everything (an
acceptable price: the limits guard against floods and guessing, not against a determined restart).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class KeyedLimit:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._epoch = -1
        self._secret = b""
        self._counts: dict[bytes, int] = {}

    def _key(self, user_id: int) -> bytes:
        epoch = int(self._clock() // self.window)
        if epoch != self._epoch:
            self._epoch, self._secret, self._counts = epoch, secrets.token_bytes(32), {}
        return hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).digest()[:16]

    def used(self, user_id: int) -> int:
        return self._counts.get(self._key(user_id), 0)

    def exhausted(self, user_id: int) -> bool:
        return self.used(user_id) >= self.limit

    def hit(self, user_id: int) -> None:
        key = self._key(user_id)
        self._counts[key] = self._counts.get(key, 0) + 1


WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW = 5, 15 * 60


@dataclass
class Limits:
    """The per-user limits the bot keeps: reports sent per day, and wrong receipt codes per 15 minutes."""

    reports: KeyedLimit
    wrong_codes: KeyedLimit = field(default_factory=lambda: KeyedLimit(WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW))
