"""/stats [hari] for admins: the figures as text, a chart of questions per day, and one of the quiz scenarios most
often answered wrongly."""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Update

from bot.admin.stats import compute, questions_chart, quiz_chart
from bot.tg.common import reply_html
from bot.tg.context import BotContext

DEFAULT_DAYS, MAX_DAYS = 30, 365


async def on_stats(update: Update, context: BotContext) -> None:
    s = context.services
    raw = (context.args or [str(DEFAULT_DAYS)])[0]
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_DAYS else None
    if days is None:
        await update.effective_message.reply_text(s.ui("stats_usage", "id", max=MAX_DAYS))
        return
    stats = await compute(s.store, days)
    categories = {cid: titles[0] for cid, titles in s.form.categories.items()}
    provinces = {pid: p.name for pid, p in s.form.provinces.items()}
    html = s.engine.renderer.render("admin/stats.html.j2", st=stats, categories=categories, provinces=provinces,
                                    t=s.t("id"))  # fmt: skip
    await reply_html(update.effective_message, html)
    if stats.questions:
        png = await asyncio.to_thread(questions_chart, stats)  # matplotlib is slow to draw
        await update.effective_message.reply_photo(InputFile(io.BytesIO(png), filename="pertanyaan.png"))
    if stats.quiz:
        png = await asyncio.to_thread(quiz_chart, stats)
        await update.effective_message.reply_photo(InputFile(io.BytesIO(png), filename="kuis.png"))
