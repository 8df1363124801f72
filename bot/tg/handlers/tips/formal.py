"""📄 The formal report draft (bot/tips/formal.py) sent as a PDF: from the receipt page after sending, and under
/status. Made in memory, sent, forgotten."""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Message

from bot.services import Services
from bot.tg.context import BotContext
from bot.tips.formal import formal_report_pdf


async def send_formal(context: BotContext, chat_id: int, report_id: int, lang: str, caption_key: str) -> Message | None:
    """Send report `report_id`'s formal draft to `chat_id`; None (with a line saying why) once it was purged."""
    s: Services = context.services
    report = await s.tips.formal(
        report_id,
        category=lambda cid: s.form.categories.get(cid, (cid, cid))[0],
        province=lambda pid: p.name if (p := s.form.provinces.get(pid)) else "",
    )
    if report is None:
        await context.bot.send_message(chat_id, s.ui("formal_gone", lang))
        return None
    pdf = await asyncio.to_thread(formal_report_pdf, s.engine.renderer.render, report)  # ~0.1 s of layout
    name = f"draf-laporan-{report.public_no}.pdf"
    caption = s.ui(caption_key, lang, public_no=report.public_no)
    return await context.bot.send_document(chat_id, InputFile(io.BytesIO(pdf), filename=name), caption=caption)
