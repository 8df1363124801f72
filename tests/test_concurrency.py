"""One chat flooding the bot must not stall the others (bot/tg/updates.py): a chat waits for its own turn
without holding one of the Application's concurrency slots, and its queue is bounded."""

from __future__ import annotations

import asyncio
import logging

import pytest

import bot.tg.app
from bot.tg import updates
from bot.tg.handlers.public import questions
from tests.botenv import running_bot
from tests.chat import Chat

FLOODER, OTHER = 5001, 5002
QUESTION = "pns jadi anggota parpol"


@pytest.fixture
def gate(monkeypatch) -> asyncio.Event:
    """The flooding chat's questions wait here until the test opens it: a chat whose answer is slow."""
    opened = asyncio.Event()
    original = questions.answer_question

    async def slow_for_the_flooder(message, context, question):
        if message.chat.id == FLOODER:
            await opened.wait()
        await original(message, context, question)

    monkeypatch.setattr(questions, "answer_question", slow_for_the_flooder)
    return opened


async def _other_chat_is_answered_during_a_flood(tmp_path, gate: asyncio.Event, beyond_slots: int) -> tuple[int, list]:
    """One chat sends `beyond_slots` more questions than the Application has slots, then another chat one;
    the other's answer must come while the flooding chat is still stuck on its first. Returns the size of
    the flood and the flooding chat's answers once it is let through."""
    async with running_bot(tmp_path / "data") as env:
        flooder, other = Chat(env.fake, FLOODER), Chat(env.fake, OTHER)
        flood = env.app.update_processor.max_concurrent_updates + beyond_slots
        try:
            for _ in range(flood):
                flooder.send(QUESTION)
            [answer] = await other.say(QUESTION, timeout=20)
            assert "DILARANG" in answer.text
            assert flooder.messages == []  # still on its first question
        finally:
            gate.set()  # else the Application waits for the flood forever when it stops
        await flooder.replies(min(flood, 1 + updates.MAX_WAITING_PER_CHAT), timeout=60)
        await asyncio.sleep(0.3)  # nothing more comes
        return flood, flooder.messages


async def test_a_flood_beyond_every_slot_leaves_other_chats_answered_and_is_cut_at_the_queue_bound(
    tmp_path, gate, caplog
):
    with caplog.at_level(logging.WARNING, logger="bot.tg.updates"):
        flood, answered = await _other_chat_is_answered_during_a_flood(tmp_path, gate, 44)  # 300 of 256 slots
    # the first one, then the 50 that waited behind it; the rest was dropped and logged
    assert len(answered) == 1 + updates.MAX_WAITING_PER_CHAT
    drops = [r.getMessage() for r in caplog.records if r.name == "bot.tg.updates"]
    assert f"dropped {flood - 1 - updates.MAX_WAITING_PER_CHAT} updates" in drops[-1]
    assert not [m for m in drops if str(FLOODER) in m or "parpol" in m]  # no user data in the log


async def test_a_chat_waiting_for_its_turn_holds_no_slot(tmp_path, gate, monkeypatch):
    """With 4 slots and a flood of 10 (within the per-chat bound, so nothing is dropped), the other chat
    still gets a slot: the flooding chat's 9 waiting updates hold none."""

    class FourSlots(updates.PerChatUpdateProcessor):
        def __init__(self, _max_concurrent_updates: int | None = None, **kwargs) -> None:
            super().__init__(4, **kwargs)  # on PostgreSQL, `hold` too: the chat's advisory lock

    monkeypatch.setattr(bot.tg.app, "PerChatUpdateProcessor", FourSlots)
    flood, answered = await _other_chat_is_answered_during_a_flood(tmp_path, gate, 6)
    assert flood == 10 and len(answered) == 10
