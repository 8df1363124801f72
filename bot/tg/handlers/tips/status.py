"""/status <kode>: a reporter follows up a tip with the receipt code, replies to handlers, adds evidence.

The receipt is the only key. After a code is checked, the report it opened is remembered in short-lived memory
(`Services.status_sessions`: this process, or a Redis without persistence; never a disk, since a stored
session would tie the user to the report) for a short session, so the buttons carry no report id that could
be forged. The session also says what the reporter's next message is (a reply, or evidence): any replica
reads it (bot/tg/handlers/flows.py). The reply prompt asks Telegram for a reply to it, so a reply that
arrives after the session is gone is recognised (bot/tg/handlers/public/questions.py) and the reporter told
it was not saved, rather than it being taken for a question.
Wrong codes are counted per user with a rotating keyed hash (bot/privacy/throttle.py) to stop guessing.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import button, reply_html
from bot.tg.context import BotContext
from bot.tg.handlers.tips.evidence import download_evidence, has_file, refusal
from bot.tg.handlers.tips.formal import send_formal
from bot.tips.dates import format_date
from bot.tips.evidence import EvidenceError
from bot.tips.form import URL, strip_invisible
from bot.tips.model import CLOSED, MAX_EVIDENCE, MAX_REPLY, EvidenceItem

SESSION_SECONDS = 30 * 60
REPLY, EVIDENCE = "reply", "evidence"
CODE_MESSAGE = filters.Regex(r"^\s*[A-Za-z0-9]{5}(?:[\s\-_.]*[A-Za-z0-9]{5}){3}\s*$")  # as receipts.normalise


@dataclass
class Session:
    report_id: int
    public_no: str
    until: float  # time.time() when it ends, whatever is done meanwhile
    expecting: str = ""  # REPLY or EVIDENCE: what the reporter's next message is; "" for none


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
    await _keep(context, Session(report_id, view.public_no, time.time() + SESSION_SECONDS))
    province = s.form.provinces.get(view.province)
    category = s.form.categories.get(view.category, (view.category, view.category))
    shown = {"category": category[1] if lang == "en" else category[0], "province": province.name if province else ""}
    html = s.engine.renderer.render(
        "tips/status.html.j2", view=view, names=shown, lang=lang, t=s.t(lang), day=lambda iso: format_date(iso, lang)
    )
    rows = []
    if view.status not in CLOSED and not view.purged:
        rows += [
            [button(s.ui("status_reply", lang), callbacks.FollowUp("reply"))],
            [button(s.ui("status_add_evidence", lang), callbacks.FollowUp("evidence"))],
        ]
    if not view.purged:
        rows.append([button(s.ui("formal_button", lang), callbacks.FollowUp("formal"))])
    await reply_html(message, html, InlineKeyboardMarkup(rows) if rows else None)


async def _session(context: BotContext) -> Session | None:
    stored = await context.services.status_sessions.get(context.user.id) if context.user else None
    if stored is None:
        return None
    session = Session(**stored)
    if session.until < time.time():
        await _end(context)
        return None
    return session


async def _keep(context: BotContext, session: Session) -> None:
    """Memory keeps the user's link to the report no longer than the session (the store's TTL)."""
    slot = context.services.status_sessions
    await slot.put(context.user.id, asdict(session), ttl=max(0.01, session.until - time.time()))


async def _end(context: BotContext) -> None:
    if context.user is not None:
        await context.services.status_sessions.drop(context.user.id)


async def takes(update: Update, context: BotContext) -> bool:
    """A private message while the session expects a reply or evidence (bot/tg/handlers/flows.py)."""
    session = await _session(context)
    if session is None or not session.expecting:
        return False
    await (on_reply if session.expecting == REPLY else on_evidence)(update, context, session)
    return True


def _done_keyboard(s: Services, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(s.ui("status_done", lang), callbacks.FollowUp("done"))]])


async def on_followup_button(update: Update, context: BotContext) -> None:
    s = context.services
    query = update.callback_query
    lang = context.lang
    button = callbacks.FollowUp.unpack(query.data)
    session = await _session(context)
    if button is None or not isinstance(query.message, Message):
        await query.answer(s.ui("expired", lang), show_alert=True)
        return
    action = button.action
    if action == "done":
        await _end(context)
        await query.answer()
        await query.message.edit_reply_markup(None)
        await query.message.reply_text(s.ui("status_followup_closed", lang))
        return
    if session is None:
        await query.answer(s.ui("status_session_gone", lang), show_alert=True)
        return
    if action == "formal":  # a closed report may still go to Bawaslu formally, until it is purged
        await query.answer()
        await send_formal(context, query.message.chat_id, session.report_id, lang, "formal_caption")
        return
    view = await s.tips.view(session.report_id)
    if view is None or view.status in CLOSED or view.purged:
        await query.answer(s.ui("status_closed", lang), show_alert=True)
        return
    await query.answer()
    if action == "reply":
        await _keep(context, Session(**{**asdict(session), "expecting": REPLY}))
        prompt = s.ui("status_ask_reply", lang, public_no=session.public_no, max=MAX_REPLY)
        await query.message.reply_text(prompt, reply_markup=ForceReply(selective=True))
    elif action == "evidence":
        await _keep(context, Session(**{**asdict(session), "expecting": EVIDENCE}))
        text = s.ui("status_ask_evidence", lang, public_no=session.public_no)
        await query.message.reply_text(text, reply_markup=_done_keyboard(s, lang))


async def on_reply(update: Update, context: BotContext, session: Session) -> None:
    s, lang, message = context.services, context.lang, update.effective_message
    text = strip_invisible(message.text or "").strip()
    if not text:
        await message.reply_text(s.ui("tip_text_expected", lang))
        return
    if len(text) > MAX_REPLY:
        await message.reply_text(s.ui("tip_too_long", lang, length=len(text), limit=MAX_REPLY))
        return
    await s.tips.reply(session.report_id, text)
    # the reply stays open: a reporter often goes on in a second message, which must not become a question
    saved = s.ui("status_reply_saved", lang, public_no=session.public_no)
    await message.reply_text(saved, reply_markup=_done_keyboard(s, lang))


async def on_evidence(update: Update, context: BotContext, session: Session) -> None:
    """Each item is added to the report as it arrives, so nothing waits in memory."""
    s, lang, message = context.services, context.lang, update.effective_message
    if refused := refusal(message):
        await message.reply_text(s.ui(refused, lang))
        return
    if not (room := await s.tips.room_for_evidence(session.report_id)):
        await message.reply_text(s.ui("status_evidence_full", lang, public_no=session.public_no, max=MAX_EVIDENCE))
        return
    items: list[EvidenceItem] = []
    saved = "status_evidence_saved"
    if has_file(message):
        try:
            clean = await download_evidence(message)
        except EvidenceError as exc:
            await message.reply_text(s.ui(exc.key, lang))
            return
        items.append(await s.tips.store_file(clean))
        saved = "status_evidence_saved" if clean.metadata_removed else "status_evidence_file"
    else:
        links = [m.group(0).rstrip(".,;)") for m in URL.finditer(message.text or "")]
        items = [EvidenceItem(kind="link", url=url) for url in links[:room]]
    if not items:
        await message.reply_text(s.ui("tip_evidence_expected", lang), reply_markup=_done_keyboard(s, lang))
        return
    await s.tips.add_evidence(session.report_id, items)
    await message.reply_text(s.ui(saved, lang, public_no=session.public_no), reply_markup=_done_keyboard(s, lang))


async def cancel(update: Update, context: BotContext) -> bool:
    """/batal while the session expects a message: close it (bot/tg/handlers/flows.py). False if it expects
    nothing."""
    session = await _session(context)
    if session is None or not session.expecting:
        return False
    await _end(context)
    await update.effective_message.reply_text(context.services.ui("status_followup_closed", context.lang))
    return True
