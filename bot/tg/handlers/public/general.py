"""/start and /help (with deep links), /bahasa, and the replies for what the bot cannot use."""

from __future__ import annotations

import logging

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TimedOut

from bot.presentation.stages import stages_now
from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import button, label, report_link
from bot.tg.context import BotContext
from bot.tg.handlers.public.browse import show_rule
from bot.tg.handlers.tips.report import on_lapor_in_group
from bot.tips.service import today_wib

log = logging.getLogger(__name__)


async def on_start(update: Update, context: BotContext) -> None:
    """`/start`, or a deep link: `/start <rule_id>` (`/start lapor` opens the report form,
    bot/tg/handlers/tips/report.py)."""
    s = context.services
    lang = context.lang
    payload = (context.args or [""])[0].strip().lower()
    if payload == "lapor":  # in a private chat the report conversation takes this first
        await on_lapor_in_group(update, context)
        return
    if payload in s.engine.kb.rules:
        await show_rule(update.effective_message, s, payload, lang)
        return
    stages = [Markup(line) for line in stages_now(s.ui, s.calendar, lang, today_wib())]  # an election running
    await update.effective_message.reply_text(
        s.engine.renderer.render("start.html.j2", lang=lang, stages=stages), reply_markup=start_keyboard(s, lang)
    )


POPULAR = ("medsos-like-unggahan", "kampanye-hadir-pasif", "keluarga-pasangan-cltn")  # /start's example questions


def start_keyboard(s: Services, lang: str) -> InlineKeyboardMarkup:
    """A few questions people ask most, the topics, and the anonymous report: a first tap, not a command list."""
    rows = [
        [button(label(f"❓ {s.ui(f'start_example_{n}', lang)}"), callbacks.OpenRule(rule_id, 0, lang))]
        for n, rule_id in enumerate(POPULAR, start=1)
        if rule_id in s.engine.kb.rules
    ]
    row = [button(s.ui("topics", lang), callbacks.Topics())]
    if link := report_link(s):
        row.append(InlineKeyboardButton(s.ui("smalltalk_report", lang), url=link))
    return InlineKeyboardMarkup([*rows, row])


async def on_help(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    html = s.engine.renderer.render("help.html.j2", lang=lang, bot_username=s.bot_username or "netra_bot")
    await update.effective_message.reply_text(html)


async def on_bahasa(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(s.ui("lang_id", lang), callbacks.Language("id")),
                button(s.ui("lang_en", lang), callbacks.Language("en")),
            ]
        ]
    )
    await update.effective_message.reply_text(s.ui("lang_pick", lang), reply_markup=keyboard)


async def on_language_button(update: Update, context: BotContext) -> None:
    s = context.services
    query = update.callback_query
    button = callbacks.Language.unpack(query.data)
    if button is None or button.lang not in ("id", "en"):
        await query.answer(s.ui("expired", "id"), show_alert=True)
        return
    lang = button.lang
    await s.languages.choose(update.effective_user, lang)
    await query.answer(s.ui("lang_set", lang))
    if isinstance(query.message, Message):
        await query.message.edit_text(s.ui("lang_set", lang))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    await update.effective_message.reply_text(s.ui("unknown_command", lang))


async def on_not_text(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes, files... in a private chat: say what the bot can read."""
    s = context.services
    lang = context.lang
    await update.effective_message.reply_text(s.ui("not_text", lang))


async def on_stale_button(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    await update.callback_query.answer(s.ui("expired", lang), show_alert=True)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (never the update: it carries user ids and text) and tell the user."""
    if isinstance(context.error, TimedOut):  # the request probably arrived: an error message would mislead
        log.warning("a request to Telegram timed out (not retried: it may have been carried out)")
        return
    log.error("handler failed: %s", type(context.error).__name__, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        s = context.services
        lang = context.lang
        if update.callback_query is not None:
            await update.callback_query.answer(s.ui("error", lang), show_alert=True)
        elif update.effective_chat is not None:  # in groups only messages addressed to the bot get this far
            await context.bot.send_message(update.effective_chat.id, s.ui("error", lang))
    except Exception as exc:  # telling the user failed too; the log above has the cause
        log.warning("could not report the error to the user: %s", type(exc).__name__)
