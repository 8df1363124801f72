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
from tests.chat import Chat
from tests.conftest import KNOWLEDGE

OWNER, OTHER_OWNER = 9101, 9102
EXPIRED = "kedaluwarsa"


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER, OTHER_OWNER})) as e:
        yield e


async def test_inline_results_are_personal_so_each_language_gets_its_own(env):
    indonesian, english = Chat(env.fake, 7001, lang="id"), Chat(env.fake, 7002, lang="en")
    asked = [(chat, chat.send_inline("pns like postingan caleg")) for chat in (indonesian, english)]
    calls = [await chat.inline_answer(query_id) for chat, query_id in asked]
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
    await Chat(env.fake, 7020).say("pns jadi anggota parpol")
    await Chat(env.fake, 7021).say("cara daftar CPNS")
    owners = Chat(env.fake, OWNER), Chat(env.fake, OTHER_OWNER)
    owners[0].send("/stats 7")
    owners[1].send("/stats 30")
    for owner in owners:
        await owner.wait_sent("sendPhoto", timeout=30)
    for owner in owners:
        [chart] = owner.sent("sendPhoto")
        with Image.open(io.BytesIO(chart.params["photo"]["content"])) as img:
            assert img.format == "PNG" and img.size == (880, 385)
            img.verify()


async def test_unanswered_grouping_runs_off_the_event_loop(env, monkeypatch):
    """While /unanswered groups 2,000 questions, another user's question is answered."""
    questions = QuestionStore(env.app.bot_data["services"].store)
    owner, user = Chat(env.fake, OWNER), Chat(env.fake, 7030)
    for i in range(2000):
        await questions.record_question(f"pertanyaan nomor {i} tentang hal {i * 7919 % 1000}", "none", None, 0.0, "id")
    started, answered_meanwhile = threading.Event(), threading.Event()
    real_cluster = unanswered.cluster

    def cluster_that_waits_for_the_other_answer(*args, **kwargs):
        started.set()
        deadline = time.monotonic() + 15  # if this blocked the loop, the answer cannot come at all
        while time.monotonic() < deadline:
            if user.messages:
                answered_meanwhile.set()
                break
            time.sleep(0.01)
        return real_cluster(*args, **kwargs)

    monkeypatch.setattr(unanswered, "cluster", cluster_that_waits_for_the_other_answer)
    owner.send("/unanswered")
    assert await asyncio.to_thread(started.wait, 15)
    user.send("pns jadi anggota parpol")
    [listing] = await owner.replies(1, timeout=30)
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
    m = Matcher(engine.kb, engine.normaliser).lexical
    for i in range(3000):
        m._correct(f"qzx{i}kampanye")
    assert m._nearest_known.cache_info().currsize <= 500
    assert m._correct("kampanyr") == "kampanye"


def test_a_failed_start_is_told_in_one_line_not_a_traceback():
    """python-telegram-bot logs a failed start with its traceback before raising; run_bot prints one line."""
    import logging

    from bot.tg.app import StartFailure

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, message, (), None)

    failed = "Network Retry Loop (Bootstrap Initialize Application): Failed run number 0 of 0. Aborting."
    assert not StartFailure().filter(record(failed))
    assert StartFailure().filter(record("Network Retry Loop (Polling Updates): Failed run number 3"))
