"""/kuis: the scenario quiz, in a private chat (ten scenarios, each explained as it is answered, a score and
the rules to reread) or in a group (one scenario at a time, a time limit, the answer and the tally, a
leaderboard by first name at the end). The rounds are bot/quiz/game.py's; this module only talks to Telegram.

A group scenario is revealed by a JobQueue timer on the replica that asked it; a press after its time is up
reveals it too, so a round survives that replica's death or restart.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.presentation.render import rule_text
from bot.qa.kb import JUDGING
from bot.quiz.game import MAX_ROUND, MIN_ROUND, ROUND_SIZE, TO_REREAD, Question, Revealed, Round, questions
from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, label, pressed
from bot.tg.context import BotContext

log = logging.getLogger(__name__)

STOP = ("stop", "berhenti", "selesai")
MAX_NAMES = 20  # first names listed as right under a revealed scenario


def _html(s: Services, template: str, lang: str, **values: object) -> str:
    return s.engine.renderer.render(template, t=s.t(lang), lang=lang, **values)


def _citation(s: Services, question: Question) -> str:
    basis = next((b for b in question.rule.basis if b.verified), question.rule.basis[0])
    return f"{s.engine.kb.sources[basis.source].short} {basis.article}"


def _choices(s: Services, rnd: Round) -> InlineKeyboardMarkup:
    verdicts = [(v, s.ui(f"verdict_{v}", rnd.lang)) for v in JUDGING]
    return InlineKeyboardMarkup(
        [[button(text, callbacks.QuizButton("a", rnd.token, rnd.index, v)) for v, text in verdicts]]
    )


async def on_kuis(update: Update, context: BotContext) -> None:
    s, message, chat = context.services, update.effective_message, update.effective_chat
    lang, args = context.lang, [a.lower() for a in context.args or []]
    group = chat.type != "private"
    if args and args[0] in STOP:
        stopped = await s.quiz.stop(chat.id, context.user.id if context.user else 0)
        if stopped is not None:
            await message.reply_text(s.ui("quiz_stopped", lang))
            if stopped.group:
                await _leaderboard(context, chat.id, stopped)
        else:
            running = await s.quiz.current(chat.id)
            await message.reply_text(s.ui("quiz_not_starter" if running else "quiz_none_running", lang))
        return
    count = ROUND_SIZE
    if args:
        if not (args[0].isdigit() and MIN_ROUND <= int(args[0]) <= MAX_ROUND) or len(args) > 1:
            await message.reply_text(s.ui("quiz_usage", lang, min=MIN_ROUND, max=MAX_ROUND))
            return
        count = int(args[0])
    pool = questions(s.engine.kb)
    if group and context.user is not None:
        rnd = await s.quiz.start(chat.id, pool, lang, count, starter=context.user.id, seconds=s.settings.quiz_seconds)
    else:
        rnd = await s.quiz.start(chat.id, pool, lang, count)
    if rnd is None:
        running = await s.quiz.current(chat.id) if group else None
        if running is not None:
            await message.reply_text(s.ui("quiz_running", lang, n=running.index + 1, total=len(running.items)))
        else:
            await message.reply_text(s.ui("quiz_empty", lang))
        return
    intro = "quiz_intro_group" if rnd.group else "quiz_intro_private"
    await message.reply_text(s.ui(intro, lang, total=len(rnd.items), seconds=int(rnd.seconds)))
    await _ask(context, chat.id, rnd, pool)


async def _ask(context: BotContext, chat_id: int, rnd: Round, pool: dict[str, Question]) -> None:
    """Send the round's current scenario; in a group, start its timer."""
    s = context.services
    question = pool.get(rnd.current or "")
    if question is None:
        await s.quiz.stop(chat_id)
        await context.bot.send_message(chat_id, s.ui("quiz_changed", rnd.lang))
        return
    html = _html(s, "quiz/question.html.j2", rnd.lang, n=rnd.index + 1, total=len(rnd.items),
                 text=question.text(rnd.lang), seconds=int(rnd.seconds) if rnd.group else 0)  # fmt: skip
    sent = await context.bot.send_message(chat_id, html, reply_markup=_choices(s, rnd))
    if rnd.group:
        await s.quiz.asked(chat_id, rnd, sent.message_id)
        context.job_queue.run_once(
            _on_time_up, when=rnd.seconds, data=(chat_id, rnd.token, rnd.index), name=f"quiz-{rnd.token}"
        )


async def _on_time_up(context: BotContext) -> None:
    chat_id, token, index = context.job.data
    await _reveal(context, chat_id, token, index)


@pressed(callbacks.QuizButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.QuizButton]) -> None:
    s, b, chat_id = press.s, press.button, press.message.chat.id
    pool = questions(s.engine.kb)
    if b.action == "n":
        await press.query.answer()
        rnd = await s.quiz.start(chat_id, pool, press.lang) if press.message.chat.type == "private" else None
        if rnd is not None:
            await press.message.reply_text(s.ui("quiz_intro_private", rnd.lang, total=len(rnd.items), seconds=0))
            await _ask(context, chat_id, rnd, pool)
        return
    if b.action != "a":
        await press.expired()
        return
    if press.message.chat.type != "private":
        await _vote(context, press, pool)
        return
    answered = await s.quiz.answer(chat_id, b.token, b.index, b.choice, pool)
    if answered is None:
        await press.query.answer(s.ui("quiz_closed", press.lang))
        return
    await press.query.answer()
    rnd, question = answered.round, pool[answered.question]
    html = _html(s, "quiz/answered.html.j2", rnd.lang, n=b.index + 1, total=len(rnd.items), group=False,
                 text=question.text(rnd.lang), answer=question.answer, right=answered.right,
                 why=question.why(rnd.lang), citation=_citation(s, question), rule_id=question.rule.id)  # fmt: skip
    await _edit(context, press.message, html)
    if rnd.finished:
        await s.quiz.stop(chat_id)
        await _score(context, chat_id, rnd, pool)
    else:
        await _ask(context, chat_id, rnd, pool)


async def _vote(context: BotContext, press: Press[callbacks.QuizButton], pool: dict[str, Question]) -> None:
    s, b, user = press.s, press.button, press.query.from_user
    chat_id = press.message.chat.id
    outcome = await s.quiz.vote(chat_id, b.token, b.index, user.id, user.first_name or "?", b.choice)
    if outcome == "counted":
        await press.query.answer(s.ui("quiz_counted", press.lang, verdict=s.ui(f"verdict_{b.choice}", press.lang)))
    elif outcome == "again":
        await press.query.answer(s.ui("quiz_already", press.lang))
    else:
        await press.query.answer(s.ui("quiz_closed", press.lang))
        if outcome == "late":  # its timer's replica died or restarted: reveal it now
            await _reveal(context, chat_id, b.token, b.index)


async def _reveal(context: BotContext, chat_id: int, token: str, index: int) -> None:
    """Close a group scenario (once, whoever asks), then ask the next or end the round."""
    s = context.services
    pool = questions(s.engine.kb)
    revealed = await s.quiz.reveal(chat_id, token, index, pool)
    if revealed is None:
        return
    rnd = revealed.round
    try:
        if (question := pool.get(revealed.question)) is not None:
            await _show_reveal(context, chat_id, revealed, question)
        if rnd.finished:
            await s.quiz.stop(chat_id)
            await _leaderboard(context, chat_id, rnd)
        else:
            await _ask(context, chat_id, rnd, pool)
    except TelegramError as exc:  # removed from the group, say: the round ends rather than retrying forever
        log.warning("group quiz ended: Telegram refused a message (%s)", type(exc).__name__)
        await s.quiz.stop(chat_id)


async def _show_reveal(context: BotContext, chat_id: int, revealed: Revealed, question: Question) -> None:
    s, rnd = context.services, revealed.round
    tally = " · ".join(f"{s.ui(f'verdict_{v}', rnd.lang)} {revealed.tally[v]}" for v in JUDGING if revealed.tally[v])
    names = ", ".join(revealed.right[:MAX_NAMES]) + (
        f" +{len(revealed.right) - MAX_NAMES}" if len(revealed.right) > MAX_NAMES else ""
    )
    html = _html(s, "quiz/answered.html.j2", rnd.lang, n=rnd.index, total=len(rnd.items), group=True,
                 text=question.text(rnd.lang), answer=question.answer, why=question.why(rnd.lang),
                 citation=_citation(s, question), rule_id=question.rule.id, tally=tally, right_names=names,
                 right=False)  # fmt: skip
    if revealed.message_id:
        try:
            await context.bot.edit_message_text(html, chat_id, revealed.message_id, reply_markup=None)
            return
        except BadRequest:  # the question was deleted: say it below instead
            pass
    await context.bot.send_message(chat_id, html)


async def _edit(context: BotContext, message: Message, html: str) -> None:
    try:
        await message.edit_text(html, reply_markup=None)
    except BadRequest:
        await context.bot.send_message(message.chat.id, html)


async def _score(context: BotContext, chat_id: int, rnd: Round, pool: dict[str, Question]) -> None:
    s, lang = context.services, rnd.lang
    rules = list(dict.fromkeys(pool[q].rule for q in rnd.missed if q in pool))[:TO_REREAD]
    reread = [{"verdict": r.verdict, "title": rule_text(r, lang).title} for r in rules]
    html = _html(s, "quiz/end.html.j2", lang, group=False, score=rnd.score, total=len(rnd.items), reread=reread)
    rows = [[button(label(rule_text(r, lang).title), callbacks.OpenRule(r.id, 0, lang))] for r in rules]
    rows.append([button(s.ui("quiz_again", lang), callbacks.QuizButton("n"))])
    await context.bot.send_message(chat_id, html, reply_markup=InlineKeyboardMarkup(rows))


async def _leaderboard(context: BotContext, chat_id: int, rnd: Round) -> None:
    s = context.services
    html = _html(s, "quiz/end.html.j2", rnd.lang, group=True, total=rnd.index, board=rnd.leaderboard()[:10])
    await context.bot.send_message(chat_id, html)
