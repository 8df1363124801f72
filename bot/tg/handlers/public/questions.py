"""Questions: a private text message, `/tanya` anywhere, or a mention or reply in a group; and the
buttons under answers (choosing among likely rules, voting).

Questions are stored (without any user id, by day) for /unanswered and /stats. Text that belongs to a
report never is: a message containing something shaped like a receipt code, and a reply to a follow-up
prompt whose session ended (a restart) are answered without being recorded."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.presentation.render import rule_text
from bot.services import MAX_QUESTION_CHARS
from bot.tg import callbacks
from bot.tg.common import (
    Press,
    answer_html,
    answer_keyboard,
    button,
    edit_html,
    label,
    pressed,
    reply_html,
    topics_keyboard,
)
from bot.tg.context import BotContext
from bot.tips import receipts

REPORT_NUMBER = re.compile(r"\bLPR-\d{4}-\d{6}\b")


async def on_private_text(update: Update, context: BotContext) -> None:
    message = update.effective_message
    replied = message.reply_to_message
    if (
        replied
        and replied.from_user
        and replied.from_user.id == context.bot.id
        and REPORT_NUMBER.search(replied.text or "")
    ):
        s = context.services  # a reply to a /status prompt whose session is gone: not a question
        await message.reply_text(s.ui("status_reply_lost", context.lang))
        return
    await answer_question(message, context, message.text)


async def on_tanya(update: Update, context: BotContext) -> None:
    s = context.services
    question = " ".join(context.args or ())
    if not question.strip():
        lang = context.lang
        await update.effective_message.reply_text(s.ui("empty_question", lang))
        return
    await answer_question(update.effective_message, context, question)


async def on_group_text(update: Update, context: BotContext) -> None:
    """In a group, only messages addressed to the bot (a mention, or a reply to it) are questions."""
    s = context.services
    message = update.effective_message
    mention = f"@{s.bot_username}".lower()
    replied_to_bot = bool(
        message.reply_to_message
        and message.reply_to_message.from_user
        and message.reply_to_message.from_user.id == context.bot.id
    )
    if mention not in message.text.lower() and not replied_to_bot:
        return
    question = re.sub(re.escape(mention), " ", message.text, flags=re.IGNORECASE).strip()
    if not question:
        lang = context.lang
        await message.reply_text(s.ui("group_hint", lang))
        return
    await answer_question(message, context, question)


async def answer_question(message: Message, context: BotContext, question: str) -> None:
    s, lang = context.services, context.lang
    question = question.strip()
    if receipts.contains_code(question):
        await message.reply_text(s.ui("receipt_in_question", lang))
        return
    if len(question) > MAX_QUESTION_CHARS:
        await message.reply_text(s.ui("too_long", lang, length=len(question), limit=MAX_QUESTION_CHARS))
        return
    result = s.engine.matcher.match(question)
    best = result.candidates[0] if result.candidates else None
    question_id = await s.questions.record_question(
        question, result.status, best.rule.id if best else None, best.score if best else 0.0, lang
    )
    renderer = s.engine.renderer
    if result.status == "answer":
        rule = result.candidates[0].rule
        await reply_html(message, answer_html(s, rule, lang), answer_keyboard(s, rule, question_id, lang))
    elif result.status == "ambiguous":
        choices = [{"title": rule_text(c.rule, lang).title} for c in result.candidates]
        buttons = [
            [button(label(f"{i}. {ch['title']}"), callbacks.OpenRule(c.rule.id, question_id))]
            for i, (c, ch) in enumerate(zip(result.candidates, choices, strict=True), start=1)
        ]
        await reply_html(
            message, renderer.render("choices.html.j2", choices=choices, lang=lang), InlineKeyboardMarkup(buttons)
        )
    else:
        html = renderer.render("no_match.html.j2", query=question[:200], lang=lang)
        await reply_html(message, html, topics_keyboard(s, lang))


@pressed(callbacks.OpenRule)
async def on_open_rule(update: Update, context: BotContext, press: Press[callbacks.OpenRule]) -> None:
    """A rule picked from the "maksud Anda" list replaces the list."""
    rule = press.s.engine.kb.rules.get(press.button.rule_id)
    if rule is None:
        await press.expired()
        return
    await press.query.answer()
    keyboard = answer_keyboard(press.s, rule, press.button.question_id, press.lang)
    await edit_html(press.message, answer_html(press.s, rule, press.lang), keyboard)


@pressed(callbacks.Vote)
async def on_vote(update: Update, context: BotContext, press: Press[callbacks.Vote]) -> None:
    vote = press.button
    rule = press.s.engine.kb.rules.get(vote.rule_id)
    if rule is None or vote.sign not in ("+", "-"):
        await press.expired()
        return
    if not await press.s.questions.record_vote(rule.id, vote.question_id or None, 1 if vote.sign == "+" else -1):
        await press.expired()  # a forged or repeated vote
        return
    await press.query.answer(press.s.ui("vote_thanks", press.lang))
    # keep a back button if there was one; the vote buttons go, so nobody votes twice by accident
    markup = press.message.reply_markup
    rest = [row for row in (markup.inline_keyboard if markup else ()) if not _is_vote_row(row)]
    await press.message.edit_reply_markup(InlineKeyboardMarkup(rest) if rest else None)


def _is_vote_row(row: tuple[InlineKeyboardButton, ...]) -> bool:
    return any((b.callback_data or "").startswith("v:") for b in row)
