"""Small talk and questions about Netra itself (bot/qa/smalltalk.py, knowledge/smalltalk.yaml), and English
questions answered in English (bot/qa/language.py): the detectors alone, then the bot end to end."""

from __future__ import annotations

import pytest
import yaml

from bot.qa import language
from bot.qa.smalltalk import SmallTalk
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat, GroupChat, button_of, buttons, typed
from tests.conftest import KNOWLEDGE, ROOT
from tests.fake_telegram import BOT_USERNAME


@pytest.fixture(scope="module")
def talk() -> SmallTalk:
    return SmallTalk.load(KNOWLEDGE)


# ---------------------------------------------------------------------- the detector


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("halo", "greeting"),
        ("Haloooo kak!", "greeting"),
        ("hi", "greeting"),
        ("selamat pagi min", "greeting"),
        ("good morning", "greeting"),
        ("p", "greeting"),
        ("assalamualaikum", "salam"),
        ("Assalamu'alaikum wr wb", "salam"),
        ("makasih min 🙏", "thanks"),
        ("terima kasih", "thanks"),
        ("thx", "thanks"),
        ("thanks, that helped", "thanks"),
        ("wkwkwk makasih ya min", "thanks"),
        ("halo min, makasih banyak", "thanks"),  # several intents: the one listed first answers
        ("oke", "ack"),
        ("👍", "ack"),
        ("mau tanya dong min", "preamble"),
        ("siapa kamu", "identity"),
        ("ini bot apa", "identity"),
        ("kamu bot apa sih?", "identity"),
        ("who are you?", "identity"),
        ("bisa apa aja", "capabilities"),
        ("what can you do?", "capabilities"),
        ("cara pakainya gimana", "capabilities"),
        ("bisa lapor tanpa nama gak?", "report_anonymous"),
        ("identitas pelapor dirahasiakan gak", "report_anonymous"),
        ("can I report anonymously?", "report_anonymous"),
        ("cara lapor pelanggaran gimana", "report_how"),
        ("halo min, kalau ada pelanggaran lapor kemana?", "report_how"),
        ("how do I report a violation?", "report_how"),
        ("data saya aman?", "privacy"),
        ("is my data safe?", "privacy"),
        ("ini bot resmi bawaslu?", "official"),
        ("siapa yang bikin bot ini", "official"),
    ],
)
def test_small_talk_is_recognised(talk, text, intent):
    found = talk.detect(text)
    assert found is not None and found.name == intent, text


@pytest.mark.parametrize(
    "text",
    [
        "halo min, boleh gak pns like postingan caleg?",  # a greeting in front of a real question
        "makasih min, terus kalau pns share postingan capres gimana?",
        "selamat pagi, asn boleh ikut kampanye?",
        "lapor pns kampanye kemana ya",  # about reporting a case: the rules answer it
        "bisa lapor asn tidak netral tanpa nama?",
        "lapor anonim ke bawaslu bisa?",
        "siapa yang boleh melapor pelanggaran pilkada",
        "cara daftar CPNS",
        "pelanggaran",
        "",
        "🎉",
        "halo " * 40,
    ],
)
def test_questions_are_not_small_talk(talk, text):
    assert talk.detect(text) is None


def test_no_example_question_of_any_rule_is_small_talk(talk, engine):
    rules = engine.kb.rules.values()
    examples = [q for rule in rules for q in (*rule.questions, *(rule.en.questions if rule.en else ()))]
    assert len(examples) > 300
    assert [q for q in examples if talk.detect(q)] == []


def test_every_intent_has_its_message_and_serves_rules_that_exist(talk, engine):
    for lang in ("id", "en"):
        catalogue = yaml.safe_load((ROOT / "templates" / "messages" / f"{lang}.yaml").read_text(encoding="utf-8"))
        missing = [i.name for i in talk.intents if f"smalltalk_{i.name}" not in catalogue]
        assert not missing, f"{lang}.yaml lacks {missing}"
        assert {"smalltalk_ask", "smalltalk_report", "hint_ask"} <= set(catalogue)
        assert len(catalogue["hint_ask"]) <= 200  # an alert
    linked = {rule_id for intent in talk.intents for rule_id in intent.rules}
    assert linked and linked <= set(engine.kb.rules)


def test_a_pattern_naming_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="nosuch"):
        SmallTalk({"groups": {}, "intents": [{"name": "x", "patterns": ["{nosuch}"]}]})


@pytest.mark.parametrize(
    "text",
    [
        "can a civil servant like a candidate's post?",
        "Is it allowed for a civil servant to attend a campaign rally?",
        "may my wife run for DPRD while I am a PNS?",
        "what can you do?",
    ],
)
def test_english_is_recognised(text):
    assert language.is_english(text)
    assert language.reply_language(text, "id") == "en"


@pytest.mark.parametrize(
    "text",
    [
        "boleh gak pns like postingan caleg?",
        "pns boleh share post partai di facebook?",  # borrowed English content words
        "apakah asn boleh ikut kampanye",
        "hi",
        "thank you",
        "pns oleh melu kampanye ora?",
        "",
    ],
)
def test_other_text_keeps_the_users_language(text):
    assert not language.is_english(text)
    assert language.reply_language(text, "id") == "id"
    assert language.reply_language(text, "en") == "en"


# ---------------------------------------------------------------------- the bot


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot_env:
        yield bot_env


def report_urls(call) -> list[str]:
    return [b["url"] for b in buttons(call) if "url" in b]


async def test_greeting_gets_one_line_and_buttons_and_is_not_recorded(env):
    chat = Chat(env.fake, 3001)
    [reply] = await chat.say("halo")
    assert "Netra" in reply.text and "\n" not in reply.text
    assert typed(reply, callbacks.Hint) and typed(reply, callbacks.Topics)
    assert report_urls(reply) == [f"https://t.me/{BOT_USERNAME}?start=lapor"]
    [thanks] = await chat.say("makasih min 🙏")
    assert "Sama-sama" in thanks.text
    questions = env.app.bot_data["services"].questions
    assert await questions.per_day("2000-01-01") == []
    assert await questions.open_questions("2000-01-01") == []
    # the hint is an alert, the message stays; the topics button opens the topic list in place
    hint = button_of(reply, callbacks.Hint)
    assert "postingan caleg" in await chat.press_for_alert(reply, hint)
    assert "kedaluwarsa" in await chat.press_for_alert(reply, callbacks.Hint("forged"))
    [topics] = await chat.press(reply, callbacks.Topics())
    assert topics.method == "editMessageText" and typed(topics, callbacks.TopicPage)


async def test_a_greeting_before_a_real_question_is_answered_as_a_question(env):
    chat = Chat(env.fake, 3002)
    [answer] = await chat.say("halo min, boleh gak pns like postingan caleg?")
    assert "DILARANG" in answer.text and "Dasar hukum" in answer.text
    [(_day, status, asked)] = await env.app.bot_data["services"].questions.per_day("2000-01-01")
    assert (status, asked) == ("answer", 1)


async def test_reporting_questions_point_to_lapor_and_the_formal_route(env):
    chat = Chat(env.fake, 3003)
    [anonymous] = await chat.say("bisa lapor tanpa nama?")
    assert "/lapor" in anonymous.text and "Bawaslu" in anonymous.text
    assert report_urls(anonymous) == [f"https://t.me/{BOT_USERNAME}?start=lapor"]
    assert typed(anonymous, callbacks.OpenRule, rule_id="lapor-anonim")
    [how] = await chat.say("cara lapor pelanggaran gimana")
    assert "Bawaslu" in how.text and report_urls(how)
    assert {b.rule_id for b in typed(how, callbacks.OpenRule)} >= {"lapor-ke-mana"}
    [rule] = await chat.press(how, button_of(how, callbacks.OpenRule, rule_id="lapor-ke-mana"))
    assert rule.method == "sendMessage" and "Bawaslu" in rule.text
    # the deep link the button opens is the report form
    [intro, *_] = await chat.say("/start lapor", count=2)
    assert "Bawaslu" in intro.text or "anonim" in intro.text.lower()
    assert await env.app.bot_data["services"].questions.per_day("2000-01-01") == []


async def test_about_the_bot_in_english_is_answered_in_english(env):
    chat = Chat(env.fake, 3004)  # Telegram set to Indonesian
    [reply] = await chat.say("is this an official Bawaslu bot?")
    assert "not the official position" in reply.text
    hint = button_of(reply, callbacks.Hint)
    assert hint.lang == "en" and "for example" in await chat.press_for_alert(reply, hint)


async def test_english_question_from_an_indonesian_app_gets_english_for_that_reply(env):
    chat = Chat(env.fake, 3005)  # Telegram set to Indonesian, no /bahasa choice
    [answer] = await chat.say("can a civil servant like a candidate's post?")
    assert "Legal basis" in answer.text and "Dasar hukum" not in answer.text
    [answer] = await chat.say("boleh gak pns like postingan caleg?")
    assert "Dasar hukum" in answer.text  # the user's language is unchanged
    [answer] = await Chat(env.fake, 3006, lang="en").say("boleh gak pns like postingan caleg?")
    assert "Legal basis" in answer.text  # Indonesian text from an English app stays English


async def test_small_talk_in_a_group_when_addressed(env):
    group = GroupChat(env.fake, -100700, 3007)
    [reply] = await group.say(f"@{BOT_USERNAME} halo")
    assert "Netra" in reply.text and report_urls(reply)


async def test_presses_under_an_english_reply_stay_english(env):
    chat = Chat(env.fake, 3008)  # Telegram set to Indonesian
    [answer] = await chat.say("can a civil servant like a candidate's post?")
    not_this = button_of(answer, callbacks.Others)
    assert not_this.lang == "en"
    [others] = await chat.press(answer, not_this)
    assert "Dasar hukum" not in others.text and "kata lain" not in others.text
    choice = typed(others, callbacks.OpenRule)[0]
    [opened] = await chat.press(others, choice)
    assert "Legal basis" in opened.text and "Dasar hukum" not in opened.text
    chat.tap(opened, button_of(opened, callbacks.Vote, sign="+"))
    answered = await chat.wait_answers(3)
    assert answered[-1].params.get("text") == "Thank you for your feedback."


def test_buttons_sent_before_they_carried_a_language_still_read():
    assert callbacks.OpenRule.unpack("r:kampanye-hadir-pasif:12") == callbacks.OpenRule("kampanye-hadir-pasif", 12)
    assert callbacks.Vote.unpack("v:+:rule:12") == callbacks.Vote("+", "rule", 12)
    assert callbacks.Others.unpack("n:rule:3:en") == callbacks.Others("rule", 3, "en")
    assert callbacks.Others.unpack("n:rule") is None  # a field without a default is never missing
