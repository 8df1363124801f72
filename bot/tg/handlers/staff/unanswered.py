"""/unanswered for editors: questions nobody could answer, grouped, with buttons to teach one to a rule
(the matcher learns it at once) or to dismiss it. Buttons are `U:<action>:<question_id>:<arg>`:
  U:a:<q>:<rule>   teach the group to a rule     U:x:<q>     dismiss the group
  U:t:<q>          pick a topic, for any rule     U:p:<q>:<topic>  pick a rule of that topic
  U:l              the list again
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, edit_html, grid, label, pressed, reply_html
from bot.tg.context import BotContext


async def _listing(s: Services) -> tuple[str, InlineKeyboardMarkup | None]:
    groups = await s.unanswered.groups(s.engine)
    html = s.engine.renderer.render("admin/unanswered.html.j2", groups=groups)
    rows = []
    for n, group in enumerate(groups, start=1):
        if group.suggestions:
            rows.append([button(f"{n}. ➕ {rid}", callbacks.UnansweredButton("a", group.id, rid))
                         for rid in group.suggestions])  # fmt: skip
        other = s.ui("unanswered_other", "id", n=n)
        rows.append([
            button(other, callbacks.UnansweredButton("t", group.id)),
            button(f"{n}. 🗑", callbacks.UnansweredButton("x", group.id)),
        ])  # fmt: skip
    return html, InlineKeyboardMarkup(rows) if rows else None


async def on_unanswered(update: Update, context: BotContext) -> None:
    html, keyboard = await _listing(context.services)
    await reply_html(update.effective_message, html, keyboard)


@pressed(callbacks.UnansweredButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.UnansweredButton]) -> None:
    s, query = press.s, press.query
    action, question_id, arg = press.button.action, press.button.question_id, press.button.arg
    editor = update.effective_user.id
    if action in ("t", "p"):
        await _pick(press, question_id, arg if action == "p" else None)
        return
    group = None
    if action == "a":
        group = await s.unanswered.attach(s.engine, question_id, arg, editor)
        if group is not None:
            await s.admin.audit(editor, "unanswered.attach", arg, None, {"questions": len(group.ids)})
    elif action == "x":
        group = await s.unanswered.dismiss(s.engine, question_id)
        if group is not None:
            await s.admin.audit(editor, "unanswered.dismiss", None, None, {"questions": len(group.ids)})
    if action != "l":
        await query.answer(s.ui("unanswered_done" if group else "expired", "id"), show_alert=group is None)
    else:
        await query.answer()
    html, keyboard = await _listing(s)
    await edit_html(press.message, html, keyboard)


async def _pick(press: Press, question_id: int, topic_id: str | None) -> None:
    """Any rule, not only the matcher's guesses: first its topic, then the rule."""
    s = press.s
    question = await s.questions.get_question(question_id)
    kb = s.engine.kb
    if question is None or (topic_id is not None and topic_id not in kb.topics):
        await press.expired()
        return
    await press.query.answer()
    if topic_id is None:
        text = s.ui("unanswered_pick_topic", "id", text=question.query[:200])
        buttons = [button(t.title, callbacks.UnansweredButton("p", question_id, t.id))
                   for t in kb.topics.values()]  # fmt: skip
        rows = grid(buttons)
        back = callbacks.UnansweredButton("l", 0).pack()
    else:
        text = s.ui("unanswered_pick_rule", "id", text=question.query[:200])
        rows = [[button(label(r.title), callbacks.UnansweredButton("a", question_id, r.id))]
                for r in kb.rules_in(topic_id)]  # fmt: skip
        back = callbacks.UnansweredButton("t", question_id).pack()
    rows.append([InlineKeyboardButton(s.ui("back", "id"), callback_data=back)])
    await edit_html(press.message, text, InlineKeyboardMarkup(rows))
