"""Questions: a private text message, `/tanya` anywhere, or a mention or reply in a group; and the
buttons under answers (choosing among likely rules, voting).

A question written in English is answered in English whatever the user's language (bot/qa/language.py), for
that reply only. Small talk and questions about Netra itself ("halo min", "makasih 🙏", "bisa lapor tanpa
nama?", bot/qa/smalltalk.py) get a one-line reply with buttons instead, and are not recorded.

Questions are stored (without any user id, by day) for /unanswered and /stats. Text that belongs to a
report never is: a message containing something shaped like a receipt code, and a reply to a follow-up
prompt whose session ended (a restart) are answered without being recorded."""

from __future__ import annotations

import asyncio
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.presentation.render import rule_text
from bot.qa import language, smalltalk
from bot.qa.matcher import MatchResult
from bot.services import MAX_QUESTION_CHARS, Services
from bot.tg import callbacks
from bot.tg.common import (
    Press,
    answer_html,
    answer_keyboard,
    button,
    label,
    pressed,
    reply_html,
    smalltalk_keyboard,
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
    s = context.services
    question = question.strip()
    lang = language.reply_language(question, context.lang)  # this reply only: /bahasa stays as chosen
    if receipts.contains_code(question):
        await message.reply_text(s.ui("receipt_in_question", lang))
        return
    if len(question) > MAX_QUESTION_CHARS:
        await message.reply_text(s.ui("too_long", lang, length=len(question), limit=MAX_QUESTION_CHARS))
        return
    if (talk := smalltalk.for_folder(s.settings.knowledge_dir).detect(question)) is not None:
        text = s.ui(f"smalltalk_{talk.name}", lang, days=s.settings.question_retention_days)
        await reply_html(message, text, smalltalk_keyboard(s, lang, talk.rules))
        return
    chat_id = message.chat.id
    # matching a long story costs tens of milliseconds: off the event loop, so other chats are not held up
    asked = await asyncio.to_thread(s.engine.ask, question, await s.followups.previous(chat_id))
    result = asked.result
    best = result.candidates[0] if result.candidates else None
    question_id = 0
    if not asked.navigation:  # "bukan itu" alone asks nothing new
        question_id = await s.questions.record_question(
            asked.query, result.status, best.rule.id if best else None, best.score if best else 0.0, lang
        )
        await s.followups.remember(chat_id, asked.follows or asked.query, tuple(c.rule.id for c in result.candidates))
    if result.status == "answer":
        rule = result.candidates[0].rule
        await reply_html(message, answer_html(s, rule, lang), answer_keyboard(s, rule, question_id, lang))
    elif result.status == "ambiguous":
        template = "story.html.j2" if asked.story else "choices.html.j2"
        await reply_choices(message, s, result, question_id, lang, template)
    else:
        html = s.engine.renderer.render("no_match.html.j2", query=label(question, 200), lang=lang)
        await reply_html(message, html, topics_keyboard(s, lang))


async def reply_choices(
    message: Message, s: Services, result: MatchResult, question_id: int, lang: str, template: str
) -> None:
    """The rules to choose from, one button each: a "maksud Anda" list, a story's rules, "Bukan ini?"."""
    choices = [{"title": rule_text(c.rule, lang).title} for c in result.candidates]
    buttons = [
        [button(label(f"{i}. {choice['title']}"), callbacks.OpenRule(c.rule.id, question_id, lang))]
        for i, (c, choice) in enumerate(zip(result.candidates, choices, strict=True), start=1)
    ]
    html = s.engine.renderer.render(template, choices=choices, lang=lang)
    await reply_html(message, html, InlineKeyboardMarkup(buttons))


async def offer_others(message: Message, s: Services, rule_id: str, question_id: int, lang: str) -> bool:
    """Below an answer: the question's next candidates without `rule_id`. False if the question is gone."""
    record = await s.questions.get_question(question_id) if question_id else None
    if record is None or record.status != "answer" or record.rule_id != rule_id:
        return False  # only for the answer this button was under: not a way to list others' questions
    others = await asyncio.to_thread(s.engine.others, record.query, (rule_id,))
    if others.status == "none":
        await message.reply_text(s.ui("others_none", lang))
    else:  # the rule opened from here is the user's pick for their question (bot/storage/questions.py)
        await reply_choices(message, s, others, question_id, lang, "others.html.j2")
    return True


@pressed(callbacks.Others)
async def on_others(update: Update, context: BotContext, press: Press[callbacks.Others]) -> None:
    """ "Bukan ini?": the answer stays; the other candidates come below it."""
    if not await offer_others(press.message, press.s, press.button.rule_id, press.button.question_id, press.lang):
        await press.expired()
        return
    await press.query.answer()


@pressed(callbacks.OpenRule)
async def on_open_rule(update: Update, context: BotContext, press: Press[callbacks.OpenRule]) -> None:
    """A rule picked from a list ("maksud Anda", a story's rules, "Bukan ini?", related rules, a search) opens
    below it: the list stays, so the way back is one scroll up and the next choice one tap away."""
    rule = press.s.engine.kb.rules.get(press.button.rule_id)
    if rule is None:
        await press.expired()
        return
    await press.query.answer()
    if press.button.question_id:  # the rule they picked for their question: a suggestion for /unanswered
        await press.s.questions.record_pick(press.button.question_id, rule.id)
    keyboard = answer_keyboard(press.s, rule, press.button.question_id, press.lang)
    await reply_html(press.message, answer_html(press.s, rule, press.lang), keyboard)


HINTS = ("ask",)  # a `hint_<topic>` message each


@pressed(callbacks.Hint)
async def on_hint(update: Update, context: BotContext, press: Press[callbacks.Hint]) -> None:
    """A hint as an alert, in the language of the reply it is under; the message stays."""
    if press.button.topic not in HINTS:
        await press.expired()
        return
    await press.query.answer(press.s.ui(f"hint_{press.button.topic}", press.lang), show_alert=True)


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
    if vote.sign == "-" and vote.question_id:  # not what was asked: the other candidates, not a dead end
        await offer_others(press.message, press.s, rule.id, vote.question_id, press.lang)


def _is_vote_row(row: tuple[InlineKeyboardButton, ...]) -> bool:
    return any(callbacks.Vote.pattern().match(b.callback_data or "") for b in row)
