"""Helpers the handlers share: sending (split) HTML replies and building keyboards.

The Application's defaults (bot/tg/app.py) make every message Telegram HTML, without link previews.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from markupsafe import Markup
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.presentation.chunks import split_html
from bot.presentation.messages import LANGUAGES
from bot.presentation.render import rule_text
from bot.presentation.stages import stage_note
from bot.qa.kb import Rule
from bot.services import Services
from bot.tg import callbacks
from bot.tg.context import BotContext
from bot.tips.service import today_wib

B = TypeVar("B", bound=callbacks.Button)


@dataclass(frozen=True)
class Press(Generic[B]):
    """A button press on a message the bot can still edit, with its typed button."""

    s: Services
    query: CallbackQuery
    lang: str
    button: B
    message: Message

    async def expired(self) -> None:
        await self.query.answer(self.s.ui("expired", self.lang), show_alert=True)


async def read_press(update: Update, context: BotContext, kind: type[B]) -> Press[B] | None:
    """The press as a `kind` button; for an old, foreign or forged one the user is told it expired, and None
    returned."""
    s = context.services
    query = update.callback_query
    button = kind.unpack(query.data)
    if button is None or not isinstance(query.message, Message):
        await query.answer(s.ui("expired", context.lang), show_alert=True)
        return None
    lang = getattr(button, "lang", "")  # the language of the reply the button is under, where it says
    return Press(s, query, lang if lang in LANGUAGES else context.lang, button, query.message)


PressHandler = Callable[[Update, BotContext, Press[B]], Awaitable[Any]]


def pressed(kind: type[B], otherwise: Any = None) -> Callable[[PressHandler[B]], Callable[..., Awaitable[Any]]]:
    """A button handler that gets its press already read as a `kind` button (`read_press`). An old, foreign
    or forged press is answered there, and `otherwise` returned (a conversation's state, say)."""

    def wrap(handler: PressHandler[B]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(handler)
        async def read(update: Update, context: BotContext) -> Any:
            press = await read_press(update, context, kind)
            return otherwise if press is None else await handler(update, context, press)

        return read

    return wrap


async def reply_html(message: Message, html: str, keyboard: InlineKeyboardMarkup | None = None) -> Message:
    """Reply in as many messages as the limit needs; the keyboard goes under the last one."""
    chunks = split_html(html)
    sent = message
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await message.reply_text(chunk, reply_markup=keyboard if last else None)
    return sent


async def edit_html(message: Message, html: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Replace a message's text; what does not fit follows as new messages."""
    chunks = split_html(html)
    first, rest = chunks[0], chunks[1:]
    await message.edit_text(first, reply_markup=None if rest else keyboard)
    for i, chunk in enumerate(rest):
        await message.reply_text(chunk, reply_markup=keyboard if i == len(rest) - 1 else None)


def answer_keyboard(
    s: Services, rule: Rule, question_id: int, lang: str, back: str | None = None
) -> InlineKeyboardMarkup:
    """Under an answer: its details (basis, sanction, related rules), reporting where it judges someone's
    conduct, the votes, and for an answer to a question (not a rule opened from a list) "Bukan ini?"."""
    details = [button(s.ui("detail_basis", lang), callbacks.Detail("b", rule.id, lang))]
    if rule.sanction:
        details.append(button(s.ui("detail_sanction", lang), callbacks.Detail("s", rule.id, lang)))
    if any(rid in s.engine.kb.rules for rid in rule.related):
        details.append(button(s.ui("detail_related", lang), callbacks.Detail("r", rule.id, lang)))
    rows = grid(details, width=3)
    if reportable(rule) and (link := report_link(s)):
        rows.append([InlineKeyboardButton(s.ui("detail_report", lang), url=link)])
    rows.append(
        [
            button(s.ui("vote_up", lang), callbacks.Vote.of(True, rule.id, question_id, lang)),
            button(s.ui("vote_down", lang), callbacks.Vote.of(False, rule.id, question_id, lang)),
        ]
    )
    if question_id:
        rows.append([button(s.ui("not_this", lang), callbacks.Others(rule.id, question_id, lang))])
    if back:
        rows.append([InlineKeyboardButton(s.ui("back", lang), callback_data=back)])
    return InlineKeyboardMarkup(rows)


def answer_html(s: Services, rule: Rule, lang: str) -> str:
    """The answer's first screen (the card); the rest is behind the buttons of `answer_keyboard`. During an
    election, a rule that judges support for a bakal calon apart from a calon says which applies today."""
    footer = s.ui("vote_prompt", lang)
    if note := stage_note(s.ui, s.calendar, rule, lang, today_wib()):
        footer = f"{note}\n\n{footer}"
    return s.engine.renderer.card_html(rule, lang, footer=Markup(footer))


def reportable(rule: Rule) -> bool:
    """Rules on conduct someone may have witnessed (a prohibited or conditional act), and the reporting rules,
    offer the anonymous report form."""
    return rule.topic == "pelaporan" or rule.verdict in ("dilarang", "bersyarat")


BUTTON_LABEL = 60  # characters a button shows before a phone cuts it anyway


def label(text: str, limit: int = BUTTON_LABEL) -> str:
    """A button's text, cut at a word with an ellipsis rather than mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,.;:-") + "…"


def button(text: str, data: callbacks.Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data.pack())


def grid(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    """Buttons in rows of `width`: the one place a keyboard is laid out."""
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def topics_keyboard(s: Services, lang: str) -> InlineKeyboardMarkup:
    buttons = [
        button(t.en if lang == "en" else t.title, callbacks.TopicPage(t.id, 0)) for t in s.engine.kb.topics.values()
    ]
    return InlineKeyboardMarkup(grid(buttons))


def report_link(s: Services) -> str | None:
    """The deep link that opens /lapor in the user's private chat with the bot (None before the bot knows its
    own username)."""
    return f"https://t.me/{s.bot_username}?start=lapor" if s.bot_username else None


def smalltalk_keyboard(s: Services, lang: str, rule_ids: tuple[str, ...] = ()) -> InlineKeyboardMarkup:
    """Under a small talk reply: how to ask, the topics, reporting anonymously, and the rules it points to
    (those still served)."""
    rows = [
        [
            button(s.ui("smalltalk_ask", lang), callbacks.Hint("ask", lang)),
            button(s.ui("topics", lang), callbacks.Topics()),
        ]
    ]
    if link := report_link(s):
        rows.append([InlineKeyboardButton(s.ui("smalltalk_report", lang), url=link)])
    for rule_id in rule_ids:
        if (rule := s.engine.kb.rules.get(rule_id)) is not None:
            rows.append([button(label(rule_text(rule, lang).title), callbacks.OpenRule(rule.id, 0, lang))])
    return InlineKeyboardMarkup(rows)
