"""/rules for editors: rules by topic, one rule with a button per field, its history and rollback.

Editing itself is a conversation (bot/tg/handlers/staff/rule_edit.py). Buttons are `R:<action>:<a>:<b>`:
  R:T          the topics          R:t:<topic>       one topic's rules
  R:o:<rule>   one rule            R:p:<rule>        its answer as users see it
  R:h:<rule>   its history
Every command and press checks the editor role again; changes are audited where they are saved.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.editing.fields import FIELDS
from bot.editing.rules import changed_keys
from bot.services import Services
from bot.tg import callbacks
from bot.tg.common import Press, button, edit_html, grid, label, pressed, reply_html
from bot.tg.context import BotContext

HISTORY_SHOWN = 30


def _button(s: Services, key: str, data: callbacks.Button, **fmt: object) -> InlineKeyboardButton:
    return button(s.ui(key, "id", **fmt), data)


def topics_view(s: Services) -> tuple[str, InlineKeyboardMarkup]:
    kb = s.engine.kb
    html = s.engine.renderer.render("admin/rules.html.j2", active=len(kb.rules), retired=len(kb.retired))
    counts = {t: 0 for t in kb.topics}
    for rule in [*kb.rules.values(), *kb.retired.values()]:
        counts[rule.topic] = counts.get(rule.topic, 0) + 1
    buttons = [button(f"{t.title} ({counts[t.id]})", callbacks.RulesButton("t", t.id)) for t in kb.topics.values()]
    return html, InlineKeyboardMarkup(grid(buttons))


def topic_view(s: Services, topic_id: str) -> tuple[str, InlineKeyboardMarkup] | None:
    kb = s.engine.kb
    topic = kb.topics.get(topic_id)
    if topic is None:
        return None
    rules = [*kb.rules_in(topic_id), *(r for r in kb.retired.values() if r.topic == topic_id)]
    html = s.engine.renderer.render("admin/rule_topic.html.j2", topic=topic, rules=rules)
    rows = [
        [
            InlineKeyboardButton(
                label(f"{n}. {'🗄 ' if r.retired else ''}{r.title}"),
                callback_data=callbacks.RulesButton("o", r.id).pack(),
            )
        ]
        for n, r in enumerate(rules, start=1)
    ]
    rows.append([
        _button(s, "rules_new", callbacks.RulesButton("a", topic_id)),
        _button(s, "rules_back_topics", callbacks.RulesButton("T")),
    ])  # fmt: skip
    return html, InlineKeyboardMarkup(rows)


async def rule_view(s: Services, rule_id: str) -> tuple[str, InlineKeyboardMarkup] | None:
    kb = s.engine.kb
    rule, rev = kb.any_rule(rule_id), await s.rules.current(rule_id)
    if rule is None or rev is None:
        return None
    html = s.engine.renderer.render(
        "admin/rule.html.j2", rule=rule, rev=rev, topic=kb.topics[rule.topic], sources=kb.sources
    )
    edits = [
        _button(s, "rules_edit", callbacks.RulesButton("e", rule.id, key), label=s.ui(f"field_{field.key}", "id"))
        for key, field in FIELDS.items()
    ]
    rows = grid(edits, 3)
    rows.append([
        _button(s, "rules_preview", callbacks.RulesButton("p", rule.id)),
        _button(s, "rules_history", callbacks.RulesButton("h", rule.id)),
    ])  # fmt: skip
    lifecycle = ("rules_restore", "restore") if rule.retired else ("rules_retire", "retire")
    rows.append([
        _button(s, lifecycle[0], callbacks.RulesButton("e", rule.id, lifecycle[1])),
        _button(s, "rules_back_topic", callbacks.RulesButton("t", rule.topic), topic=kb.topics[rule.topic].title),
    ])  # fmt: skip
    return html, InlineKeyboardMarkup(rows)


async def history_view(s: Services, rule_id: str) -> str | None:
    revisions = await s.rules.history(rule_id)
    if not revisions:
        return None
    changes = {}
    for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
        changes[newer.revision] = changed_keys(older.item if older else None, newer.item)
    return s.engine.renderer.render(
        "admin/rule_history.html.j2", rule_id=rule_id, revisions=revisions[:HISTORY_SHOWN],
        total=len(revisions), changes=changes,
    )  # fmt: skip


async def on_rules(update: Update, context: BotContext) -> None:
    """/rules, or /rules <id> to open one rule."""
    s = context.services
    message = update.effective_message
    if context.args:
        view = await rule_view(s, context.args[0].lower())
        if view is None:
            await message.reply_text(s.ui("rules_unknown", "id", rule_id=context.args[0]))
            return
        await reply_html(message, *view)
        return
    await reply_html(message, *topics_view(s))


async def on_history(update: Update, context: BotContext) -> None:
    """/history <id>"""
    s = context.services
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(s.ui("rules_history_usage", "id"))
        return
    html = await history_view(s, context.args[0].lower())
    if html is None:
        await update.effective_message.reply_text(s.ui("rules_unknown", "id", rule_id=context.args[0]))
        return
    await reply_html(update.effective_message, html)


@pressed(callbacks.RulesButton)
async def on_button(update: Update, context: BotContext, press: Press[callbacks.RulesButton]) -> None:
    s, query = press.s, press.query
    action, a = press.button.action, press.button.a
    if action == "T":
        await query.answer()
        await edit_html(press.message, *topics_view(s))
    elif action == "t" and (view := topic_view(s, a)) is not None:
        await query.answer()
        await edit_html(press.message, *view)
    elif action == "o" and (rule := await rule_view(s, a)) is not None:
        await query.answer()
        await edit_html(press.message, *rule)
    elif action == "p" and (found := s.engine.kb.any_rule(a)) is not None:
        await query.answer()
        back = InlineKeyboardMarkup([[_button(s, "rules_open", callbacks.RulesButton("o", a))]])
        await reply_html(press.message, s.engine.renderer.answer_html(found, "id"), back)
    elif action == "h" and (html := await history_view(s, a)) is not None:
        await query.answer()
        await reply_html(press.message, html)
    else:
        await press.expired()
