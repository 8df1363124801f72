"""The command menus: the public one for everyone (per language), and one per staff member's chat holding
the commands their roles allow, so staff find them and nobody else is shown they exist."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.admin.roles import AdminService

log = logging.getLogger(__name__)

COMMANDS = {
    "id": [
        ("topik", "Jelajahi aturan per topik"),
        ("cari", "Cari aturan dengan kata kunci"),
        ("aturan", "Buka satu aturan menurut id-nya"),
        ("tanya", "Ajukan pertanyaan (di grup)"),
        ("lapor", "Laporkan dugaan pelanggaran secara anonim"),
        ("status", "Cek status laporan dengan kode tanda terima"),
        ("batal", "Batalkan laporan yang sedang diisi"),
        ("bahasa", "Ganti bahasa / change language"),
        ("help", "Bantuan dan daftar perintah"),
    ],
    "en": [
        ("topik", "Browse the rules by topic"),
        ("cari", "Search the rules"),
        ("aturan", "Open one rule by its id"),
        ("tanya", "Ask a question (in groups)"),
        ("lapor", "Report a suspected violation anonymously"),
        ("status", "Check a report with its receipt code"),
        ("batal", "Cancel the report being written"),
        ("bahasa", "Change language / ganti bahasa"),
        ("help", "Help and the list of commands"),
    ],
}
# staff screens are in Indonesian; each command with the roles that may use it
STAFF_COMMANDS = [
    ("admin", "Perintah admin sesuai peran Anda", ("owner", "editor", "reviewer")),
    ("stats", "Statistik pertanyaan dan laporan", ("owner", "editor", "reviewer")),
    ("tips", "Laporan masuk", ("owner", "reviewer")),
    ("export", "Unduh laporan sebagai CSV", ("owner", "reviewer")),
    ("rules", "Aturan per topik: ubah, tambah, pensiunkan", ("owner", "editor")),
    ("unanswered", "Pertanyaan yang belum terjawab", ("owner", "editor")),
    ("grant", "Beri peran kepada staf", ("owner",)),
    ("admins", "Daftar staf dan perannya", ("owner",)),
    ("audit", "Jejak audit", ("owner",)),
]


async def set_public_menus(bot: Bot) -> None:
    for lang, commands in COMMANDS.items():
        await bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands], language_code=None if lang == "id" else lang
        )


async def set_staff_menu(bot: Bot, admin: AdminService, user_id: int) -> None:
    """The menu in a staff member's private chat: the public commands and those of their roles; the public
    menu again for someone who holds no role any more. A chat Telegram does not know yet (the person has
    never opened the bot) is skipped; the menu follows at the next start."""
    roles = await admin.roles(user_id)
    scope = BotCommandScopeChat(user_id)
    try:
        if not roles:
            await bot.delete_my_commands(scope=scope)
            return
        staff = [BotCommand(name, text) for name, text, allowed in STAFF_COMMANDS if roles & set(allowed)]
        await bot.set_my_commands([*staff, *(BotCommand(n, t) for n, t in COMMANDS["id"])], scope=scope)
    except TelegramError as exc:
        log.info("a staff menu was not set (%s)", type(exc).__name__)


async def set_staff_menus(bot: Bot, admin: AdminService) -> None:
    for user_id in sorted({*admin.owners, *(uid for uid, _role in await admin.members())}):
        await set_staff_menu(bot, admin, user_id)
