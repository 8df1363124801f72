"""The buttons under an answer that open what its first screen leaves out: every legal basis with its quote
and caveat, the sanction in full, and the related rules (as buttons, never as ids). Each is sent below the
answer, in the language of the answer, and the answer stays as it is."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.presentation.render import rule_text
from bot.tg import callbacks
from bot.tg.common import Press, button, label, pressed, reply_html
from bot.tg.context import BotContext


@pressed(callbacks.Detail)
async def on_detail(update: Update, context: BotContext, press: Press[callbacks.Detail]) -> None:
    s, lang, detail = press.s, press.lang, press.button
    rule = s.engine.kb.rules.get(detail.rule_id)
    if rule is None or detail.part not in ("b", "s", "r"):
        await press.expired()
        return
    await press.query.answer()
    renderer = s.engine.renderer
    if detail.part == "b":
        await reply_html(press.message, renderer.basis_html(rule, lang))
    elif detail.part == "s":
        await reply_html(press.message, renderer.sanction_html(rule, lang))
    else:
        related = [r for rid in rule.related if (r := s.engine.kb.rules.get(rid)) is not None]
        titles = [rule_text(r, lang).title for r in related]
        html = renderer.render("related.html.j2", title=rule_text(rule, lang).title, titles=titles, lang=lang)
        buttons = [
            [button(label(f"{i}. {title}"), callbacks.OpenRule(r.id, 0, lang))]
            for i, (r, title) in enumerate(zip(related, titles, strict=True), start=1)
        ]
        await reply_html(press.message, html, InlineKeyboardMarkup(buttons) if buttons else None)
