"""The services a handler needs, from the Application that runs it."""

from __future__ import annotations

from telegram.ext import ContextTypes

from bot.services import Services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]
