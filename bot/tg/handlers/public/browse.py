"""Browsing the knowledge base: /topik (topics, paged rule lists, a back button), /aturan, /cari."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.presentation.render import rule_text
from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import (
    Press,
    answer_html,
    answer_keyboard,
    button,
    edit_html,
    grid,
    label,
    pressed,
    reply_html,
    topics_keyboard,
)
from bot.tg.context import BotContext

PAGE_SIZE = 6


async def on_topik(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    html = s.engine.renderer.render("topics.html.j2", lang=lang)
    await reply_html(update.effective_message, html, topics_keyboard(s, lang))


async def on_aturan(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    rule_id = (context.args or [""])[0].strip().lower()
    if not rule_id:
        example = next(iter(s.engine.kb.rules))
        await update.effective_message.reply_text(s.ui("aturan_usage", lang, example=example))
        return
    await show_rule(update.effective_message, s, rule_id, lang)


async def show_rule(message: Message, s: Services, rule_id: str, lang: str) -> None:
    rule = s.engine.kb.rules.get(rule_id)
    if rule is None:
        await message.reply_text(s.ui("aturan_unknown", lang, rule_id=rule_id[:64]))
        return
    # opening a rule is browsing, not a question: it is not logged as one (a vote on it has no query)
    await reply_html(message, answer_html(s, rule, lang), answer_keyboard(s, rule, 0, lang))


async def on_cari(update: Update, context: BotContext) -> None:
    s = context.services
    lang = context.lang
    words = " ".join(context.args or ()).strip()
    if not words:
        await update.effective_message.reply_text(s.ui("cari_usage", lang))
        return
    found = s.engine.matcher.search(words, limit=8)
    results = [
        {"title": rule_text(c.rule, lang).title, "verdict_label": s.engine.renderer.verdict_label(c.rule.verdict, lang)}
        for c in found
    ]
    html = s.engine.renderer.render("search.html.j2", query=words[:100], results=results, lang=lang)
    buttons = [
        [button(label(f"{i}. {r['title']}"), callbacks.OpenRule(c.rule.id))]
        for i, (c, r) in enumerate(zip(found, results, strict=True), start=1)
    ]
    await reply_html(update.effective_message, html, InlineKeyboardMarkup(buttons) if buttons else None)


@pressed(callbacks.Topics)
async def on_topics_button(update: Update, context: BotContext, press: Press[callbacks.Topics]) -> None:
    await press.query.answer()
    html = press.s.engine.renderer.render("topics.html.j2", lang=press.lang)
    await edit_html(press.message, html, topics_keyboard(press.s, press.lang))


@pressed(callbacks.TopicPage)
async def on_topic_page(update: Update, context: BotContext, press: Press[callbacks.TopicPage]) -> None:
    s, lang = press.s, press.lang
    topic = s.engine.kb.topics.get(press.button.topic_id)
    if topic is None:
        await press.expired()
        return
    await press.query.answer()
    rules = s.engine.kb.rules_in(topic.id)
    pages = max(1, -(-len(rules) // PAGE_SIZE))
    page = min(press.button.page, pages - 1)
    shown = rules[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    # the titles in full in the message (a button cuts them), numbered buttons to open them
    start = page * PAGE_SIZE + 1
    rows = grid(
        [
            InlineKeyboardButton(str(n), callback_data=callbacks.OpenFromTopic(r.id, topic.id, page).pack())
            for n, r in enumerate(shown, start=start)
        ],
        width=PAGE_SIZE,
    )
    listed = [
        {"n": n, "mark": s.engine.renderer.verdict_label(r.verdict, lang).split()[0], "title": rule_text(r, lang).title}
        for n, r in enumerate(shown, start=start)
    ]
    nav = []
    if page > 0:
        nav.append(button(s.ui("prev", lang), callbacks.TopicPage(topic.id, page - 1)))
    if page < pages - 1:
        nav.append(button(s.ui("next", lang), callbacks.TopicPage(topic.id, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button(s.ui("back", lang), callbacks.Topics())])
    html = s.engine.renderer.render(
        "topic.html.j2",
        topic_title=topic.en if lang == "en" else topic.title,
        rules=listed,
        first=page * PAGE_SIZE + 1,
        last=page * PAGE_SIZE + len(shown),
        total=len(rules),
        lang=lang,
    )
    await edit_html(press.message, html, InlineKeyboardMarkup(rows))


@pressed(callbacks.OpenFromTopic)
async def on_open_rule_from_topic(update: Update, context: BotContext, press: Press[callbacks.OpenFromTopic]) -> None:
    s, lang = press.s, press.lang
    rule = s.engine.kb.rules.get(press.button.rule_id)
    if rule is None:
        await press.expired()
        return
    await press.query.answer()
    back = callbacks.TopicPage(press.button.topic_id, press.button.page).pack()
    await edit_html(press.message, answer_html(s, rule, lang), answer_keyboard(s, rule, 0, lang, back))
