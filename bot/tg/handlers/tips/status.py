"""/status <kode>: a reporter follows up a tip with the receipt code, replies to handlers, adds evidence.

The receipt is the only key. After a code is checked, the report it opened is remembered in memory
(`user_data`, never persisted: a stored session would tie the user to the report) for a short session, so
the buttons carry no report id that could be forged; a job forgets expired sessions. The reply prompt asks
Telegram for a reply to it, so a reply that arrives after a restart is recognised (bot/tg/handlers/public/questions.py)
and the reporter told it was not saved, rather than it being taken for a question.
Wrong codes are counted per user with a rotating keyed hash (bot/privacy/throttle.py) to stop guessing.
"""

from __future__ import annotations

import time

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import button, conversation, reply_html
from bot.tg.context import BotContext
from bot.tg.handlers.tips.evidence import download_evidence, has_file, refusal
from bot.tips.dates import format_date
from bot.tips.evidence import EvidenceError
from bot.tips.form import URL, strip_invisible
from bot.tips.model import CLOSED, MAX_EVIDENCE, MAX_REPLY, EvidenceItem

SESSION_SECONDS = 30 * 60
REPLY, EVIDENCE = "reply", "evidence"
END = ConversationHandler.END
CODE_MESSAGE = filters.Regex(r"^\s*[A-Za-z0-9]{5}(?:[\s\-_.]*[A-Za-z0-9]{5}){3}\s*$")  # as receipts.normalise
SESSION_KEY = "status"


async def on_status(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    if not context.args:
        await update.effective_message.reply_text(s.ui("status_usage", lang))
        return
    await show_status(update, context, " ".join(context.args))


async def on_code_message(update: Update, context: BotContext) -> None:
    """A receipt code pasted on its own, without /status."""
    await show_status(update, context, update.effective_message.text or "")


async def on_status_in_group(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    await update.effective_message.reply_text(s.ui("status_in_group", lang))


async def show_status(update: Update, context: BotContext, typed: str) -> None:
    s = context.services
    user = update.effective_user
    lang = context.lang
    message = update.effective_message
    if await s.limits.wrong_codes.exhausted(user.id):
        await message.reply_text(s.ui("status_throttled", lang))
        return
    report_id = await s.tips.find(typed)  # None for anything that is not a code, without hashing
    if report_id is None:
        left = s.limits.wrong_codes.limit - await s.limits.wrong_codes.hit(user.id)
        await message.reply_text(s.ui("status_throttled" if left <= 0 else "status_unknown", lang, left=left))
        return
    view = await s.tips.view(report_id)
    if view is None:
        return
    context.user_data[SESSION_KEY] = (report_id, view.public_no, time.monotonic() + SESSION_SECONDS)
    province = s.form.provinces.get(view.province)
    category = s.form.categories.get(view.category, (view.category, view.category))
    shown = {"category": category[1] if lang == "en" else category[0], "province": province.name if province else ""}
    html = s.engine.renderer.render(
        "tips/status.html.j2", view=view, names=shown, lang=lang, t=s.t(lang), day=lambda iso: format_date(iso, lang)
    )
    keyboard = None
    if view.status not in CLOSED and not view.purged:
        keyboard = InlineKeyboardMarkup(
            [
                [button(s.ui("status_reply", lang), callbacks.FollowUp("reply"))],
                [button(s.ui("status_add_evidence", lang), callbacks.FollowUp("evidence"))],
            ]
        )
    await reply_html(message, html, keyboard)


def _session(context: BotContext) -> tuple[int, str] | None:
    session = context.user_data.get(SESSION_KEY)
    if not session or session[2] < time.monotonic():
        context.user_data.pop(SESSION_KEY, None)
        return None
    return session[0], session[1]


async def forget_expired_sessions(context: BotContext) -> None:
    """A job: memory keeps a user's link to a report no longer than the session."""
    now = time.monotonic()
    for data in context.application.user_data.values():
        if (session := data.get(SESSION_KEY)) and session[2] < now:
            data.pop(SESSION_KEY, None)


def _done_keyboard(s: Services, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(s.ui("status_done", lang), callbacks.FollowUp("done"))]])


async def on_followup_button(update: Update, context: BotContext) -> str | int:
    s = context.services
    query = update.callback_query
    lang = context.lang
    button = callbacks.FollowUp.unpack(query.data)
    session = _session(context)
    if button is None or not isinstance(query.message, Message):
        await query.answer(s.ui("expired", lang), show_alert=True)
        return END
    action = button.action
    if action == "done":
        context.user_data.pop(SESSION_KEY, None)
        await query.answer()
        await query.message.edit_reply_markup(None)
        await query.message.reply_text(s.ui("status_followup_closed", lang))
        return END
    if session is None:
        await query.answer(s.ui("status_session_gone", lang), show_alert=True)
        return END
    view = await s.tips.view(session[0])
    if view is None or view.status in CLOSED or view.purged:
        await query.answer(s.ui("status_closed", lang), show_alert=True)
        return END
    await query.answer()
    if action == "reply":
        prompt = s.ui("status_ask_reply", lang, public_no=session[1], max=MAX_REPLY)
        await query.message.reply_text(prompt, reply_markup=ForceReply(selective=True))
        return REPLY
    if action == "evidence":
        text = s.ui("status_ask_evidence", lang, public_no=session[1])
        await query.message.reply_text(text, reply_markup=_done_keyboard(s, lang))
        return EVIDENCE
    return END


async def _followup_message(
    update: Update, context: BotContext
) -> tuple[Services, str, Message, tuple[int, str]] | None:
    """(services, language, the message, the open session), or None after saying the session has ended."""
    s = context.services
    lang = context.lang
    message = update.effective_message
    session = _session(context)
    if session is None:
        await message.reply_text(s.ui("status_session_gone", lang))
        return None
    return s, lang, message, session


async def on_reply(update: Update, context: BotContext) -> str | int:
    found = await _followup_message(update, context)
    if found is None:
        return END
    s, lang, message, session = found
    text = strip_invisible(message.text or "").strip()
    if not text:
        await message.reply_text(s.ui("tip_text_expected", lang))
        return REPLY
    if len(text) > MAX_REPLY:
        await message.reply_text(s.ui("tip_too_long", lang, length=len(text), limit=MAX_REPLY))
        return REPLY
    await s.tips.reply(session[0], text)
    # the reply stays open: a reporter often goes on in a second message, which must not become a question
    saved = s.ui("status_reply_saved", lang, public_no=session[1])
    await message.reply_text(saved, reply_markup=_done_keyboard(s, lang))
    return REPLY


async def on_evidence(update: Update, context: BotContext) -> str | int:
    """Each item is added to the report as it arrives, so nothing waits in memory."""
    found = await _followup_message(update, context)
    if found is None:
        return END
    s, lang, message, session = found
    if refused := refusal(message):
        await message.reply_text(s.ui(refused, lang))
        return EVIDENCE
    if not (room := await s.tips.room_for_evidence(session[0])):
        await message.reply_text(s.ui("status_evidence_full", lang, public_no=session[1], max=MAX_EVIDENCE))
        return EVIDENCE
    items: list[EvidenceItem] = []
    saved = "status_evidence_saved"
    if has_file(message):
        try:
            clean = await download_evidence(message)
        except EvidenceError as exc:
            await message.reply_text(s.ui(exc.key, lang))
            return EVIDENCE
        items.append(await s.tips.store_file(clean))
        saved = "status_evidence_saved" if clean.metadata_removed else "status_evidence_file"
    else:
        links = [m.group(0).rstrip(".,;)") for m in URL.finditer(message.text or "")]
        items = [EvidenceItem(kind="link", url=url) for url in links[:room]]
    if not items:
        await message.reply_text(s.ui("tip_evidence_expected", lang), reply_markup=_done_keyboard(s, lang))
        return EVIDENCE
    await s.tips.add_evidence(session[0], items)
    await message.reply_text(s.ui(saved, lang, public_no=session[1]), reply_markup=_done_keyboard(s, lang))
    return EVIDENCE


async def on_followup_cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(SESSION_KEY, None)
    s = context.services
    lang = context.lang
    await update.effective_message.reply_text(s.ui("status_followup_closed", lang))
    return END


def build_conversation() -> ConversationHandler:
    private_message = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    answer = private_message & ~filters.COMMAND
    button = CallbackQueryHandler(on_followup_button, pattern=callbacks.FollowUp.pattern())
    return conversation(
        entry_points=[button],
        states={
            REPLY: [MessageHandler(answer, on_reply)],
            EVIDENCE: [button, MessageHandler(answer, on_evidence)],
        },
        fallbacks=[CommandHandler("batal", on_followup_cancel, filters=private_message)],
        name="status",
        allow_reentry=True,
    )
