"""Answers on a phone (issue 14): a short first screen for every rule in both languages, and what it leaves
out behind buttons (legal basis with quotes, the full sanction, related rules, reporting). Through the fake
Bot API."""

from __future__ import annotations

import re

import pytest

from bot.presentation.chunks import telegram_length
from bot.presentation.render import CARD_LIMIT
from bot.qa.kb_files import load_knowledge
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat, button_of, buttons, typed
from tests.conftest import KNOWLEDGE

KB = load_knowledge(KNOWLEDGE)


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot_env:
        yield bot_env


async def test_every_rule_fits_one_phone_screen_in_both_languages(env):
    chats = {"id": Chat(env.fake, 5101), "en": Chat(env.fake, 5102, lang="en")}
    for rule in KB.rules.values():
        for lang, chat in chats.items():
            [answer] = await chat.say(f"/aturan {rule.id}")
            assert telegram_length(answer.params["text"]) <= CARD_LIMIT, (rule.id, lang)
            assert typed(answer, callbacks.Detail, part="b"), (rule.id, lang)


async def test_the_details_open_below_the_answer(env):
    chat = Chat(env.fake, 5103)
    [answer] = await chat.say("boleh gak pns like postingan caleg?")
    assert "DILARANG" in answer.text and "Dasar hukum" in answer.text
    rule = KB.rules[button_of(answer, callbacks.Detail, part="b").rule_id]
    [basis] = await chat.press(answer, callbacks.Detail, part="b")
    assert basis.method == "sendMessage" and all(b.article in basis.text for b in rule.basis)
    assert any(b.quote and b.quote[:40] in basis.text for b in rule.basis)
    [sanction] = await chat.press(answer, callbacks.Detail, part="s")
    assert sanction.text.startswith("Sanksi") and rule.sanction[:40] in sanction.text
    [related] = await chat.press(answer, callbacks.Detail, part="r")
    offered = [b.rule_id for b in typed(related, callbacks.OpenRule)]
    assert offered == [r for r in rule.related if r in KB.rules]
    assert not any(rid in related.text for rid in offered)  # titles in the text, never ids
    [opened] = await chat.press(related, callbacks.OpenRule)
    assert opened.method == "sendMessage" and typed(opened, callbacks.Detail)
    assert any("start=lapor" in b.get("url", "") for b in buttons(answer))  # someone's conduct: report it


async def test_english_details_are_english(env):
    chat = Chat(env.fake, 5104, lang="en")
    [answer] = await chat.say("/aturan partai-anggota-pengurus")
    [basis] = await chat.press(answer, callbacks.Detail, part="b")
    [sanction] = await chat.press(answer, callbacks.Detail, part="s")
    assert basis.text.startswith("Legal basis") and sanction.text.startswith("Sanction")
    assert "Sanksi" not in sanction.text and "Catatan" not in basis.text


async def test_a_forged_detail_button_is_refused(env):
    chat = Chat(env.fake, 5105)
    [answer] = await chat.say("/aturan partai-anggota-pengurus")
    for data in ("d:x:partai-anggota-pengurus:id", "d:b:tidak-ada:id", "d:b"):
        assert "kedaluwarsa" in (await chat.press_for_alert(answer, data)).lower()


def test_no_english_screen_holds_an_indonesian_label(engine):
    """Every label the Indonesian catalogue gives answers (verdicts, "Dasar hukum", "Sanksi", "Catatan"...)
    is absent from every rule's English screens: the card, the legal basis, the sanction."""
    renderer = engine.renderer
    labels = {**renderer.messages.group("word", "id"), **renderer.messages.group("verdict", "id")}
    english = {**renderer.messages.group("word", "en"), **renderer.messages.group("verdict", "en")}
    indonesian = [v for k, v in labels.items() if v != english.get(k)] + [renderer.messages("vote_prompt", "id")]
    for rule in engine.kb.rules.values():
        screens = (renderer.card_html(rule, "en"), renderer.basis_html(rule, "en"), renderer.sanction_html(rule, "en"))
        for screen in screens:
            words = re.sub(r"“[^”]*”", "", screen)  # the regulations' own words are quoted as they are
            assert not [w for w in indonesian if re.search(rf"\b{re.escape(w)}\b", words)], rule.id


def test_staff_screens_show_jakarta_time():
    from bot.presentation.render import wib

    assert wib("2026-12-02T20:33:10+00:00") == "2026-12-03 03:33 WIB"
    assert wib("not a time") == "not a time"
