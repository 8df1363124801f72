"""Retries of outgoing calls: only where Telegram surely did not act on the request, so no reply is lost to a
flaky connection and none is shown twice after a timeout (bot/tg/ratelimit.py)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.tg.ratelimit import is_safe_to_retry
from tests.botenv import TOKEN, running_bot
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram

QUESTION = "pns jadi anggota parpol"


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", retry_backoff=0.05) as bot_env:
        yield bot_env


def answers_sent(chat: Chat) -> list:
    return [c for c in chat.messages if c.method == "sendMessage" and "DILARANG" in (c.text or "")]


async def test_a_reply_answered_after_the_read_timeout_is_not_sent_again(env):
    fake = env.fake
    fake.fail("sendMessage", "stall", chat_id=4001)  # Telegram shows the reply, but answers after 6 s
    chat = Chat(fake, 4001)
    await chat.say(QUESTION, timeout=30)
    await asyncio.sleep(fake.stall_seconds + 1.0)  # the client gave up at 5 s; a retry would come now
    assert len(answers_sent(chat)) == 1
    # exactly one call: no second copy of the answer, and no "an error occurred" after an answer arrived
    assert len([c for c in fake.calls if c.method == "sendMessage" and str(c.params.get("chat_id")) == "4001"]) == 1


async def test_bad_gateway_and_a_dropped_connection_are_retried(env):
    fake = env.fake
    fake.fail("sendMessage", "502", chat_id=4002)
    fake.fail("sendMessage", "drop", chat_id=4002)
    chat = Chat(fake, 4002)
    chat.send(QUESTION)
    await fake.wait_for(lambda: answers_sent(chat), timeout=30)
    await asyncio.sleep(0.3)
    assert len(answers_sent(chat)) == 1
    assert [c.error for c in fake.calls if c.error and c.error.startswith("fault")] == ["fault 502", "fault drop"]


async def _error_of(call) -> NetworkError:
    with pytest.raises(NetworkError) as caught:
        await call
    return caught.value


async def test_which_failures_are_safe_to_send_again():
    """The exceptions python-telegram-bot really raises (over HTTP to the fake), classified."""
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    fake.stall_seconds = 1.0
    bot = Bot(TOKEN, base_url=f"{base}/bot", request=HTTPXRequest(read_timeout=0.3))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    nobody = Bot(TOKEN, base_url=f"http://127.0.0.1:{closed_port}/bot")
    try:
        await bot.initialize()
        expected = {"502": True, "500": True, "drop": True, "stall": False}
        for kind, safe in expected.items():
            fake.fail("sendMessage", kind)
            error = await _error_of(bot.send_message(1, "hai"))
            assert is_safe_to_retry(error) is safe, (kind, repr(error), repr(error.__cause__))
        refused = await _error_of(nobody.get_me())  # connection refused: nothing was sent
        assert is_safe_to_retry(refused)
        bad_request = await _error_of(bot.send_message(1, "<b>unclosed", parse_mode="HTML"))
        assert not is_safe_to_retry(bad_request)
    finally:
        await bot.shutdown()
        await fake.stop()
