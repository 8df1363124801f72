"""Inline mode: `@bot pertanyaan` in any chat offers the best rules, each posting a compact answer."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.presentation.render import rule_text
from bot.services import MAX_QUESTION_CHARS
from bot.tg.context import BotContext

MAX_RESULTS = 5


async def on_inline_query(update: Update, context: BotContext) -> None:
    s = context.services
    query = update.inline_query
    lang = context.lang
    text = query.query.strip()[:MAX_QUESTION_CHARS]
    if text:
        result = s.engine.matcher.match(text)
        rules = [c.rule for c in result.candidates] or [c.rule for c in s.engine.matcher.search(text)]
    else:
        rules = []
    renderer = s.engine.renderer
    results = [
        InlineQueryResultArticle(
            id=rule.id,
            title=f"{renderer.verdict_label(rule.verdict, lang)} {rule_text(rule, lang).title}"[:200],
            description=rule_text(rule, lang).answer[:150],
            input_message_content=InputTextMessageContent(
                renderer.compact_html(rule, lang, s.bot_username)[:4096], parse_mode=ParseMode.HTML
            ),
        )
        for rule in rules[:MAX_RESULTS]
    ]
    # personal: the results are in this user's language, and Telegram would otherwise serve its cached copy of
    # them to anyone typing the same query (Indonesian users would get English answers, and the other way)
    await query.answer(results, cache_time=300, is_personal=True)
