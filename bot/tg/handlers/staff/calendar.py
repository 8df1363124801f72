"""/calendar for editors: the election calendar in service (its revision, each election and its stages with
the KPU decision behind them), the file to download, and a new calendar.yaml to upload, checked whole before
it is saved as the next revision and served by every replica (bot/editing/calendar.py). The same revisions
as `kb export` and `kb import` on the server."""

from __future__ import annotations

import io
import time

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot.editing.calendar import MAX_CALENDAR_BYTES, CalendarError
from bot.qa.calendar import CALENDAR_FILE
from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, pressed, reply_html
from bot.tg.context import BotContext
from bot.tips.dates import format_date

UPLOAD_SECONDS = 10 * 60  # the upload a press on 📥 waits for
MAX_REASONS = 15  # problems listed in a refusal (the rest counted)


def _keyboard(s: Services) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button(s.ui("calendar_get", "id"), callbacks.CalendarButton("get"))],
            [button(s.ui("calendar_put", "id"), callbacks.CalendarButton("put"))],
        ]
    )


async def on_calendar(update: Update, context: BotContext) -> None:
    s = context.services
    revision = await s.calendars.current() if s.calendars else None
    html = s.engine.renderer.render(
        "admin/calendar.html.j2", calendar=s.calendar, revision=revision, day=lambda d: format_date(d.isoformat(), "id")
    )
    await reply_html(update.effective_message, html, _keyboard(s))


@pressed(callbacks.CalendarButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.CalendarButton]) -> None:
    s, user = press.s, press.query.from_user
    await press.query.answer()
    if press.button.action == "get":
        revision = await s.calendars.current()
        if revision is None:
            await press.message.reply_text(s.ui("calendar_none", "id"))
            return
        document = InputFile(io.BytesIO(revision.text.encode()), filename=CALENDAR_FILE)
        caption = s.ui("calendar_file", "id", revision=revision.revision)
        await press.message.reply_document(document, caption=caption)
    elif press.button.action == "put":
        await s.pending_edits.put(user.id, {"calendar_until": time.time() + UPLOAD_SECONDS})
        await press.message.reply_text(s.ui("calendar_send_file", "id", name=CALENDAR_FILE))
    else:
        await press.expired()


async def _waiting(context: BotContext) -> bool:
    if context.user is None:
        return False
    pending = await context.services.pending_edits.get(context.user.id)
    return bool(pending and pending.get("calendar_until", 0) > time.time())


async def takes(update: Update, context: BotContext) -> bool:
    """The next private message of an editor who pressed 📥 (bot/tg/handlers/flows.py): the new calendar.yaml."""
    if not await _waiting(context):
        return False
    s, message = context.services, update.effective_message
    if not await s.admin.allowed(context.user.id, "rules"):  # the role was revoked meanwhile
        await s.pending_edits.drop(context.user.id)
        return False
    document = message.document
    if document is None:
        await message.reply_text(s.ui("calendar_send_file", "id", name=CALENDAR_FILE))
        return True
    if (document.file_size or 0) > MAX_CALENDAR_BYTES:
        await message.reply_text(s.ui("calendar_too_large", "id", max=MAX_CALENDAR_BYTES // 1024))
        return True
    data = await (await document.get_file()).download_as_bytearray()
    try:
        text = bytes(data).decode("utf-8")
        revision = await s.calendars.save(text, s.engine.kb.rules, str(context.user.id), "unggahan /calendar")
    except UnicodeDecodeError:
        await message.reply_text(s.ui("calendar_refused", "id", reasons="berkas bukan teks UTF-8"))
        return True
    except CalendarError as exc:
        reasons = exc.reasons[:MAX_REASONS] + ([f"… dan {len(exc.reasons) - MAX_REASONS} lagi"]
                                                if len(exc.reasons) > MAX_REASONS else [])  # fmt: skip
        await message.reply_text(s.ui("calendar_refused", "id", reasons="\n".join(f"• {r}" for r in reasons)))
        return True
    await s.pending_edits.drop(context.user.id)
    if revision is None:
        await message.reply_text(s.ui("calendar_unchanged", "id"))
        return True
    await s.admin.audit(context.user.id, "calendar.import", str(revision.revision))
    await s.knowledge.refresh()
    await message.reply_text(
        s.ui("calendar_saved", "id", revision=revision.revision, elections=len(s.calendar.elections))
    )
    return True


async def cancel(update: Update, context: BotContext) -> bool:
    """/batal while an upload is awaited; False if none is."""
    if not await _waiting(context):
        return False
    await context.services.pending_edits.drop(context.user.id)
    await update.effective_message.reply_text(context.services.ui("calendar_cancelled", "id"))
    return True
