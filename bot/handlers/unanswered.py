"""/unanswered for editors: questions nobody could answer, grouped, with buttons to teach one to a rule
(the matcher learns it at once) or to dismiss it. Buttons are `U:<a|x>:<question_id>:<rule_id>`."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.admin import admin_press, authorised
from bot.handlers.common import edit_html, reply_html
from bot.services import Services, services


async def _listing(s: Services) -> tuple[str, InlineKeyboardMarkup | None]:
    groups = await s.unanswered.groups(s.engine)
    html = s.engine.renderer.render("admin/unanswered.html.j2", groups=groups)
    rows = []
    for n, group in enumerate(groups, start=1):
        row = [InlineKeyboardButton(f"{n}. ➕ {rid}", callback_data=callbacks.unanswered("a", group.id, rid))
               for rid in group.suggestions]  # fmt: skip
        row.append(InlineKeyboardButton(f"{n}. 🗑", callback_data=callbacks.unanswered("x", group.id)))
        rows.append(row)
    return html, InlineKeyboardMarkup(rows) if rows else None


async def on_unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await authorised(update, context, "unanswered"):
        return
    html, keyboard = await _listing(services(context))
    await reply_html(update.effective_message, html, keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await admin_press(update, context, "unanswered")
    if press is None:
        return
    s, query = press.s, press.query
    action, question_id, rule_id = press.args[0], callbacks.as_int(press.args[1]), press.args[2]
    editor = update.effective_user.id
    if action == "a":
        group = await s.unanswered.attach(s.engine, question_id, rule_id, editor)
        if group is not None:
            await s.refresh_knowledge()
            await s.admin.audit(editor, "unanswered.attach", rule_id, None, group.text)
    else:
        group = await s.unanswered.dismiss(s.engine, question_id)
        if group is not None:
            await s.admin.audit(editor, "unanswered.dismiss", None, None, group.text)
    await query.answer(s.ui("unanswered_done" if group else "expired", "id"), show_alert=group is None)
    html, keyboard = await _listing(s)
    await edit_html(press.message, html, keyboard)
