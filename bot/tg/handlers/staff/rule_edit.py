"""Changing a rule from Telegram: a ✏ button (or ➕ for a new rule, 🗄/♻ to retire or restore one), then
steps to a saved revision; and /rollback.

  TEXT     the editor sends the field's new text (or the new rule's YAML); verdicts come as buttons
  CONFIRM  the answer is shown as users will see it; 💾 saves, other text replaces the proposal
  NOTE     a short change note for the history, or none

Nothing is saved before 💾 and the note; the save re-checks the rule with all others and refuses it whole
if anything is wrong, or if someone else saved the rule meanwhile. The pending change, with its step, lives
in short-lived memory (`Services.pending_edits`: this process, or Redis for replicas), so any replica takes
the next step (bot/tg/handlers/flows.py routes the editor's messages here); TIMEOUT seconds after the last
step it is gone, and a button of it says so. Buttons:
R:e:<rule>:<field|retire|restore>, R:a:<topic>, R:v:<rule>:<verdict>, R:s, R:n, R:x.

A refusal is one short message whatever the editor sent: the rule's own schema is checked in a worker
thread first, and at most MAX_REASONS reasons, each cut short, are shown (security review, finding 8).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from markupsafe import Markup, escape
from telegram import InlineKeyboardMarkup, Message, Update

from bot.editing.fields import (
    FIELDS,
    TRANSLATED,
    FieldError,
    Refused,
    apply,
    as_text,
    new_rule_template,
    read_new_rule,
)
from bot.editing.rules import EDIT, RuleError, Unchanged, changed_keys
from bot.presentation.messages import LANGUAGES
from bot.presentation.render import CARD_LIMIT
from bot.qa.kb import VERDICTS, Entry, Problem, Rule, check_entry, rule_item
from bot.services import Services
from bot.tg import callbacks
from bot.tg.authorisation import authorised
from bot.tg.common import Press, button, pressed, read_press, reply_html
from bot.tg.context import BotContext

TEXT, CONFIRM, NOTE = "text", "confirm", "note"
LIFECYCLE = {"retire": True, "restore": False}
MAX_NOTE = 300
TIMEOUT: float = 30 * 60  # seconds after the last step; read at each step (tests set it shorter)
TOLD_FOR = 24 * 3600.0  # how long after a timeout the editor's next message is still told it was not saved
MAX_REASONS = 10  # reasons listed in one refusal; the rest are counted
MAX_REASON = 300  # characters of one reason
MAX_REASONS_TOTAL = 2000  # characters of all reasons listed, well inside one Telegram message


@dataclass
class Pending:
    action: str  # a FIELDS key, "new", "retire" or "restore"
    topic: str
    base: int  # the revision being changed; 0 for a new rule
    base_item: dict[str, Any] | None  # None for a new rule
    item: dict[str, Any] | None = None  # the proposal, once it passed the checks
    step: str = TEXT
    until: float = 0.0  # time.time() when the change times out: TIMEOUT after its last step

    @property
    def expired(self) -> bool:
        return self.until < time.time()


async def _keep(context: BotContext, pending: Pending, step: str) -> None:
    pending.step, pending.until = step, time.time() + TIMEOUT
    await context.services.pending_edits.put(context.user.id, asdict(pending), ttl=TIMEOUT + TOLD_FOR)


async def _drop(context: BotContext) -> None:
    if context.user is not None:
        await context.services.pending_edits.drop(context.user.id)


async def _stored(context: BotContext) -> Pending | None:
    found = await context.services.pending_edits.get(context.user.id) if context.user else None
    return Pending(**found) if found is not None else None


async def takes(update: Update, context: BotContext) -> bool:
    """A private text message from an editor with a change pending: its next step (bot/tg/handlers/flows.py).
    After the change timed out, the first such message is told it was not saved, rather than being taken
    for a question."""
    if update.effective_message.text is None or (pending := await _stored(context)) is None:
        return False
    if pending.expired:
        await _drop(context)
        await update.effective_message.reply_text(context.services.ui("rules_timed_out", "id"))
        return True
    await (on_note if pending.step == NOTE else on_text)(update, context)
    return True


def _keyboard(s: Services, *buttons: tuple[str, callbacks.Button]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(s.ui(key, "id"), data) for key, data in buttons]])


def _cancel(s: Services) -> InlineKeyboardMarkup:
    return _keyboard(s, ("rules_cancel", callbacks.RulesButton("x")))


@pressed(callbacks.RulesButton)
async def on_start(update: Update, context: BotContext, press: Press[callbacks.RulesButton]) -> None:
    s, render = press.s, press.s.engine.renderer.render
    action, a, b = press.button.action, press.button.a, press.button.b
    if action == "a" and a in s.engine.kb.topics:
        await _keep(context, Pending("new", a, 0, None), TEXT)
        await press.query.answer()
        html = render("admin/rule_new.html.j2", topic=s.engine.kb.topics[a], example=new_rule_template(a))
        await reply_html(press.message, html, _cancel(s))
        return
    rev = await s.rules.current(a) if action == "e" else None
    if rev is None or (b not in FIELDS and b not in LIFECYCLE):
        await press.expired()
        return
    pending = Pending(b, rev.item["topic"], rev.revision, rev.item)
    await _keep(context, pending, TEXT)
    await press.query.answer()
    if b in LIFECYCLE:
        item = {k: v for k, v in rev.item.items() if k != "retired"} | ({"retired": True} if LIFECYCLE[b] else {})
        return await _propose(press.message, context, pending, item)
    html = render("admin/rule_field.html.j2", field=FIELDS[b], label=s.ui(f"field_{b}", "id"), rule_id=a,
                  current=as_text(rev.item, b), sources=list(s.engine.kb.sources))  # fmt: skip
    keyboard = _cancel(s)
    if b == "verdict":
        choices = [button(v, callbacks.RulesButton("v", a, v)) for v in VERDICTS]
        keyboard = InlineKeyboardMarkup([choices, *keyboard.inline_keyboard])
    await reply_html(press.message, html, keyboard)


async def _pending(update: Update, context: BotContext) -> tuple[Services, Pending] | None:
    """The editor's pending change, after the role check; None (and the editor told) if there is none."""
    if not await authorised(update, context, "rules"):
        await _drop(context)
        return None
    s = context.services
    pending = await _stored(context)
    if pending is None:
        await update.effective_message.reply_text(s.ui("rules_session_gone", "id"))
    return (s, pending) if pending is not None else None


async def on_text(update: Update, context: BotContext) -> None:
    found = await _pending(update, context)
    if found is None:
        return
    s, pending = found
    message = update.effective_message
    if pending.action in LIFECYCLE:
        await message.reply_text(s.ui("rules_press_save", "id"))
        return
    try:
        if pending.base_item is None:
            item = read_new_rule(message.text, pending.topic)
        else:
            item = apply(pending.base_item, pending.action, message.text)
    except Refused as exc:
        return await _refuse(message, context, pending, [Markup(s.ui(exc.key, "id", **exc.values))])
    except FieldError as exc:
        return await _refuse(message, context, pending, [str(exc)])
    return await _propose(message, context, pending, item)


async def _pending_press(
    update: Update, context: BotContext, ready: Callable[[Pending, Press], bool]
) -> tuple[Press, Pending] | None:
    """A button of the conversation, after the role check, if the pending change is `ready` for it; else
    None, and the editor told the button expired."""
    press = await read_press(update, context, callbacks.RulesButton)
    if press is None:
        return None
    pending = await _stored(context)
    if pending is not None and pending.expired:
        await _drop(context)
        pending = None
    if pending is None or not ready(pending, press):
        await press.expired()
        return None
    await press.query.answer()
    return press, pending


async def on_verdict(update: Update, context: BotContext) -> None:
    found = await _pending_press(
        update, context, lambda p, press: p.step == TEXT and p.base_item is not None and press.button.b in VERDICTS
    )
    if found is None:
        return
    press, pending = found
    return await _propose(press.message, context, pending, apply(pending.base_item, "verdict", press.button.b))


async def _propose(message: Message, context: BotContext, pending: Pending, item: dict[str, Any]) -> None:
    """Check the proposal with all other rules and show the answer it gives; or say why it cannot be."""
    s = context.services
    problems = await asyncio.to_thread(check_entry, s.rules.sources, s.rules.topics, Entry(EDIT, item))
    if problems:  # its own schema fails: refused without holding up the event loop with the whole check
        return await _refuse(message, context, pending, [_reason(p) for p in problems])
    try:
        rule = await s.rules.preview(item)
        if pending.base_item is None and await s.rules.current(rule.id) is not None:
            raise RuleError([f"id {rule.id} sudah dipakai aturan lain; pilih id lain"])
    except RuleError as exc:
        return await _refuse(message, context, pending, exc.reasons)
    pending.item = rule_item(rule)
    await _keep(context, pending, CONFIRM)
    html = s.engine.renderer.render(
        "admin/rule_preview.html.j2", rule=rule, action=pending.action, warnings=_warnings(s, pending, rule),
        label=s.ui(f"field_{pending.action}", "id") if pending.action in FIELDS else "",
        answer=Markup(_preview(s, rule, pending.action)),
    )  # fmt: skip
    keyboard = _keyboard(s, ("rules_save", callbacks.RulesButton("s")), ("rules_cancel", callbacks.RulesButton("x")))
    await reply_html(message, html, keyboard)


def _preview(s: Services, rule: Rule, action: str) -> str:
    """What users will read: the answer's first screen, and behind its buttons the part this edit changes."""
    renderer = s.engine.renderer
    shown = [renderer.card_html(rule, "id")]
    if action in ("answer", "new"):
        shown.append(str(escape(rule.answer)))  # rule text is an editor's: escaped, as every template does
    if action in ("caveat", "basis", "new"):
        shown.append(renderer.basis_html(rule, "id", with_answer=False))
    if action in ("sanction", "new") and rule.sanction:
        shown.append(renderer.sanction_html(rule, "id"))
    return "\n\n".join(shown)


def _warnings(s: Services, pending: Pending, rule: Rule) -> list[str]:
    item, base = pending.item or {}, pending.base_item or {}
    warnings = []
    en = base.get("en") or {}
    if pending.action in TRANSLATED and (pending.action in ("title", "short", "answer") or pending.action in en):
        warnings.append(s.ui("rules_warn_english", "id", label=s.ui(f"field_{pending.action}", "id")))
    for lang in LANGUAGES:  # as kb validate measures it: both languages, the vote question included
        if (length := s.engine.renderer.card_length(rule, lang)) > CARD_LIMIT:
            warnings.append(s.ui("rules_warn_card", "id", language=lang, length=length, limit=CARD_LIMIT))
    unchecked = [b for b in item.get("basis", []) if b.get("verified") is False and b not in base.get("basis", [])]
    if unchecked:
        warnings.append(s.ui("rules_warn_unchecked", "id", count=len(unchecked)))
    return warnings


def _reason(problem: Problem) -> str:
    """A problem of the rule being edited, as bot/editing/rules.py words the ones it finds: field, then what."""
    return f"{problem.field}: {problem.text('id')}" if problem.field else problem.text("id")


def _capped(s: Services, reasons: list[str]) -> list[str]:
    """The first reasons, each cut short, within MAX_REASONS and MAX_REASONS_TOTAL; then how many more."""
    shown: list[str] = []
    used = 0
    for reason in reasons[:MAX_REASONS]:
        if not isinstance(reason, Markup) and len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 1] + "…"
        if shown and used + len(reason) > MAX_REASONS_TOTAL:
            break
        shown.append(reason)
        used += len(reason)
    if len(reasons) > len(shown):
        shown.append(Markup(s.ui("rules_more_reasons", "id", count=len(reasons) - len(shown))))
    return shown


async def _refuse(
    message: Message, context: BotContext, pending: Pending | None, reasons: list[str], retry: bool = True
) -> None:
    """Say why; with `retry`, the editor sends a new text for the same change (its proposal is dropped)."""
    s = context.services
    if retry and pending is not None:
        pending.item = None
        await _keep(context, pending, TEXT)
    html = s.engine.renderer.render("admin/rule_refused.html.j2", reasons=_capped(s, reasons), retry=retry)
    await reply_html(message, html, _cancel(s) if retry else None)


async def on_confirm(update: Update, context: BotContext) -> None:
    found = await _pending_press(update, context, lambda pending, _press: pending.step == CONFIRM and pending.item)
    if found is None:
        return
    press, pending = found
    await _keep(context, pending, NOTE)
    keyboard = _keyboard(
        press.s,
        ("rules_no_note", callbacks.RulesButton("n")),
        ("rules_cancel", callbacks.RulesButton("x")),
    )
    await press.message.reply_text(press.s.ui("rules_note_prompt", "id"), reply_markup=keyboard)


async def on_note(update: Update, context: BotContext) -> None:
    found = await _pending(update, context)
    if found is None:
        return
    note = " ".join(update.effective_message.text.split())[:MAX_NOTE]
    return await _save(update, context, found[0], found[1], note)


async def on_no_note(update: Update, context: BotContext) -> None:
    found = await _pending_press(update, context, lambda pending, _press: pending.step == NOTE and pending.item)
    if found is None:
        return
    return await _save(update, context, found[0].s, found[1], None)


async def _save(update: Update, context: BotContext, s: Services, pending: Pending, note: str | None) -> None:
    message = update.effective_message
    editor = update.effective_user.id
    await _drop(context)
    if pending.item is None:  # a note typed before the proposal passed (cannot happen from the buttons)
        await message.reply_text(s.ui("rules_session_gone", "id"))
        return
    try:
        rev = await s.rules.save(pending.item, str(editor), note, base=pending.base)
    except Unchanged:
        await message.reply_text(s.ui("rules_unchanged", "id"))
        return
    except RuleError as exc:
        return await _refuse(message, context, None, exc.reasons, retry=False)

    action = {"new": "rule.add", "retire": "rule.retire", "restore": "rule.restore"}.get(pending.action, "rule.edit")
    await audit_change(s, editor, action, pending.base_item, rev.item)
    keyboard = _keyboard(s, ("rules_open", callbacks.RulesButton("o", rev.rule_id)))
    await message.reply_text(
        s.ui("rules_saved", "id", revision=rev.revision, rule_id=rev.rule_id), reply_markup=keyboard
    )


async def audit_change(
    s: Services, editor: int, action: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    """The audit keeps the fields that changed, before and after."""
    keys = changed_keys(before, after)
    old = {k: before.get(k) for k in keys} if before is not None else None
    await s.admin.audit(editor, action, after["id"], old, {k: after.get(k) for k in keys})


async def on_cancel(update: Update, context: BotContext) -> None:
    """✖ under a step of the change."""
    await _drop(context)
    s = context.services
    if update.callback_query is not None:
        await update.callback_query.answer()
    await update.effective_message.reply_text(s.ui("rules_cancelled", "id"))


async def cancel(update: Update, context: BotContext) -> bool:
    """/batal while a change is pending (bot/tg/handlers/flows.py); False if none is."""
    if await _stored(context) is None:
        return False
    await on_cancel(update, context)
    return True


async def on_rollback(update: Update, context: BotContext) -> None:
    """/rollback <id> <revision>: a preview of that revision's content and what it changes, and a button to
    save it as the newest revision (nothing changes before it is pressed)."""
    s = context.services
    message = update.effective_message
    args = context.args or []
    if len(args) != 2 or not args[1].isdigit():
        await message.reply_text(s.ui("rules_rollback_usage", "id"))
        return
    rule_id, number = args[0].lower(), int(args[1])
    current = await s.rules.current(rule_id)
    if current is None:
        await message.reply_text(s.ui("rules_unknown", "id", rule_id=rule_id))
        return
    old = await s.rules.revision(rule_id, number)
    if old is None:
        await message.reply_text(s.ui("rules_no_revision", "id", rule_id=rule_id, revision=number))
        return
    changed = changed_keys(current.item, old.item)
    if not changed:
        await message.reply_text(s.ui("rules_unchanged", "id"))
        return
    try:
        rule = await s.rules.preview(old.item)
    except RuleError as exc:
        await _refuse(message, s, exc.reasons, retry=False)
        return
    html = s.engine.renderer.render(
        "admin/rule_rollback.html.j2", rule_id=rule_id, old=number, current=current.revision, changed=changed,
        answer=Markup(s.engine.renderer.card_html(rule, "id")),
    )  # fmt: skip
    confirm = ("rules_rollback_confirm", callbacks.RulesButton("k", rule_id, str(number)))
    await reply_html(message, html, _keyboard(s, confirm))


@pressed(callbacks.RulesButton)
async def on_rollback_confirmed(update: Update, context: BotContext, press: Press[callbacks.RulesButton]) -> None:
    """↩️ under a /rollback preview: that revision's content saved as the newest revision."""
    s, rule_id = press.s, press.button.a
    number = callbacks.as_int(press.button.b, -1)
    current = await s.rules.current(rule_id)
    if current is None or number < 1:
        await press.expired()
        return
    await press.query.answer()
    await press.message.edit_reply_markup(None)  # pressed once
    try:
        rev = await s.rules.rollback(rule_id, number, str(update.effective_user.id))
    except Unchanged:
        await press.message.reply_text(s.ui("rules_unchanged", "id"))
        return
    except RuleError as exc:
        await _refuse(press.message, s, exc.reasons, retry=False)
        return
    await audit_change(s, update.effective_user.id, "rule.rollback", current.item, rev.item)
    text = s.ui("rules_rolled_back", "id", rule_id=rule_id, old=number, revision=rev.revision)
    keyboard = _keyboard(s, ("rules_open", callbacks.RulesButton("o", rule_id)))
    await press.message.reply_text(text, reply_markup=keyboard)
