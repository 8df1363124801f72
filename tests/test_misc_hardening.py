"""Hardening from review: inline results per user, forged numbers in buttons, charts drawn in threads,
/unanswered off the event loop, and caches that stay bounded."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time

import pytest
from PIL import Image

from bot.editing import unanswered
from bot.qa import matcher
from bot.qa.matcher import Matcher
from bot.qa.text import WORD_CACHE_SIZE, Lexicon, Normaliser
from bot.storage.questions import QuestionStore
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.conftest import KNOWLEDGE
from tests.tipchat import Chat

OWNER, OTHER_OWNER = 9101, 9102
EXPIRED = "kedaluwarsa"


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER, OTHER_OWNER})) as e:
        yield e


async def test_inline_results_are_personal_so_each_language_gets_its_own(env):
    fake = env.fake
    fake.inline(fake.user(7001, lang="id"), "pns like postingan caleg")
    fake.inline(fake.user(7002, lang="en"), "pns like postingan caleg")
    await fake.wait_for(lambda: len(fake.sent(method="answerInlineQuery")) >= 2)
    calls = fake.sent(method="answerInlineQuery")
    assert all(str(c.params.get("is_personal")).lower() == "true" for c in calls)
    texts = {c.params["results"][0]["input_message_content"]["message_text"] for c in calls}
    assert len(texts) == 2  # the same query, answered in two languages


async def test_forged_huge_numbers_in_buttons_get_the_expired_alert(env, caplog):
    fake = env.fake
    user = Chat(fake, 7010)
    [answer] = await user.say("pns jadi anggota parpol")
    rule_id = env.app.bot_data["services"].engine.matcher.match("pns jadi anggota parpol").candidates[0].rule.id
    owner = Chat(fake, OWNER)
    with caplog.at_level(logging.INFO):
        for data in (f"v:-:{rule_id}:123456789012345678901234567890", f"r:{rule_id}:99999999999999999999999999999"):
            assert EXPIRED in await user.press_for_alert(answer, data)
        [listing] = await owner.say("/unanswered")
        assert EXPIRED in await owner.press_for_alert(listing, "U:t:99999999999999999999999999:")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_as_int_reads_only_what_the_bot_writes():
    assert callbacks.as_int("42") == 42
    assert callbacks.as_int(str(2**63 - 1)) == 2**63 - 1
    for forged in (str(2**63), "9" * 30, "-5", "+5", " 5", "1_000", "٣", "", "x"):
        assert callbacks.as_int(forged) == 0, forged
    assert callbacks.Vote.unpack("v:+:rule:" + "9" * 30) is None
    assert callbacks.Vote.unpack("v:+:rule:12") == callbacks.Vote("+", "rule", 12)


async def test_two_stats_at_once_both_get_a_valid_chart_without_pyplot(env, monkeypatch):
    import matplotlib.pyplot as plt

    def shared_state(*_args, **_kwargs):
        raise AssertionError("pyplot's current figure is one global state shared by every thread")

    monkeypatch.setattr(plt, "figure", shared_state)
    fake = env.fake
    await Chat(fake, 7020).say("pns jadi anggota parpol")
    await Chat(fake, 7021).say("cara daftar CPNS")
    fake.send_text(fake.user(OWNER), "/stats 7")
    fake.send_text(fake.user(OTHER_OWNER), "/stats 30")
    await fake.wait_for(lambda: fake.sent(OWNER, "sendPhoto") and fake.sent(OTHER_OWNER, "sendPhoto"), timeout=30)
    for owner in (OWNER, OTHER_OWNER):
        [chart] = fake.sent(owner, "sendPhoto")
        with Image.open(io.BytesIO(chart.params["photo"]["content"])) as img:
            assert img.format == "PNG" and img.size == (880, 385)
            img.verify()


async def test_unanswered_grouping_runs_off_the_event_loop(env, monkeypatch):
    """While /unanswered groups 2,000 questions, another user's question is answered."""
    fake, questions = env.fake, QuestionStore(env.app.bot_data["services"].store)
    for i in range(2000):
        await questions.record_question(f"pertanyaan nomor {i} tentang hal {i * 7919 % 1000}", "none", None, 0.0, "id")
    started, answered_meanwhile = threading.Event(), threading.Event()
    real_cluster = unanswered.cluster

    def cluster_that_waits_for_the_other_answer(*args, **kwargs):
        started.set()
        deadline = time.monotonic() + 15  # if this blocked the loop, the answer cannot come at all
        while time.monotonic() < deadline:
            if fake.messages_to(7030):
                answered_meanwhile.set()
                break
            time.sleep(0.01)
        return real_cluster(*args, **kwargs)

    monkeypatch.setattr(unanswered, "cluster", cluster_that_waits_for_the_other_answer)
    fake.send_text(fake.user(OWNER), "/unanswered")
    assert await asyncio.to_thread(started.wait, 15)
    fake.send_text(fake.user(7030), "pns jadi anggota parpol")
    [listing] = await fake.wait_messages(OWNER, 1, timeout=30)
    assert answered_meanwhile.is_set()
    assert "pertanyaan nomor" in listing.text


def test_the_word_cache_stays_bounded(engine):
    normaliser = Normaliser(Lexicon.load(KNOWLEDGE))
    for i in range(100_000):
        normaliser.tokens(str(i))  # 100,000 distinct words (numbers: no stemming, so the test is quick)
    assert normaliser._word.cache_info().currsize <= WORD_CACHE_SIZE
    assert normaliser.tokens("boleh gak pns ngelike postingan caleg") == engine.normaliser.tokens(
        "boleh gak pns ngelike postingan caleg"
    )


def test_the_typo_cache_stays_bounded(engine, monkeypatch):
    monkeypatch.setattr(matcher, "TYPO_CACHE_SIZE", 500)  # 100,000 fuzzy look-ups would take seconds
    m = Matcher(engine.kb, engine.normaliser)
    for i in range(3000):
        m._correct(f"qzx{i}kampanye")
    assert m._nearest_known.cache_info().currsize <= 500
    assert m._correct("kampanyr") == "kampanye"
