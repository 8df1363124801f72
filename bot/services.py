"""What the handlers need, in one object: the engine, storage, user keys and UI wording.

Nothing here knows Telegram: a user is anything with an `id` and a `language_code` (python-telegram-bot's
`User` is one). It is built once in bot/tg/app.py; handlers fetch it with `bot.tg.context.services`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from markupsafe import Markup

from bot.admin.roles import AdminService
from bot.editing.rules import RuleService
from bot.editing.unanswered import UnansweredService
from bot.engine import Engine, with_knowledge
from bot.presentation.messages import Messages
from bot.presentation.render import TEMPLATES_DIR
from bot.privacy.keys import Keys, UserKeys
from bot.privacy.throttle import KeyedLimit
from bot.storage.questions import QuestionStore
from bot.storage.sqlite import SqliteStore
from bot.tips.form import TipForm
from bot.tips.service import TipService

WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW = 5, 15 * 60

MAX_QUESTION_CHARS = 1000  # Telegram allows 4096; a question longer than this is several questions
MAX_REMEMBERED_LANGUAGES = 100_000


class User(Protocol):
    """Who sent an update, as far as the services care."""

    @property
    def id(self) -> int: ...

    @property
    def language_code(self) -> str | None: ...


@dataclass
class Services:
    engine: Engine
    store: SqliteStore
    questions: QuestionStore
    user_keys: UserKeys
    tips: TipService
    form: TipForm
    report_limit: KeyedLimit  # reports per user per day
    admin: AdminService
    unanswered: UnansweredService
    rules: RuleService
    keys: Keys | None = None
    admin_chat_id: int | None = None
    retention_days: int = 365
    outbox_interval: float = 5.0
    code_limit: KeyedLimit = field(default_factory=lambda: KeyedLimit(WRONG_CODES_PER_WINDOW, WRONG_CODE_WINDOW))
    outbox_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ui: Messages = field(default_factory=lambda: Messages(TEMPLATES_DIR / "messages"))
    knowledge_version: int = 0  # the rule revisions `engine` serves (bot/editing/rules.py)
    knowledge_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    bot_username: str = ""
    question_retention_days: int = 180
    _langs: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _legacy_drafts: set[str] = field(default_factory=set)  # draft keys present when identity.key was found

    async def refresh_knowledge(self) -> bool:
        """Serve the rules as the database has them now, if they changed (an edit here, or `kb import` from
        another process); questions asked from then on get the new text. True if anything changed."""
        async with self.knowledge_lock:
            if await self.rules.version() == self.knowledge_version:
                return False
            version, kb = await self.rules.knowledge()
            self.engine = await asyncio.to_thread(with_knowledge, self.engine, kb)
            self.knowledge_version = version
            return True

    def user_key(self, user: User) -> str:
        """The key a user's draft is filed under: derived from the master key, or for a draft opened
        before the upgrade, from the old identity.key (until that draft is gone)."""
        if self.keys and self.keys.legacy_users:
            old = self.keys.legacy_users.key(user.id)
            if old in self._legacy_drafts and old in self.tips.draft_keys:
                return old
        return self.user_keys.key(user.id)

    def retire_legacy_keys(self, at_start: bool = False) -> None:
        """Delete the old identity.key once no draft opened under it remains: it could only help a copier."""
        if not self.keys or not self.keys.legacy_path:
            return
        if at_start:
            self._legacy_drafts = set(self.tips.draft_keys)
        if not self._legacy_drafts & self.tips.draft_keys:
            self.keys.legacy_path.unlink(missing_ok=True)
            self.keys = replace(self.keys, legacy_users=None, legacy_path=None)

    def t(self, lang: str) -> Callable[..., Markup]:
        """`ui` for templates: the strings are HTML already, so they are marked safe for autoescaping."""
        return lambda key, **fmt: Markup(self.ui(key, lang, **fmt))

    def language(self, user: User | None) -> str:
        """The language chosen with /bahasa, else Telegram's setting: English for English, else Indonesian.

        A choice is kept in memory only (the most recent 100,000 users): a stored one would have to be keyed
        by something a copy of DATA_DIR could enumerate back to the user's id."""
        if user is None:
            return "id"
        key = self.user_keys.key(user.id)
        if (lang := self._langs.get(key)) is not None:
            self._langs.move_to_end(key)
            return lang
        return "en" if (user.language_code or "").startswith("en") else "id"

    def set_language(self, user: User, lang: str) -> None:
        key = self.user_keys.key(user.id)
        self._langs[key] = lang
        self._langs.move_to_end(key)
        while len(self._langs) > MAX_REMEMBERED_LANGUAGES:
            self._langs.popitem(last=False)
