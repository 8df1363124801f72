"""Reviewers handle tips: /tips lists them, a button opens one (its evidence re-sent from storage, never
forwarded), /ubahstatus, /catatan and /tanyapelapor act on one, /export hands them over as CSV.

Every command and button checks the reviewer role again; every action is audited (that it happened, never
the text a reviewer wrote: the audit is kept after the report itself is purged).

Text meant for the reporter is refused when it holds anything a Telegram client would make clickable: a
link to a reviewer's own bot or site would hand over the reporter's Telegram id or IP address with one tap.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from PIL import Image
from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, grid, pressed, reply_html
from bot.tg.context import BotContext
from bot.tips.dates import format_date
from bot.tips.export import to_csv
from bot.tips.model import CLOSED, STATUSES

PAGE = 8
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto's limits; larger images go as documents
MAX_PHOTO_SIDES = 10_000  # width + height
MAX_PHOTO_RATIO = 20

log = logging.getLogger(__name__)

# What Telegram clients turn into a link: URLs with a scheme or www., @mentions (e-mail addresses too), and
# bare domains such as t.me/… or contoh.com. Broad on purpose: a reviewer can rewrite "Kab.Sleman" as
# "Kab. Sleman", a reporter cannot undo a tap.
_CLICKABLE = re.compile(
    r"(?:[a-z][a-z0-9+.-]*:/|www\.)\S*|@\w+|(?:[\w-]+\.)+[^\W\d_]{2,}\S*",
    re.IGNORECASE,
)
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def clickable(text: str) -> str | None:
    """The first part of `text` a Telegram client would make clickable, or None. Full-width letters and dots
    are folded and invisible characters dropped first, so look-alikes such as "t.me" in full-width are caught."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS)
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    m = _CLICKABLE.search(folded)
    return m.group(0)[:60] if m else None


def _labels(s: Services, row: dict) -> dict[str, str]:
    category = s.form.categories.get(row["category"], (row["category"], ""))[0]
    province = p.name if (p := s.form.provinces.get(row["province"])) else row["province"]
    return {"category": category, "province": province}


async def _status_argument(update: Update, context: BotContext) -> tuple[Services, str | None] | None:
    """For /tips and /export: the optional status; None after telling the user why not."""
    s = context.services
    status = (context.args or [""])[0].lower() or None
    if status is not None and status not in STATUSES:
        await update.effective_message.reply_text(s.ui("review_status_usage", "id"))
        return None
    return s, status


async def on_tips(update: Update, context: BotContext) -> None:
    found = await _status_argument(update, context)
    if found is None:
        return
    s, status = found
    html, keyboard = await _page(s, status, 0)
    await update.effective_message.reply_text(html, reply_markup=keyboard)


async def _page(s: Services, status: str | None, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    rows, total = await s.tips.list_reports(status, page * PAGE, PAGE)
    items = [{**row, **_labels(s, row)} for row in rows]
    html = s.engine.renderer.render("admin/tips.html.j2", items=items, total=total, status=status, page=page,
                                    pages=max(1, -(-total // PAGE)), t=s.t("id"))  # fmt: skip
    buttons = [[button(f"{r['public_no']} · {r['category']}", callbacks.ReviewButton("o", r["id"]))] for r in items]
    nav = []
    if page > 0:
        nav.append(button(s.ui("prev", "id"), callbacks.ReviewButton("l", status or "", page - 1)))
    if (page + 1) * PAGE < total:
        nav.append(button(s.ui("next", "id"), callbacks.ReviewButton("l", status or "", page + 1)))
    if nav:
        buttons.append(nav)
    return html, InlineKeyboardMarkup(buttons) if buttons else None


@pressed(callbacks.ReviewButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.ReviewButton]) -> None:
    s, query = press.s, press.query
    action, a, b = press.button.action, press.button.a, press.button.b
    reviewer = update.effective_user.id
    if action == "l":
        await query.answer()
        html, keyboard = await _page(s, a or None, callbacks.as_int(b))
        await press.message.edit_text(html, reply_markup=keyboard)
    elif action == "o":
        await query.answer()
        await open_report(press.message, s, callbacks.as_int(a), reviewer)
    elif action == "s" and b in CLOSED:  # closing asks first: the reporter sees it, and it ends the handling
        await query.answer()
        keyboard = InlineKeyboardMarkup([[button(s.ui("review_close_yes", "id"), callbacks.ReviewButton("S", a, b))]])
        await press.message.reply_text(
            s.ui("review_close_confirm", "id", status=s.ui(f"status_{b}", "id")), reply_markup=keyboard
        )
    elif (action == "s" and b in STATUSES) or (action == "S" and b in CLOSED):
        if action == "S":
            await press.message.edit_reply_markup(None)  # confirmed once
        report_id = callbacks.as_int(a)
        if await _set_status(s, reviewer, report_id, b, None):
            await query.answer(s.ui("review_status_set", "id", status=b))
            await open_report(press.message, s, report_id, reviewer, with_files=False)
        else:
            await query.answer(s.ui("review_unknown_report", "id"), show_alert=True)
    else:
        await query.answer(s.ui("expired", "id"), show_alert=True)


async def open_report(message: Message, s: Services, report_id: int, reviewer: int, with_files: bool = True) -> None:
    view = await s.tips.view(report_id, public_only=False)
    if view is None:
        await message.reply_text(s.ui("review_unknown_report", "id"))
        return
    await s.admin.audit(reviewer, "tips.open", view.public_no)
    details = await s.tips.details(report_id)
    evidence = await s.tips.evidence(report_id)
    html = s.engine.renderer.render(
        "admin/tip.html.j2", view=view, details=details, evidence=evidence, t=s.t("id"),
        labels=_labels(s, {"category": view.category, "province": view.province}),
        election=s.ui(f"election_{view.election}", "id"), day=lambda iso: format_date(iso, "id"),
    )  # fmt: skip
    buttons = [button(s.ui(f"status_{st}", "id"), callbacks.ReviewButton("s", report_id, st))
               for st in STATUSES if st != view.status]  # fmt: skip
    await reply_html(message, html, InlineKeyboardMarkup(grid(buttons)))
    if not with_files:
        return
    failed = []
    for n, item in enumerate(e for e in evidence if e.data is not None):
        name = f"{view.public_no}-bukti-{n + 1}"
        if not await _send_evidence(message, item.data, item.mime, item.kind, name):
            failed.append(name)
    if failed:
        await message.reply_text(s.ui("review_evidence_failed", "id", names=", ".join(failed)))


async def _send_evidence(message: Message, data: bytes, mime: str, kind: str, name: str) -> bool:
    """One evidence file to the reviewer; False if Telegram would not take it, so the others are still sent."""
    filename = name + _extension(mime)
    try:
        if kind == "photo" and _fits_as_photo(data):
            try:
                await message.reply_photo(InputFile(io.BytesIO(data), filename=filename), caption=name)
                return True
            except BadRequest as exc:  # a limit we did not foresee: the same bytes as a document
                log.warning("evidence photo refused (%s); sending it as a document", exc.message)
        await message.reply_document(InputFile(io.BytesIO(data), filename=filename), caption=name)
        return True
    except TelegramError as exc:
        log.warning("evidence could not be sent to a reviewer: %s", exc)
        return False


def _fits_as_photo(data: bytes) -> bool:
    """Within sendPhoto's limits (10 MB, width + height <= 10000, sides at most 1:20)."""
    if len(data) > MAX_PHOTO_BYTES:
        return False
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as img:  # reads the header only
            width, height = img.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return width + height <= MAX_PHOTO_SIDES and max(width, height) <= MAX_PHOTO_RATIO * min(width, height)


def _extension(mime: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf",
            "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm", "video/x-matroska": ".mkv",
            "video/3gpp": ".3gp"}.get(mime, ".bin")  # fmt: skip


async def _set_status(s: Services, reviewer: int, report_id: int, status: str, note: str | None) -> bool:
    view = await s.tips.view(report_id, public_only=False)
    if view is None:
        return False
    await s.tips.set_status(report_id, status, note, public=True)
    await s.admin.audit(reviewer, "tips.status", view.public_no, view.status, status)
    return True


async def _report_from_args(update: Update, context: BotContext, usage: str, min_words: int):
    """(report id, public number, the rest of the text), or None after telling the reviewer why."""
    s = context.services
    args = context.args or []
    if len(args) < min_words:
        await update.effective_message.reply_text(s.ui(usage, "id"))
        return None
    report_id = await s.tips.by_number(args[0])
    if report_id is None:
        await update.effective_message.reply_text(s.ui("review_unknown_report", "id"))
        return None
    return report_id, args[0].upper(), " ".join(args[1:]).strip()


async def on_set_status(update: Update, context: BotContext) -> None:
    """/ubahstatus LPR-… status [catatan untuk pelapor]"""
    s = context.services
    found = await _report_from_args(update, context, "review_setstatus_usage", 2)
    if found is None:
        return
    report_id, public_no, rest = found
    status, _, note = rest.partition(" ")
    if status.lower() not in STATUSES:
        await update.effective_message.reply_text(s.ui("review_setstatus_usage", "id"))
        return
    if found_link := clickable(note):  # the note is shown to the reporter under /status
        await update.effective_message.reply_text(s.ui("review_link_refused", "id", found=found_link))
        return
    await _set_status(s, update.effective_user.id, report_id, status.lower(), note.strip() or None)
    await update.effective_message.reply_text(
        s.ui("review_status_set", "id", status=status.lower()) + f" ({public_no})"
    )


async def _write_to_report(update: Update, context: BotContext, kind: str) -> None:
    """/catatan (an internal note) and /tanyapelapor (a question the reporter sees under /status)."""
    s = context.services
    usage, done = (
        ("review_note_usage", "review_note_saved") if kind == "note" else ("review_ask_usage", "review_ask_saved")
    )
    found = await _report_from_args(update, context, usage, 2)
    if found is None:
        return
    report_id, public_no, text = found
    if kind == "note":  # internal: only reviewers read it
        await s.tips.note(report_id, text, public=False)
    else:
        if found_link := clickable(text):
            await update.effective_message.reply_text(s.ui("review_link_refused", "id", found=found_link))
            return
        await s.tips.ask(report_id, text)
    await s.admin.audit(update.effective_user.id, f"tips.{kind}", public_no)  # that it was written, not what
    await update.effective_message.reply_text(s.ui(done, "id", public_no=public_no))


async def on_note(update: Update, context: BotContext) -> None:
    await _write_to_report(update, context, "note")


async def on_ask_reporter(update: Update, context: BotContext) -> None:
    await _write_to_report(update, context, "ask")


async def on_export(update: Update, context: BotContext) -> None:
    found = await _status_argument(update, context)
    if found is None:
        return
    s, status = found
    rows = await s.tips.export(status)
    await s.admin.audit(update.effective_user.id, "tips.export", status or "semua", None, len(rows))
    name = f"laporan-{status or 'semua'}.csv"
    await update.effective_message.reply_document(InputFile(io.BytesIO(to_csv(rows)), filename=name),
                                                  caption=s.ui("review_exported", "id", count=len(rows)))  # fmt: skip
