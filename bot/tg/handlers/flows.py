"""The forms a user can have open, found from what is stored rather than from process memory, so any replica
carries on any form: a rule edit (staff; short-lived store), a /status follow-up (short-lived store), a /lapor
draft (the database). A private message that one of them expects goes there and nowhere else; /batal closes
the one open, asked in the same order.

These replace python-telegram-bot's ConversationHandlers, whose state lives in the process that saw the
last step: behind a load balancer the next step usually reaches another replica.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.tg.context import BotContext
from bot.tg.handlers.staff import calendar, rule_edit
from bot.tg.handlers.tips import report, status

FORMS = (calendar, rule_edit, status, report)  # the order the bot asks them in: the most specific first


async def route(update: Update, context: BotContext) -> None:
    """Registered in a handler group before the others (bot/tg/app.py): stops the update there if a form took
    it, else lets it go on to the commands and questions."""
    for form in FORMS:
        if await form.takes(update, context):
            raise ApplicationHandlerStop


async def on_cancel(update: Update, context: BotContext) -> None:
    """/batal: the awaited calendar upload, the open rule edit or /status follow-up, else the report draft
    (which says if there is none)."""
    for form in (calendar, rule_edit, status):
        if await form.cancel(update, context):
            return
    await report.on_cancel(update, context)
