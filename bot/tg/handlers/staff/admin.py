"""Admin commands for owners (/grant, /revoke, /admins, /audit) and /admin help. Only staff with the
permission reach them: bot/tg/authorisation.py checks it before any handler runs."""

from __future__ import annotations

from telegram import Update

from bot.admin.roles import ROLES
from bot.tg.common import reply_html
from bot.tg.context import BotContext
from bot.tg.menus import set_staff_menu


async def on_admin_help(update: Update, context: BotContext) -> None:
    s = context.services
    user = update.effective_user
    roles = await s.admin.roles(user.id)  # some role: bot/tg/authorisation.py let only staff through
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


async def on_grant(update: Update, context: BotContext) -> None:
    await _grant_or_revoke(update, context, grant=True)


async def on_revoke(update: Update, context: BotContext) -> None:
    await _grant_or_revoke(update, context, grant=False)


async def on_admins(update: Update, context: BotContext) -> None:
    s = context.services
    html = s.engine.renderer.render(
        "admin/admins.html.j2", owners=sorted(s.admin.owners), members=await s.admin.members()
    )
    await update.effective_message.reply_text(html)


async def on_audit(update: Update, context: BotContext) -> None:
    s = context.services
    await s.admin.audit(update.effective_user.id, "audit.view")
    html = s.engine.renderer.render(
        "admin/audit.html.j2", entries=await s.admin.recent(20), denied=await s.admin.denied_counts()
    )
    await reply_html(update.effective_message, html)
