"""Who may use the staff commands and buttons: checked once, in handler group -1, before any other handler.

Every update is looked at here first (bot/tg/app.py registers `check_staff` in `GUARDS`). A staff command
or a press on a staff button from someone without the permission it needs goes no further: a staff member is
told which role it needs, anyone else is answered exactly as an unknown command (or an expired button) is;
no conversation, command or fallback sees it. The attempt is audited for staff and only counted, per day, for
anyone else (bot/admin/roles.py). The editing conversation checks again on every message it reads, so a role
revoked mid-edit ends the edit.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.admin.roles import PERMISSIONS
from bot.tg import callbacks
from bot.tg.context import BotContext

STAFF_COMMANDS = {
    "admin": "staff",
    "grant": "roles",
    "revoke": "roles",
    "admins": "roles",
    "audit": "audit",
    "tips": "tips",
    "ubahstatus": "tips",
    "catatan": "tips",
    "tanyapelapor": "tips",
    "export": "tips",
    "rules": "rules",
    "history": "rules",
    "rollback": "rules",
    "unanswered": "unanswered",
    "stats": "stats",
    "calendar": "rules",
}  # the permission each needs (bot/admin/roles.py); in staff members' menus only (bot/tg/menus.py)
STAFF_BUTTONS: dict[type[callbacks.Button], str] = {
    callbacks.ReviewButton: "tips",
    callbacks.UnansweredButton: "unanswered",
    callbacks.RulesButton: "rules",
    callbacks.CalendarButton: "rules",
}


def needed_permission(update: Update) -> str | None:
    """The permission a staff command (they are private-chat commands) or staff button needs; None for anything
    else."""
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    if update.message is not None and private and (text := update.message.text or "").startswith("/"):
        command = (text[1:].split(maxsplit=1) or [""])[0].split("@", 1)[0].lower()
        return STAFF_COMMANDS.get(command)
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        return next((p for kind, p in STAFF_BUTTONS.items() if kind.pattern().match(data)), None)
    return None


async def check_staff(update: Update, context: BotContext) -> None:
    """Group -1: let a permitted update through to the other groups; refuse anything else here."""
    permission = needed_permission(update)
    if permission is not None and not await authorised(update, context, permission):
        raise ApplicationHandlerStop


async def authorised(update: Update, context: BotContext, permission: str) -> bool:
    """True if the sender has `permission`; otherwise the sender is answered as a stranger would be."""
    s = context.services
    user = update.effective_user
    if user is not None and await s.admin.allowed(user.id, permission):
        return True
    roles = await s.admin.roles(user.id) if user is not None else set()
    if user is not None:
        await s.admin.denied(user.id, permission)
    if roles:  # a staff member without this role is told which one it needs; strangers learn nothing
        needed = " / ".join(PERMISSIONS.get(permission, ())) or "owner"
        text = s.ui("staff_role_missing", "id", needed=needed, roles=", ".join(sorted(roles)))
    else:
        text = s.ui("expired" if update.callback_query is not None else "unknown_command", context.lang)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return False
