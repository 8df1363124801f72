"""The context every handler and job gets: the services, and the user's language, at hand.

Registered with `ContextTypes(context=BotContext)` in bot/tg/app.py, as python-telegram-bot's
`contexttypesbot.py` example does, instead of a lookup prologue in every handler.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    user: User | None = None  # who sent the update; None for jobs and updates without a sender

    @classmethod
    def from_update(cls, update: object, application: Application[Any, BotContext, Any, Any, Any, Any]) -> BotContext:
        context = super().from_update(update, application)
        context.user = update.effective_user if isinstance(update, Update) else None
        return context

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @cached_property
    def lang(self) -> str:
        """The sender's language, looked up once per update."""
        return self.services.languages.of(self.user)
