"""The bot end to end: the real Application talking HTTP to a local fake Bot API server."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.tg import callbacks
from bot.tg.app import configure_logging
from tests.botenv import TOKEN, running_bot
from tests.fake_telegram import BOT_USERNAME


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot_env:
        yield bot_env


def buttons(call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_publishes_commands_in_both_languages(env):
    commands = env.fake.sent(method="setMyCommands")
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    names = {c["command"] for c in commands[0].params["commands"]}
    assert {"topik", "cari", "aturan", "tanya", "bahasa", "help"} <= names


async def test_start_and_help(env):
    fake = env.fake
    user = fake.user(1001)
    fake.send_text(user, "/start")
    [reply] = await fake.wait_messages(1001, 1)
    assert "Netra" in reply.text and "/topik" in reply.text and "bukan nasihat hukum" in reply.text
    fake.send_text(fake.user(1002, lang="en"), "/help")
    [reply] = await fake.wait_messages(1002, 1)
    assert "not legal advice" in reply.text


async def test_question_gets_verdict_basis_and_vote_buttons(env):
    fake = env.fake
    user = fake.user(1010)
    fake.send_text(user, "boleh gak pns like postingan caleg?")
    [answer] = await fake.wait_messages(1010, 1)
    assert "DILARANG" in answer.text and "Dasar hukum" in answer.text and "Pasal" in answer.text
    assert "Apakah jawaban ini membantu?" in answer.text
    votes = [b for b in buttons(answer) if b["callback_data"].startswith("v:")]
    assert len(votes) == 2
    fake.press(user, fake.message_of(answer), votes[0]["callback_data"])
    await fake.wait_for(lambda: fake.sent(method="answerCallbackQuery"))
    await fake.wait_for(lambda: fake.sent(1010, "editMessageReplyMarkup"))
    store = env.app.bot_data["services"].store
    async with store.db.execute(
        "SELECT v.rule_id, q.query, v.vote FROM votes v JOIN questions q ON q.id = v.question_id"
    ) as cur:
        rows = await cur.fetchall()
    assert [tuple(r) for r in rows] == [
        (votes[0]["callback_data"].split(":")[2], "boleh gak pns like postingan caleg?", 1)
    ]
    async with store.db.execute("SELECT * FROM votes") as cur:
        assert "user" not in " ".join(d[0] for d in cur.description)


async def test_out_of_scope_question_is_recorded_and_offers_topics(env):
    fake = env.fake
    fake.send_text(fake.user(1020), "cara daftar CPNS")
    [reply] = await fake.wait_messages(1020, 1)
    assert "belum ada aturan" in reply.text
    assert any(b["callback_data"].startswith("t:") for b in buttons(reply))
    store = env.app.bot_data["services"].store
    async with store.db.execute("SELECT query, status FROM questions") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("cara daftar CPNS", "none")]


async def test_ambiguous_question_offers_choices_that_open_the_rule(env):
    fake = env.fake
    user = fake.user(1030)
    matcher = env.app.bot_data["services"].engine.matcher
    question = next(
        q
        for q in ("asn kampanye", "pns dan partai", "asn calon", "foto calon")
        if matcher.match(q).status == "ambiguous"
    )
    fake.send_text(user, question)
    [reply] = await fake.wait_messages(1030, 1)
    choices = [b for b in buttons(reply) if b["callback_data"].startswith("r:")]
    assert 2 <= len(choices) <= 4
    fake.press(user, fake.message_of(reply), choices[0]["callback_data"])
    await fake.wait_for(lambda: fake.sent(1030, "editMessageText"))
    edited = fake.sent(1030, "editMessageText")[-1]
    assert "Dasar hukum" in edited.text


async def test_topic_browsing_pages_and_back(env):
    fake = env.fake
    user = fake.user(1040)
    fake.send_text(user, "/topik")
    [menu] = await fake.wait_messages(1040, 1)
    topic_buttons = buttons(menu)
    assert len(topic_buttons) == len(env.app.bot_data["services"].engine.kb.topics)
    kampanye = next(b for b in topic_buttons if b["callback_data"] == callbacks.TopicPage("kampanye", 0).pack())
    fake.press(user, fake.message_of(menu), kampanye["callback_data"])
    page = await fake.wait_for(lambda: fake.sent(1040, "editMessageText"))
    page = page[-1]
    datas = [b["callback_data"] for b in buttons(page)]
    assert callbacks.TopicPage("kampanye", 1).pack() in datas  # more than one page
    assert "T" in datas  # back to the topic list
    fake.press(user, fake.message_of(page), callbacks.TopicPage("kampanye", 1).pack())
    await fake.wait_for(lambda: len(fake.sent(1040, "editMessageText")) >= 2)
    page2 = fake.sent(1040, "editMessageText")[-1]
    open_rule = next(b for b in buttons(page2) if b["callback_data"].startswith("o:"))
    fake.press(user, fake.message_of(page2), open_rule["callback_data"])
    await fake.wait_for(lambda: len(fake.sent(1040, "editMessageText")) >= 3)
    rule_view = fake.sent(1040, "editMessageText")[-1]
    assert "Dasar hukum" in rule_view.text
    back = [b for b in buttons(rule_view) if b["callback_data"] == callbacks.TopicPage("kampanye", 1).pack()]
    assert back
    fake.press(user, fake.message_of(rule_view), "T")
    await fake.wait_for(lambda: len(fake.sent(1040, "editMessageText")) >= 4)


async def test_aturan_and_cari(env):
    fake = env.fake
    user = fake.user(1050)
    fake.send_text(user, "/aturan kampanye-atribut-partai")
    fake.send_text(user, "/aturan tidak-ada")
    fake.send_text(user, "/aturan")
    fake.send_text(user, "/cari spanduk")
    fake.send_text(user, "/cari")
    replies = await fake.wait_messages(1050, 5)
    assert "DILARANG" in replies[0].text
    assert "tidak ada" in replies[1].text
    assert "/aturan" in replies[2].text
    assert "spanduk" in replies[3].text and any(b["callback_data"].startswith("r:") for b in buttons(replies[3]))
    assert "/cari" in replies[4].text
    store = env.app.bot_data["services"].store
    async with store.db.execute("SELECT count(*) FROM questions WHERE query LIKE '/aturan%'") as cur:
        assert (await cur.fetchone())[0] == 0  # browsing is not counted as asking


async def test_deep_links(env):
    fake = env.fake
    user = fake.user(1060)
    fake.send_text(user, "/start kampanye-atribut-partai")
    fake.send_text(user, "/start lapor")
    replies = await fake.wait_messages(1060, 2)
    assert "DILARANG" in replies[0].text
    assert "Bawaslu" in replies[1].text


async def test_language_switch_is_remembered(env):
    fake = env.fake
    user = fake.user(1070)
    fake.send_text(user, "/bahasa")
    [menu] = await fake.wait_messages(1070, 1)
    assert {b["callback_data"] for b in buttons(menu)} == {"l:id", "l:en"}
    fake.press(user, fake.message_of(menu), "l:en")
    await fake.wait_for(lambda: fake.sent(1070, "editMessageText"))
    fake.send_text(user, "boleh gak pns like postingan caleg?")
    await fake.wait_for(lambda: len(fake.sent(1070, "sendMessage")) >= 2)
    answer = fake.sent(1070, "sendMessage")[-1]
    assert "PROHIBITED" in answer.text and "Legal basis" in answer.text


async def test_english_telegram_users_get_english(env):
    fake = env.fake
    fake.send_text(fake.user(1080, lang="en"), "can a civil servant be a member of a political party")
    [answer] = await fake.wait_messages(1080, 1)
    assert "Legal basis" in answer.text


async def test_group_answers_only_tanya_and_mentions(env):
    fake = env.fake
    user = fake.user(1090)
    group = {"id": -100500, "type": "supergroup", "title": "Kantor"}
    fake.send_text(user, "rapat jam 9 ya, jangan lupa", chat=group)
    fake.send_text(user, "pns boleh ikut kampanye?", chat=group)
    fake.send_text(user, f"/tanya@{BOT_USERNAME} pns boleh jadi anggota partai?", chat=group)
    fake.send_text(user, f"@{BOT_USERNAME} boleh gak pns like postingan caleg?", chat=group)
    fake.send_text(user, "/tanya", chat=group)
    replies = await fake.wait_messages(-100500, 3)
    await asyncio.sleep(0.3)
    replies = fake.messages_to(-100500)
    assert len(replies) == 3
    assert "partai" in replies[0].text.lower()
    assert "DILARANG" in replies[1].text
    assert "/tanya" in replies[2].text


async def test_inline_mode_offers_compact_answers(env):
    fake = env.fake
    fake.inline(fake.user(1100), "pns like postingan caleg")
    [call] = await fake.wait_for(lambda: fake.sent(method="answerInlineQuery"))
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
    fake = env.fake
    fake.send_text(fake.user(1110), None, **update_extra)
    [reply] = await fake.wait_messages(1110, 1)
    assert expect in reply.text


async def test_bad_inputs_never_crash(env):
    fake = env.fake
    user = fake.user(1120)
    inputs = [
        "x" * 10_000,
        "<b>kampanye</b> & </i> <script>",
        "😀🎉🇮🇩",
        "/perintahaneh",
        "pns boleh kampanye? " * 40,
        "&amp; &lt; <<>>",
    ]
    for text in inputs:
        fake.send_text(user, text)
    replies = await fake.wait_messages(1120, len(inputs))
    assert "terlalu panjang" in replies[0].text
    assert "tidak saya kenal" in replies[3].text
    assert not [c for c in fake.calls if not c.ok and c.method == "sendMessage"]
    # the bot is still answering
    fake.send_text(user, "pns jadi anggota parpol")
    await fake.wait_messages(1120, len(inputs) + 1)


async def test_edited_messages_are_ignored_on_purpose(env):
    fake = env.fake
    user = fake.user(1130)
    message = {
        "message_id": 5,
        "from": user,
        "chat": {"id": 1130, "type": "private"},
        "date": 1,
        "edit_date": 2,
        "text": "pns ikut kampanye?",
    }
    fake.push({"edited_message": message})
    fake.send_text(user, "/help")
    await fake.wait_messages(1130, 1)
    await asyncio.sleep(0.2)
    assert len(fake.messages_to(1130)) == 1


async def test_forged_and_stale_buttons_get_a_polite_answer(env):
    fake = env.fake
    user = fake.user(1140)
    fake.send_text(user, "/help")
    [reply] = await fake.wait_messages(1140, 1)
    for data in ("r:tidak-ada:0", "v:x:kampanye-atribut-partai:1", "t:nope:0", "zzz", "o:a:b:c"):
        fake.press(user, fake.message_of(reply), data)
    await fake.wait_for(lambda: len(fake.sent(method="answerCallbackQuery")) >= 5)
    assert all(c.params.get("show_alert") for c in fake.sent(method="answerCallbackQuery"))


async def test_429_burst_every_reply_still_arrives(env):
    fake = env.fake
    fake.fail("sendMessage", "429", times=3, retry_after=1)
    users = [fake.user(2000 + i) for i in range(5)]
    for user in users:
        fake.send_text(user, "pns jadi anggota parpol")
    for user in users:
        await fake.wait_messages(user["id"], 1, timeout=30)
    assert len([c for c in fake.calls if c.error == "fault 429"]) == 3


async def test_5xx_and_dropped_connections_are_retried(env):
    fake = env.fake
    fake.fail("sendMessage", "500", times=1)
    fake.fail("sendMessage", "drop", times=1)
    fake.fail("sendMessage", "502", times=1)
    fake.send_text(fake.user(2100), "pns jadi anggota parpol")
    [reply] = await fake.wait_messages(2100, 1, timeout=30)
    assert "DILARANG" in reply.text


async def test_one_chat_stays_in_order(env):
    fake = env.fake
    user = fake.user(2200)
    questions = ["pns jadi anggota parpol", "/help", "cara daftar CPNS", "boleh gak pns like postingan caleg?"]
    for q in questions:
        fake.send_text(user, q)
    replies = await fake.wait_messages(2200, 4)
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
        fake.send_text(fake.user(2300, username="rahasia_user"), "pns ikut kampanye?")
        [reply] = await fake.wait_messages(2300, 1)
    assert "kesalahan" in reply.text and "Traceback" not in reply.text
    assert "matcher exploded" in caplog.text
    assert TOKEN not in caplog.text and "rahasia_user" not in caplog.text and "2300" not in caplog.text
    group = {"id": -100900, "type": "supergroup", "title": "Kantor"}
    fake.send_text(fake.user(2302), "/tanya pns ikut kampanye?", chat=group)
    [group_reply] = await fake.wait_messages(-100900, 1)
    assert "kesalahan" in group_reply.text
    monkeypatch.undo()
    fake.send_text(fake.user(2301), "pns jadi anggota parpol")
    await fake.wait_messages(2301, 1)


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
