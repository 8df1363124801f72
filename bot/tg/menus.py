"""The command menus: the public one for everyone (per language), and one per staff member's chat holding
the commands their roles allow, so staff find them and nobody else is shown they exist."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.admin.roles import AdminService
from bot.presentation.messages import LANGUAGES, Messages

log = logging.getLogger(__name__)

PUBLIC = ("topik", "cari", "aturan", "tanya", "kuis", "lapor", "status", "batal", "bahasa", "help")
# each staff command with the roles that may use it; staff screens are in Indonesian
STAFF = [
    ("admin", ("owner", "editor", "reviewer")),
    ("stats", ("owner", "editor", "reviewer")),
    ("tips", ("owner", "reviewer")),
    ("export", ("owner", "reviewer")),
    ("rules", ("owner", "editor")),
    ("calendar", ("owner", "editor")),
    ("unanswered", ("owner", "editor")),
    ("grant", ("owner",)),
    ("admins", ("owner",)),
    ("audit", ("owner",)),
]


def _commands(names: Iterable[str], messages: Messages, lang: str) -> list[BotCommand]:
    return [BotCommand(name, messages(f"menu_{name}", lang)) for name in names]


async def set_public_menus(bot: Bot, messages: Messages) -> None:
    for lang in LANGUAGES:
        await bot.set_my_commands(_commands(PUBLIC, messages, lang), language_code=None if lang == "id" else lang)


async def set_staff_menu(bot: Bot, admin: AdminService, messages: Messages, user_id: int) -> None:
    """The menu in a staff member's private chat: the public commands and those of their roles; the public
    menu again for someone who holds no role any more. A chat Telegram does not know yet (the person has
    never opened the bot) is skipped; the menu follows at the next start."""
    roles = await admin.roles(user_id)
    scope = BotCommandScopeChat(user_id)
    try:
        if not roles:
            await bot.delete_my_commands(scope=scope)
            return
        staff = [name for name, allowed in STAFF if roles & set(allowed)]
        await bot.set_my_commands(_commands([*staff, *PUBLIC], messages, "id"), scope=scope)
    except TelegramError as exc:
        log.info("a staff menu was not set (%s)", type(exc).__name__)


async def set_staff_menus(bot: Bot, admin: AdminService, messages: Messages) -> None:
    for user_id in sorted({*admin.owners, *(uid for uid, _role in await admin.members())}):
        await set_staff_menu(bot, admin, messages, user_id)
