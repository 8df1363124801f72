"""/lapor: the anonymous report form, in private chats.

The draft in the database is the form's only state (`draft.step`): it is written whenever a step is
answered, so a restart (even `kill -9`) loses nothing, and any replica carries on the form. A user's
private messages go to the form while they have a draft (`takes`, called by bot/tg/handlers/flows.py);
its buttons carry the step they were shown for, so a stale one is refused.

Once sent, the draft's row holds only the sealed receipt, shown again after any failure until the
reporter confirms saving it; then the row is wiped and the form's messages are deleted from the chat.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import date
from html import escape as html_escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, grid, pressed, reply_html, report_link
from bot.tg.context import BotContext
from bot.tg.handlers.tips.evidence import download_evidence, has_file, refusal
from bot.tg.handlers.tips.formal import send_formal
from bot.tips.dates import format_date
from bot.tips.evidence import EvidenceError
from bot.tips.form import EDITABLE, Problem
from bot.tips.model import MAX_DESCRIPTION, MAX_EVIDENCE, MIN_DESCRIPTION, SENT, Draft, Receipt
from bot.tips.service import today_wib

CHOICES = {"c": "category", "e": "election", "p": "province", "d": "date"}  # button action -> step
STEP_BOUND = ("back", "skip", "done", "clear")  # their value is the step they were shown for
DELETE_BATCH = 100  # message ids per deleteMessages call


# ---------------------------------------------------------------------- building blocks


def _button(s: Services, lang: str, key: str, action: str, value: str = "", **fmt: object) -> InlineKeyboardButton:
    return button(s.ui(key, lang, **fmt), callbacks.TipButton(action, value))


def names(s: Services, draft: Draft, lang: str) -> dict[str, str]:
    """What the user sees for the draft's coded answers."""
    category = s.form.categories.get(draft.category or "")
    province = s.form.provinces.get(draft.province or "")
    return {
        "category": (category[1] if lang == "en" else category[0]) if category else "",
        "election": s.ui(f"election_{draft.election}", lang) if draft.election else "",
        "province": province.name if province else "",
        "date": format_date(draft.incident_date, lang) if draft.incident_date else "",
        "evidence": _evidence_summary(s, draft, lang),
    }


def _evidence_summary(s: Services, draft: Draft, lang: str) -> str:
    counts = Counter(e.kind for e in draft.evidence)
    return ", ".join(f"{n} {s.ui(f'evidence_{kind}', lang)}" for kind, n in counts.items())


def prompt(s: Services, draft: Draft, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question for the draft's current step, with its buttons."""
    step = draft.step
    back = _button(s, lang, "tip_back_review" if draft.editing else "tip_back", "back", step)
    cancel = _button(s, lang, "tip_cancel", "cancel")
    nav = [back, cancel] if step != "category" or draft.editing else [cancel]
    rows: list[list[InlineKeyboardButton]] = []
    if step == "review":
        html = s.engine.renderer.render(
            "tips/review.html.j2", draft=draft, names=names(s, draft, lang), lang=lang, t=s.t(lang)
        )
        edits = [_button(s, lang, f"tip_edit_{field}", "edit", field) for field in EDITABLE]
        rows = [*grid(edits, 2), [_button(s, lang, "tip_send", "send")], [cancel]]
        return html, InlineKeyboardMarkup(rows)
    html = s.ui(
        f"tip_ask_{step}", lang, min=MIN_DESCRIPTION, max=MAX_DESCRIPTION if step != "evidence" else MAX_EVIDENCE
    )
    if step == "description" and draft.editing and draft.description:  # edit the text, not retype it
        html += "\n\n" + s.ui("tip_current_text", lang) + f"\n<code>{html_escape(draft.description)}</code>"
    if step == "category":
        en = lang == "en"
        for c in s.form.choices:  # what each looks like, since a button holds only a few words
            html += ("\n" if c is s.form.choices[0] else "") + f"\n• <b>{html_escape(c.en if en else c.label)}</b>: "
            html += html_escape(c.en_seen if en else c.seen)
        rows = grid([button(c.en if en else c.label, callbacks.TipButton("c", c.id)) for c in s.form.choices], 2)
    elif step == "election":
        rows = [[_button(s, lang, f"election_{e}", "e", e) for e in ("pemilu", "pilkada")],
                [_button(s, lang, "election_tidak_tahu", "e", "tidak_tahu")]]  # fmt: skip
    elif step == "province":
        provinces = s.form.provinces.values()
        rows = grid([button(p.short, callbacks.TipButton("p", p.id)) for p in provinces], 3)
    elif step == "date":
        rows = [[_button(s, lang, "tip_today", "d", "0"), _button(s, lang, "tip_yesterday", "d", "1")]]
    elif step in ("who", "regency"):
        rows = [[_button(s, lang, "tip_skip", "skip", step)]]
    elif step == "evidence":
        rows = _evidencegrid(s, draft, lang)
    return html, InlineKeyboardMarkup([*rows, nav])


def _evidencegrid(s: Services, draft: Draft, lang: str) -> list[list[InlineKeyboardButton]]:
    """Done, one 🗑 per item (its kind and number: "🗑 2 foto"), and clearing them all."""
    rows = [[_button(s, lang, "tip_done", "done", "evidence", count=len(draft.evidence))]]
    remove = [
        _button(s, lang, "tip_evidence_remove", "rm", str(n), n=n, kind=s.ui(f"tip_kind_{item.kind}", lang))
        for n, item in enumerate(draft.evidence, start=1)
    ]
    rows += grid(remove, 3)
    if len(draft.evidence) > 1:
        rows.append([_button(s, lang, "tip_evidence_clear", "clear", "evidence")])
    return rows


async def show_step(message: Message, s: Services, draft: Draft, lang: str, chosen: str | None = None) -> None:
    html, keyboard = prompt(s, draft, lang)
    if chosen:
        html = f"{s.ui('tip_chosen', lang, label=chosen)}\n\n{html}"
    await reply_html(message, html, keyboard)


async def _refuse(message: Message, s: Services, lang: str, problem: Problem) -> None:
    await message.reply_text(s.ui(problem.key, lang, **problem.values))
    return


async def _retire(message: Message) -> None:
    """Take the buttons off a message that has been answered, so it cannot be pressed twice."""
    if message.reply_markup:
        await message.edit_reply_markup(None)


async def _retire_quietly(message: Message) -> None:
    """After a receipt: the buttons' removal may fail without anything being lost (pressing them again
    only shows the receipt)."""
    with contextlib.suppress(TelegramError):  # not logged: the time of a log line would mark a report
        await _retire(message)


# ---------------------------------------------------------------------- entry


async def on_lapor(update: Update, context: BotContext) -> None:
    s = context.services
    user = update.effective_user
    lang = context.lang
    message = update.effective_message
    if (draft := await s.tips.load_draft(s.drafts.of(user.id))) is not None:
        if draft.step == SENT:
            return await _receipt_again(message, s, lang, draft, s.drafts.of(user.id))
        if update.update_id in draft.applied:  # this /lapor began the draft: delivered again, not typed again
            return await show_step(message, s, draft, lang)
        keyboard = InlineKeyboardMarkup(
            [[_button(s, lang, "tip_resume", "resume"), _button(s, lang, "tip_new", "new")]]
        )
        await message.reply_text(s.ui("tip_has_draft", lang), reply_markup=keyboard)
        return
    if await s.limits.reports.exhausted(user.id):
        await message.reply_text(s.ui("tip_limit", lang, limit=s.limits.reports.limit))
        return
    await message.reply_text(s.engine.renderer.render("tips/intro.html.j2", lang=lang))
    draft = Draft(first_message_id=message.message_id)
    draft.apply(update.update_id)
    await s.tips.save_draft(s.drafts.of(user.id), draft)
    await show_step(message, s, draft, lang)
    return


async def on_lapor_in_group(update: Update, context: BotContext) -> None:
    """Nobody should report in front of colleagues: offer a private chat instead."""
    s = context.services
    lang = context.lang
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(s.ui("tip_open_private", lang), url=report_link(s))]])
    await update.effective_message.reply_text(s.ui("tip_private_only", lang), reply_markup=keyboard)


# ---------------------------------------------------------------------- answers


async def takes(update: Update, context: BotContext) -> bool:
    """A private message from a user with a draft: the answer to its current step, or evidence; after the
    report was sent, the receipt again until the user confirms saving it. False: no draft."""
    s = context.services
    key = s.drafts.of(update.effective_user.id)
    draft = await s.tips.load_draft(key)
    if draft is None:
        return False
    message = update.effective_message
    if draft.step == SENT:
        await _receipt_again(message, s, context.lang, draft, key)
    elif update.update_id in draft.applied:  # saved by a replica that died before acknowledging it
        await show_step(message, s, draft, context.lang)
    else:
        draft.apply(update.update_id)
        await _on_input(message, s, context.lang, key, draft)
    return True


async def _on_input(message: Message, s: Services, lang: str, key: str, draft: Draft) -> None:
    """The answer to the draft's step (`draft.apply` has marked the update the draft is saved with)."""
    if refused := refusal(message):
        return await _refuse(message, s, lang, Problem(refused))
    if has_file(message):
        return await _add_file(message, s, lang, key, draft)
    if not message.text:
        key_name = "tip_evidence_expected" if draft.step == "evidence" else "tip_text_expected"
        return await _refuse(message, s, lang, Problem(key_name))
    step = draft.step
    if problem := s.form.enter_text(draft, message.text, today_wib()):
        return await _refuse(message, s, lang, problem)
    await s.tips.save_draft(key, draft)
    if step == "evidence":  # links: stay on the step for more
        text = s.ui("tip_evidence_links", lang, count=len(draft.evidence), max=MAX_EVIDENCE)
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(_evidencegrid(s, draft, lang)))
        return
    # a typed answer is echoed as the bot read it, like a button's ("jateng" -> "✅ Jawa Tengah")
    await show_step(message, s, draft, lang, _chosen_label(s, draft, step, lang))
    return


async def _add_file(message: Message, s: Services, lang: str, key: str, draft: Draft) -> None:
    if problem := s.form.room_for_evidence(draft):
        return await _refuse(message, s, lang, problem)
    try:
        clean = await download_evidence(message)
    except EvidenceError as exc:
        return await _refuse(message, s, lang, Problem(exc.key))
    item = await s.tips.store_file(clean, message.caption)
    s.form.add_file(draft, item)
    await s.tips.save_draft(key, draft)
    ack = "tip_evidence_photo" if clean.metadata_removed else "tip_evidence_file"
    text = s.ui(ack, lang, count=len(draft.evidence), max=MAX_EVIDENCE)
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup(_evidencegrid(s, draft, lang)))
    return


# ---------------------------------------------------------------------- buttons


@pressed(callbacks.TipButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.TipButton]) -> None:
    s, lang = press.s, press.lang
    action, value = press.button.action, press.button.value
    if action == "saved":
        return await _saved(press, context)
    if action == "formal":
        return await _formal(press, context)
    if action in ("cancel", "discard"):
        await press.query.answer()
        if action == "discard":
            await _retire(press.message)
        return await cancel(press.message, s, lang, s.drafts.of(update.effective_user.id), action == "discard")
    key = s.drafts.of(update.effective_user.id)
    draft = await s.tips.load_draft(key)
    if draft is None:
        await press.query.answer(s.ui("tip_draft_gone", lang), show_alert=True)
        return
    if draft.step == SENT:
        await press.query.answer()
        return await _receipt_again(press.message, s, lang, draft, key)
    if update.update_id in draft.applied:  # saved by a replica that died before acknowledging it
        await press.query.answer()
        return await show_step(press.message, s, draft, lang)
    if action == "send":
        return await _send(press, context, key, draft)
    chosen: str | None = None
    problem: Problem | None = None
    if action in STEP_BOUND and value != draft.step:  # a button left on an earlier step's message
        problem = Problem("tip_stale_button")
    elif action in CHOICES:
        problem = s.form.choose(draft, CHOICES[action], value, today_wib())
        chosen = _chosen_label(s, draft, CHOICES[action], lang)
    elif action == "skip":
        problem = s.form.skip(draft)
    elif action == "back":
        s.form.back(draft)
    elif action == "edit":
        problem = s.form.edit(draft, value)
    elif action == "done":
        problem = s.form.evidence_done(draft)
    elif action == "clear":
        await s.tips.files.delete(draft.files)
        draft.evidence = []
    elif action == "rm":
        problem = await _remove_evidence(s, draft, callbacks.as_int(value))
    elif action == "new":
        await s.tips.discard_draft(key, draft)
        draft = Draft(first_message_id=press.message.message_id)
    elif action != "resume":
        problem = Problem("tip_stale_button")
    if problem:
        await press.query.answer(s.ui(problem.key, lang, **problem.values), show_alert=True)
        return
    await press.query.answer()
    draft.apply(update.update_id)
    await s.tips.save_draft(key, draft)
    await _retire(press.message)
    await show_step(press.message, s, draft, lang, chosen)
    return


async def _remove_evidence(s: Services, draft: Draft, number: int) -> Problem | None:
    """One item of evidence out of the draft, and its file off the disk."""
    if draft.step != "evidence" or not 1 <= number <= len(draft.evidence):
        return Problem("tip_stale_button")
    item = draft.evidence.pop(number - 1)
    if item.file:
        await s.tips.files.delete([item.file])
    return None


def _chosen_label(s: Services, draft: Draft, step: str, lang: str) -> str | None:
    shown = names(s, draft, lang)
    return {"category": shown["category"], "election": shown["election"], "province": shown["province"],
            "date": shown["date"]}.get(step)  # fmt: skip


async def _send(press: Press, context: BotContext, key: str, draft: Draft) -> None:
    """Commit first, then tell the user: a report is never announced as received before it is stored.
    The receipt is sent before anything else touches Telegram, and it stays sealed in the draft's row
    until the user confirms, so a failure or a crash from here on cannot lose it."""
    s, lang, user_id = press.s, press.lang, press.query.from_user.id
    if not s.form.ready(draft):
        await press.query.answer(s.ui("tip_stale_button", lang), show_alert=True)
        return
    if await s.limits.reports.exhausted(user_id):
        await press.query.answer()
        await press.message.reply_text(s.ui("tip_limit", lang, limit=s.limits.reports.limit))
        return
    await press.query.answer()
    receipt = await s.tips.submit(key, draft)
    await s.limits.reports.hit(user_id)
    await _show_receipt(press.message, s, lang, receipt)
    await _retire_quietly(press.message)
    return


async def _show_receipt(message: Message, s: Services, lang: str, receipt: Receipt) -> Message:
    html = s.engine.renderer.render("tips/receipt.html.j2", receipt=receipt, lang=lang)
    keyboard = InlineKeyboardMarkup(
        [[_button(s, lang, "formal_button", "formal")], [_button(s, lang, "tip_saved_button", "saved")]]
    )
    return await message.reply_text(html, reply_markup=keyboard)


async def _formal(press: Press, context: BotContext) -> None:
    """The formal draft of the report just sent, while its receipt is on screen. It is deleted with the form
    when the code is saved (its caption says so): the chat keeps nothing of the report."""
    s, lang = press.s, press.lang
    key = s.drafts.of(press.query.from_user.id)
    sent = await s.tips.pending_receipt(key)
    report_id = await s.tips.find(sent.receipt.code) if sent is not None and sent.receipt is not None else None
    if sent is None or report_id is None:
        await press.query.answer(s.ui("expired", lang), show_alert=True)
        return
    await press.query.answer()
    shown = await send_formal(context, press.message.chat_id, report_id, lang, "formal_caption_receipt")
    if shown is not None:
        sent.last_message_id = max(sent.last_message_id or 0, shown.message_id)
        await s.tips.save_draft(key, sent)


async def _receipt_again(message: Message, s: Services, lang: str, sent: Draft, key: str) -> None:
    """Anything before the user confirmed saving the code (after a restart too): show the code again, and
    remember where, so this copy is deleted with the form."""
    assert sent.receipt is not None
    await message.reply_text(s.ui("tip_saved_first", lang))
    shown = await _show_receipt(message, s, lang, sent.receipt)
    sent.last_message_id = shown.message_id
    await s.tips.save_draft(key, sent)
    return


async def _saved(press: Press, context: BotContext) -> None:
    """The code is saved: forget the user's link to the report, and clear the form from the chat."""
    s, lang = press.s, press.lang
    key = s.drafts.of(press.query.from_user.id)
    sent = await s.tips.pending_receipt(key)
    await press.query.answer()
    if sent is None:  # pressed twice, or on an old message
        await _retire_quietly(press.message)
        return
    deadline = _deadline(sent, lang)
    await s.tips.discard_draft(key, sent)
    # the form goes from the chat, and every copy of the receipt shown meanwhile
    last = max(press.message.message_id, sent.last_message_id or 0)
    deleted = await _delete_messages(context, press.message.chat_id, sent.first_message_id, last + 1)
    note = s.ui("tip_chat_cleared" if deleted else "tip_chat_clear_yourself", lang)
    page = s.engine.renderer.render("tips/after.html.j2", lang=lang, deadline=deadline)
    await context.bot.send_message(press.message.chat_id, f"{note}\n\n{page}")
    return


def _deadline(sent: Draft, lang: str) -> dict[str, object] | None:
    """The formal-report deadline kept with the receipt, as the page after sending shows it."""
    receipt = sent.receipt
    if receipt is None or not receipt.formal_due:
        return None
    return {
        "election": receipt.election,
        "due": format_date(receipt.formal_due, lang),
        "passed": date.fromisoformat(receipt.formal_due) < today_wib(),
    }


async def _delete_messages(context: BotContext, chat_id: int, first: int | None, end: int) -> bool:
    """Delete the messages of a private chat from `first` up to (not including) `end`, the user's and the
    bot's: a phone left unlocked would show the whole report and the code. Telegram lets a bot delete
    messages under 48 hours old in a private chat; ids it cannot find are skipped."""
    if first is None:
        return False
    ids = list(range(first, end))
    try:
        for i in range(0, len(ids), DELETE_BATCH):
            await context.bot.delete_messages(chat_id, ids[i : i + DELETE_BATCH])
    except TelegramError:
        return False
    return True


# ---------------------------------------------------------------------- cancelling


async def cancel(message: Message, s: Services, lang: str, key: str, confirmed: bool = False) -> None:
    """/batal and ✖️ ask first (a draft deleted by a stray tap cannot be brought back); 🗑 confirms."""
    draft = await s.tips.load_draft(key)
    if draft is None:
        await message.reply_text(s.ui("tip_nothing_to_cancel", lang))
        return
    if draft.step == SENT:  # the report is stored already: only the receipt is left to save
        return await _receipt_again(message, s, lang, draft, key)
    if not confirmed:
        keyboard = [[_button(s, lang, "tip_discard", "discard"), _button(s, lang, "tip_keep", "resume")]]
        await message.reply_text(s.ui("tip_cancel_confirm", lang), reply_markup=InlineKeyboardMarkup(keyboard))
        return
    await s.tips.discard_draft(key, draft)
    await message.reply_text(s.ui("tip_cancelled", lang))
    return


async def on_cancel(update: Update, context: BotContext) -> None:
    """/batal: the draft, if there is one (bot/tg/handlers/flows.py asks the other forms first)."""
    s = context.services
    lang = context.lang
    return await cancel(update.effective_message, s, lang, s.drafts.of(update.effective_user.id))
