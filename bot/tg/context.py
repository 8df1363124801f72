"""The context every handler and job gets: the services, and the user's language, at hand.

Registered with `ContextTypes(context=BotContext)` in bot/tg/app.py, as python-telegram-bot's
`contexttypesbot.py` example does, instead of a lookup prologue in every handler.
"""

from __future__ import annotations

from typing import Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.presentation import languages
from bot.services import Services


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    user: User | None = None  # who sent the update; None for jobs and updates without a sender
    _lang: str | None = None  # the sender's choice, looked up by `load_language` (bot/tg/app.py's preload)

    @classmethod
    def from_update(cls, update: object, application: Application[Any, BotContext, Any, Any, Any, Any]) -> BotContext:
        context = super().from_update(update, application)
        context.user = update.effective_user if isinstance(update, Update) else None
        return context

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    async def load_language(self) -> None:
        self._lang = await self.services.languages.of(self.user)

    @property
    def lang(self) -> str:
        """The sender's language: their /bahasa choice, else Telegram's setting (an error handler's context
        is a new one, so it may have only the latter)."""
        return self._lang if self._lang is not None else languages.default(self.user)
