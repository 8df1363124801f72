"""/unanswered for editors: questions nobody could answer, grouped and paged, with buttons to teach one to a rule
(the matcher learns it at once) or to dismiss it. Groups are numbered by their oldest question's id, so a number
stays the same after every action and on every page. Buttons are `U:<action>:<question_id>:<arg>`:
  U:c:<q>:<rule>   show what would be taught, to confirm    U:a:<q>:<rule>   teach it (as asked, cleaned)
  U:e:<q>:<rule>   ask for a tidied phrasing (a reply)      U:x:<q>          dismiss the group
  U:t:<q>          pick a topic, for any rule               U:p:<q>:<topic>  pick a rule of that topic
  U:l:<page>       the list (here the second field is the page)
"""

from __future__ import annotations

import re

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot.editing.unanswered import QuestionGroup, find
from bot.services import Services
from bot.tg import callbacks
from bot.tg.authorisation import authorised
from bot.tg.common import Press, button, edit_html, grid, label, pressed, reply_html
from bot.tg.context import BotContext

PAGE = 5  # groups per message: up to three rows of buttons each
_REWRITE = re.compile(r"\(#(\d+) → ([a-z0-9-]+)\)")  # in the prompt a tidied phrasing replies to


def _title(s: Services, rule_id: str) -> str:
    rule = s.engine.kb.rules.get(rule_id)
    return rule.title if rule else rule_id


async def _found(s: Services, question_id: int) -> tuple[int, QuestionGroup] | None:
    """The page and group of `question_id`'s open group: grouping is the costly part, so done once per press."""
    found = find(await s.unanswered.groups(s.engine), question_id)
    return (found[0] // PAGE, found[1]) if found else None


async def _listing(s: Services, page: int = 0) -> tuple[str, InlineKeyboardMarkup | None]:
    groups = await s.unanswered.groups(s.engine)
    pages = max(1, -(-len(groups) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = groups[page * PAGE : (page + 1) * PAGE]
    titles = {rid: _title(s, rid) for g in shown for rid in g.suggestions}
    html = s.engine.renderer.render(
        "admin/unanswered.html.j2", groups=shown, titles=titles, total=len(groups),
        questions=sum(g.count for g in groups), page=page + 1, pages=pages,
    )  # fmt: skip
    rows = []
    for group in shown:
        n = group.number
        rows += [[button(label(f"#{n} ➕ {titles[rid]}"), callbacks.UnansweredButton("c", group.id, rid))]
                 for rid in group.suggestions]  # fmt: skip
        rows.append([
            button(s.ui("unanswered_other", "id", n=n), callbacks.UnansweredButton("t", group.id)),
            button(f"#{n} 🗑", callbacks.UnansweredButton("x", group.id)),
        ])  # fmt: skip
    nav = []
    if page > 0:
        nav.append(button("◀️", callbacks.UnansweredButton("l", page - 1)))
    if page + 1 < pages:
        nav.append(button("▶️", callbacks.UnansweredButton("l", page + 1)))
    if nav:
        rows.append(nav)
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
    if action in ("c", "e"):
        await _confirm(press, question_id, arg, rewrite=action == "e")
        return
    if action == "l":
        await query.answer()
        html, keyboard = await _listing(s, question_id)
        await edit_html(press.message, html, keyboard)
        return
    found = await _found(s, question_id)
    page, group = found if found else (0, None)
    done = False
    if group is not None and action == "a":
        done = await s.unanswered.attach(s.engine, group, arg, editor)
        if done:
            await s.admin.audit(editor, "unanswered.attach", arg, None, {"questions": len(group.ids)})
    elif group is not None and action == "x":
        await s.unanswered.dismiss(group)
        await s.admin.audit(editor, "unanswered.dismiss", None, None, {"questions": len(group.ids)})
        done = True
    await query.answer(s.ui("unanswered_done" if done else "expired", "id"), show_alert=not done)
    html, keyboard = await _listing(s, page)
    await edit_html(press.message, html, keyboard)


async def _confirm(press: Press, question_id: int, rule_id: str, rewrite: bool) -> None:
    """What would be taught, before it is: save it as asked, or reply with a tidier phrasing first."""
    s = press.s
    found = await _found(s, question_id)
    if found is None or rule_id not in s.engine.kb.rules:
        await press.expired()
        return
    page, group = found
    await press.query.answer()
    values = {"title": _title(s, rule_id), "text": group.text[:300], "count": group.count}
    if rewrite:  # a new message the editor replies to; the group and rule ride in its text, not in memory
        text = s.ui("unanswered_rewrite", "id", number=group.number, rule_id=rule_id, **values)
        await press.message.reply_html(text, reply_markup=ForceReply(input_field_placeholder=group.text[:64]))
        return
    rows = [
        [button(s.ui("unanswered_save", "id"), callbacks.UnansweredButton("a", question_id, rule_id)),
         button(s.ui("unanswered_tidy", "id"), callbacks.UnansweredButton("e", question_id, rule_id))],
        [button(s.ui("back", "id"), callbacks.UnansweredButton("l", page))],
    ]  # fmt: skip
    await edit_html(press.message, s.ui("unanswered_confirm", "id", **values), InlineKeyboardMarkup(rows))


class _RewriteReply(filters.MessageFilter):
    """A reply to the bot's "tidy this phrasing" prompt."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(replied and replied.from_user and replied.from_user.is_bot and _REWRITE.search(replied.text or ""))


REWRITE_REPLY = _RewriteReply()


async def on_rewrite(update: Update, context: BotContext) -> None:
    """The tidied phrasing: taught at once (replying was the confirmation), or refused in one line."""
    if not await authorised(update, context, "unanswered"):
        return
    s, message = context.services, update.effective_message
    found = _REWRITE.search(message.reply_to_message.text or "")
    question_id, rule_id = int(found.group(1)), found.group(2)
    found = await _found(s, question_id)
    group = found[1] if found else None
    if group is None or not await s.unanswered.attach(s.engine, group, rule_id, update.effective_user.id,
                                                      message.text or ""):  # fmt: skip
        await message.reply_html(s.ui("unanswered_rewrite_refused", "id"))
        return
    await s.admin.audit(update.effective_user.id, "unanswered.attach", rule_id, None, {"questions": len(group.ids)})
    rows = [[button(s.ui("unanswered_list", "id"), callbacks.UnansweredButton("l", 0))]]
    await message.reply_html(s.ui("unanswered_taught", "id", title=_title(s, rule_id)),
                             reply_markup=InlineKeyboardMarkup(rows))  # fmt: skip


async def _pick(press: Press, question_id: int, topic_id: str | None) -> None:
    """Any rule, not only the matcher's guesses: first its topic, then the rule (then the confirmation)."""
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
        found = await _found(s, question_id)
        back = callbacks.UnansweredButton("l", found[0] if found else 0).pack()
    else:
        text = s.ui("unanswered_pick_rule", "id", text=question.query[:200])
        rows = [[button(label(r.title), callbacks.UnansweredButton("c", question_id, r.id))]
                for r in kb.rules_in(topic_id)]  # fmt: skip
        back = callbacks.UnansweredButton("t", question_id).pack()
    rows.append([InlineKeyboardButton(s.ui("back", "id"), callback_data=back)])
    await edit_html(press.message, text, InlineKeyboardMarkup(rows))
