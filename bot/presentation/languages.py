"""Which language a user reads: the one chosen with /bahasa, else Telegram's setting.

A choice is kept in short-lived memory only (bot/storage/ephemeral.py: this process, or a Redis without
persistence), for `REMEMBER_SECONDS` after it was made, under a keyed hash of the user id: a stored one would
have to be keyed by something a copy of DATA_DIR could enumerate back to the user's id. When it is gone the
bot follows Telegram's setting again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.storage.ephemeral import EphemeralStore

REMEMBER_SECONDS = 30 * 24 * 3600


class User(Protocol):
    """Who sent an update, as far as the services care (python-telegram-bot's `User` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def language_code(self) -> str | None: ...


def default(user: User | None) -> str:
    """English for an English Telegram setting, else Indonesian."""
    if user is None:
        return "id"
    return "en" if (user.language_code or "").startswith("en") else "id"


class LanguageChoices:
    def __init__(self, key_of: Callable[[int], str], store: EphemeralStore) -> None:
        self._key_of = key_of  # a keyed hash of the user id: not even memory holds the id itself
        self._store = store

    def _key(self, user: User) -> str:
        return f"lang:{self._key_of(user.id)}"

    async def of(self, user: User | None) -> str:
        if user is None:
            return "id"
        chosen = await self._store.get(self._key(user))
        return chosen.decode() if chosen in (b"id", b"en") else default(user)

    async def choose(self, user: User, lang: str) -> None:
        await self._store.set(self._key(user), lang.encode(), REMEMBER_SECONDS)
