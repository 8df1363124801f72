"""The bot end to end: the real Application talking HTTP to a local fake Bot API server."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.tg import callbacks
from bot.tg.app import configure_logging
from tests.botenv import TOKEN, running_bot
from tests.chat import Chat, GroupChat, button_of, buttons, datas, typed
from tests.fake_telegram import BOT_USERNAME


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot_env:
        yield bot_env


async def edit_by_pressing(chat: Chat, call, button: callbacks.Button, forged: bool = False):
    """Press `button` under `call` (`forged`: data the message has no button for); the bot's edit of it."""
    if forged:
        chat.forge(call, button.pack())
        [edited] = await chat.replies(1)
    else:
        [edited] = await chat.press(call, button)
    assert edited.method == "editMessageText"
    return edited


async def test_start_publishes_commands_in_both_languages(env):
    commands = env.fake.sent(method="setMyCommands")
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    names = {c["command"] for c in commands[0].params["commands"]}
    assert {"topik", "cari", "aturan", "tanya", "bahasa", "help"} <= names


async def test_start_and_help(env):
    [reply] = await Chat(env.fake, 1001).say("/start")
    assert "Netra" in reply.text and "/help" in reply.text and "bukan nasihat hukum" in reply.text
    assert typed(reply, callbacks.OpenRule) and typed(reply, callbacks.Topics)  # a first tap, not a command list
    [reply] = await Chat(env.fake, 1002, lang="en").say("/help")
    assert "not legal advice" in reply.text


async def test_question_gets_verdict_basis_and_vote_buttons(env):
    chat = Chat(env.fake, 1010)
    [answer] = await chat.say("boleh gak pns like postingan caleg?")
    assert "DILARANG" in answer.text and "Dasar hukum" in answer.text and "Pasal" in answer.text
    assert "Apakah jawaban ini membantu?" in answer.text
    votes = typed(answer, callbacks.Vote)
    assert len(votes) == 2
    chat.tap(answer, votes[0])
    await chat.wait_answers()
    await chat.wait_sent("editMessageReplyMarkup")
    # no service method reads which question a vote row points at: the join stays SQL
    store = env.app.bot_data["services"].store
    rows = await store.fetchall(
        "SELECT v.rule_id, q.query, v.vote FROM votes v JOIN questions q ON q.id = v.question_id"
    )
    assert [tuple(r.values()) for r in rows] == [(votes[0].rule_id, "boleh gak pns like postingan caleg?", 1)]
    [vote] = await store.fetchall("SELECT * FROM votes")
    assert "user" not in " ".join(vote.keys())


async def test_out_of_scope_question_is_recorded_and_offers_topics(env):
    [reply] = await Chat(env.fake, 1020).say("cara daftar CPNS")
    assert "belum ada aturan" in reply.text
    assert typed(reply, callbacks.TopicPage)
    questions = env.app.bot_data["services"].questions
    [(_day, status, asked)] = await questions.per_day("2000-01-01")  # one question in all, unanswered
    assert (status, asked) == ("none", 1)
    assert [q.query for q in await questions.open_questions("2000-01-01")] == ["cara daftar CPNS"]


async def test_ambiguous_question_offers_choices_that_open_the_rule(env):
    chat = Chat(env.fake, 1030)
    matcher = env.app.bot_data["services"].engine.matcher
    question = next(
        q
        for q in ("asn kampanye", "pns dan partai", "asn calon", "foto calon")
        if matcher.match(q).status == "ambiguous"
    )
    [reply] = await chat.say(question)
    choices = typed(reply, callbacks.OpenRule)
    assert 2 <= len(choices) <= 4
    [opened] = await chat.press(reply, choices[0])
    assert opened.method == "sendMessage" and "Dasar hukum" in opened.text  # the list stays above it


async def test_topic_browsing_pages_and_back(env):
    chat = Chat(env.fake, 1040)
    [menu] = await chat.say("/topik")
    topic_buttons = buttons(menu)
    assert len(topic_buttons) == len(env.app.bot_data["services"].engine.kb.topics)
    page = await edit_by_pressing(chat, menu, callbacks.TopicPage("kampanye", 0))
    assert callbacks.TopicPage("kampanye", 1).pack() in datas(page)  # more than one page
    assert callbacks.Topics().pack() in datas(page)  # back to the topic list
    page2 = await edit_by_pressing(chat, page, callbacks.TopicPage("kampanye", 1))
    rule_view = await edit_by_pressing(chat, page2, button_of(page2, callbacks.OpenFromTopic))
    assert "Dasar hukum" in rule_view.text
    assert typed(rule_view, callbacks.TopicPage, topic_id="kampanye", page=1)
    await edit_by_pressing(chat, rule_view, callbacks.Topics(), forged=True)


async def test_aturan_and_cari(env):
    chat = Chat(env.fake, 1050)
    for text in ("/aturan kampanye-atribut-partai", "/aturan tidak-ada", "/aturan", "/cari spanduk", "/cari"):
        chat.send(text)
    replies = await chat.replies(5)
    assert "DILARANG" in replies[0].text
    assert "tidak ada" in replies[1].text
    assert "/aturan" in replies[2].text
    assert "spanduk" in replies[3].text and typed(replies[3], callbacks.OpenRule)
    assert "/cari" in replies[4].text
    # no service method lists the questions' texts: SQL
    store = env.app.bot_data["services"].store
    row = await store.fetchone("SELECT count(*) AS n FROM questions WHERE query LIKE '/aturan%'")
    assert row["n"] == 0  # browsing is not counted as asking


async def test_deep_links(env):
    chat = Chat(env.fake, 1060)
    chat.send("/start kampanye-atribut-partai")
    chat.send("/start lapor")
    replies = await chat.replies(2)
    assert "DILARANG" in replies[0].text
    assert "Bawaslu" in replies[1].text


async def test_language_switch_is_remembered(env):
    chat = Chat(env.fake, 1070)
    [menu] = await chat.say("/bahasa")
    assert set(datas(menu)) == {callbacks.Language("id").pack(), callbacks.Language("en").pack()}
    await edit_by_pressing(chat, menu, callbacks.Language("en"))
    [answer] = await chat.say("boleh gak pns like postingan caleg?")
    assert answer.method == "sendMessage"
    assert "PROHIBITED" in answer.text and "Legal basis" in answer.text


async def test_english_telegram_users_get_english(env):
    [answer] = await Chat(env.fake, 1080, lang="en").say("can a civil servant be a member of a political party")
    assert "Legal basis" in answer.text


async def test_group_answers_only_tanya_and_mentions(env):
    group = GroupChat(env.fake, -100500, 1090, title="Kantor")
    group.send("rapat jam 9 ya, jangan lupa")
    group.send("pns boleh ikut kampanye?")
    group.send(f"/tanya@{BOT_USERNAME} pns boleh jadi anggota partai?")
    group.send(f"@{BOT_USERNAME} boleh gak pns like postingan caleg?")
    group.send("/tanya")
    await group.replies(3)
    await asyncio.sleep(0.3)
    replies = group.messages
    assert len(replies) == 3
    assert "partai" in replies[0].text.lower()
    assert "DILARANG" in replies[1].text
    assert "/tanya" in replies[2].text


async def test_inline_mode_offers_compact_answers(env):
    call = await Chat(env.fake, 1100).inline("pns like postingan caleg")
    results = call.params["results"]
    assert 1 <= len(results) <= 5
    assert all(len(r["input_message_content"]["message_text"]) <= 4096 for r in results)
    assert "DILARANG" in results[0]["input_message_content"]["message_text"]


@pytest.mark.parametrize(
    ("update_extra", "expect"),
    [
        (
            {
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "teks",
        ),
        ({"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}, "teks"),
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}}, "teks"),
    ],
)
async def test_media_gets_a_helpful_reply(env, update_extra, expect):
    [reply] = await Chat(env.fake, 1110).say(None, **update_extra)
    assert expect in reply.text


async def test_bad_inputs_never_crash(env):
    chat = Chat(env.fake, 1120)
    inputs = [
        "x" * 10_000,
        "<b>kampanye</b> & </i> <script>",
        "😀🎉🇮🇩",
        "/perintahaneh",
        "pns boleh kampanye? " * 40,
        "&amp; &lt; <<>>",
    ]
    for text in inputs:
        chat.send(text)
    replies = await chat.replies(len(inputs))
    assert "terlalu panjang" in replies[0].text
    assert "tidak saya kenal" in replies[3].text
    assert not [c for c in env.fake.calls if not c.ok and c.method == "sendMessage"]
    # the bot is still answering
    await chat.say("pns jadi anggota parpol")


async def test_edited_messages_are_ignored_on_purpose(env):
    chat = Chat(env.fake, 1130)
    chat.send_edit("pns ikut kampanye?")
    await chat.say("/help")
    await asyncio.sleep(0.2)
    assert len(chat.messages) == 1


async def test_forged_and_stale_buttons_get_a_polite_answer(env):
    chat = Chat(env.fake, 1140)
    [reply] = await chat.say("/help")
    for data in ("r:tidak-ada:0", "v:x:kampanye-atribut-partai:1", "t:nope:0", "zzz", "o:a:b:c"):
        chat.forge(reply, data)  # old or forged data, spelt out as it comes over the wire
    await chat.wait_answers(5)
    assert all(c.params.get("show_alert") for c in env.fake.sent(method="answerCallbackQuery"))


async def test_429_burst_every_reply_still_arrives(env):
    fake = env.fake
    fake.fail("sendMessage", "429", times=3, retry_after=1)
    chats = [Chat(fake, 2000 + i) for i in range(5)]
    for chat in chats:
        chat.send("pns jadi anggota parpol")
    for chat in chats:
        await chat.replies(1, timeout=30)
    assert len([c for c in fake.calls if c.error == "fault 429"]) == 3


async def test_5xx_and_dropped_connections_are_retried(env):
    fake = env.fake
    fake.fail("sendMessage", "500", times=1)
    fake.fail("sendMessage", "drop", times=1)
    fake.fail("sendMessage", "502", times=1)
    [reply] = await Chat(fake, 2100).say("pns jadi anggota parpol", timeout=30)
    assert "DILARANG" in reply.text


async def test_one_chat_stays_in_order(env):
    chat = Chat(env.fake, 2200)
    questions = ["pns jadi anggota parpol", "/help", "cara daftar CPNS", "boleh gak pns like postingan caleg?"]
    for q in questions:
        chat.send(q)
    replies = await chat.replies(4)
    assert "DILARANG" in replies[0].text and "/topik" in replies[1].text
    assert "belum ada aturan" in replies[2].text and "DILARANG" in replies[3].text


async def test_handler_error_is_reported_and_logged_without_the_token(env, caplog, monkeypatch):
    fake = env.fake
    svc = env.app.bot_data["services"]

    def boom(_q):
        raise RuntimeError("matcher exploded")

    monkeypatch.setattr(svc.engine.matcher, "match", boom)
    configure_logging()  # as production runs: INFO, with httpx's per-request lines silenced
    with caplog.at_level(logging.INFO):
        [reply] = await Chat(fake, 2300, username="rahasia_user").say("pns ikut kampanye?")
    assert "kesalahan" in reply.text and "Traceback" not in reply.text
    assert "matcher exploded" in caplog.text
    assert TOKEN not in caplog.text and "rahasia_user" not in caplog.text and "2300" not in caplog.text
    [group_reply] = await GroupChat(fake, -100900, 2302, title="Kantor").say("/tanya pns ikut kampanye?")
    assert "kesalahan" in group_reply.text
    monkeypatch.undo()
    await Chat(fake, 2301).say("pns jadi anggota parpol")


async def test_long_answers_are_split_below_the_limit(env):
    from bot.presentation.chunks import split_html

    svc = env.app.bot_data["services"]
    longest = max(svc.engine.kb.rules.values(), key=lambda r: len(svc.engine.renderer.answer_html(r, "id")))
    html = svc.engine.renderer.answer_html(longest, "id") + "\n\n" + "<b>kata</b> " * 900
    chunks = split_html(html)
    assert len(chunks) >= 2 and all(len(c) <= 4096 for c in chunks)
    from tests.fake_telegram import parse_html

    for chunk in chunks:
        parse_html(chunk)  # every piece is valid Telegram HTML on its own
