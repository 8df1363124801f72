"""Which language a user reads: the one chosen with /bahasa, else Telegram's setting.

A choice is kept in memory only (the most recent 100,000 users): a stored one would have to be keyed by
something a copy of DATA_DIR could enumerate back to the user's id. After a restart the bot follows
Telegram's setting again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

MAX_REMEMBERED = 100_000


class User(Protocol):
    """Who sent an update, as far as the services care (python-telegram-bot's `User` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def language_code(self) -> str | None: ...


class LanguageChoices:
    def __init__(self, key_of: Callable[[int], str], capacity: int = MAX_REMEMBERED) -> None:
        self._key_of = key_of  # a keyed hash of the user id: not even memory holds the id itself
        self._capacity = capacity
        self._chosen: OrderedDict[str, str] = OrderedDict()

    def of(self, user: User | None) -> str:
        """English for an English choice or Telegram setting, else Indonesian."""
        if user is None:
            return "id"
        key = self._key_of(user.id)
        if (lang := self._chosen.get(key)) is not None:
            self._chosen.move_to_end(key)
            return lang
        return "en" if (user.language_code or "").startswith("en") else "id"

    def choose(self, user: User, lang: str) -> None:
        key = self._key_of(user.id)
        self._chosen[key] = lang
        self._chosen.move_to_end(key)
        while len(self._chosen) > self._capacity:
            self._chosen.popitem(last=False)
