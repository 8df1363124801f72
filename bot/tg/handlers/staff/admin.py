"""Admin commands for owners (/grant, /revoke, /admins, /audit), /admin help, and the role check every
admin handler goes through. A user without the role gets exactly the reply an unknown command gets; the
attempt is audited for staff and only counted for anyone else."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update

from bot.admin.roles import ROLES
from bot.tg.common import B, Press, read_press, reply_html
from bot.tg.context import BotContext
from bot.tg.menus import set_staff_menu

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


async def authorised(update: Update, context: BotContext, permission: str) -> bool:
    s = context.services
    user = update.effective_user
    if user is not None and await s.admin.allowed(user.id, permission):
        return True
    if user is not None:
        await s.admin.denied(user.id, permission)
    lang = context.lang
    if update.callback_query is not None:
        await update.callback_query.answer(s.ui("expired", lang), show_alert=True)
    else:
        await update.effective_message.reply_text(s.ui("unknown_command", lang))
    return False


def requires(permission: str) -> Callable[[Handler], Handler]:
    """A handler only staff with `permission` may run: checked once here, on every call, instead of in
    each handler. Anyone else is answered as `authorised` says, and the handler returns None."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(update: Update, context: BotContext) -> Any:
            if not await authorised(update, context, permission):
                return None
            return await handler(update, context)

        return checked

    return wrap


async def admin_press(update: Update, context: BotContext, permission: str, kind: type[B]) -> Press[B] | None:
    """An admin button, after the role check; None (and the user told) for a stranger or a forged button."""
    if not await authorised(update, context, permission):
        return None
    return await read_press(update, context, kind)


async def on_admin_help(update: Update, context: BotContext) -> None:
    s = context.services
    user = update.effective_user
    roles = await s.admin.roles(user.id)
    if not roles:
        await authorised(update, context, "roles")
        return
    html = s.engine.renderer.render("admin/help.html.j2", roles=roles)
    await update.effective_message.reply_text(html)


async def _grant_or_revoke(update: Update, context: BotContext, grant: bool) -> None:
    s = context.services
    args = context.args or []
    if len(args) != 2 or not args[0].isdigit() or args[1] not in ROLES:
        await update.effective_message.reply_text(s.ui("admin_grant_usage", "id"))
        return
    user_id, role = int(args[0]), args[1]
    owner = update.effective_user.id
    changed = await (s.admin.grant if grant else s.admin.revoke)(owner, user_id, role)
    if changed:
        await set_staff_menu(context.bot, s.admin, s.ui, user_id)
    key = ("admin_granted" if grant else "admin_revoked") if changed else "admin_unchanged"
    await update.effective_message.reply_text(s.ui(key, "id", user_id=user_id, role=role))


@requires("roles")
async def on_grant(update: Update, context: BotContext) -> None:
    await _grant_or_revoke(update, context, grant=True)


@requires("roles")
async def on_revoke(update: Update, context: BotContext) -> None:
    await _grant_or_revoke(update, context, grant=False)


@requires("roles")
async def on_admins(update: Update, context: BotContext) -> None:
    s = context.services
    html = s.engine.renderer.render(
        "admin/admins.html.j2", owners=sorted(s.admin.owners), members=await s.admin.members()
    )
    await update.effective_message.reply_text(html)


@requires("audit")
async def on_audit(update: Update, context: BotContext) -> None:
    s = context.services
    await s.admin.audit(update.effective_user.id, "audit.view")
    html = s.engine.renderer.render(
        "admin/audit.html.j2", entries=await s.admin.recent(20), denied=await s.admin.denied_counts()
    )
    await reply_html(update.effective_message, html)
