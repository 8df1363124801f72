"""Concurrent updates across chats, in order within one chat, and no chat able to crowd out the others.

python-telegram-bot's own concurrent processing gives no ordering; a lock per chat restores it where it
matters (a user's two quick messages are answered in the order sent) while other chats run in parallel.

The chat's lock is taken *before* one of the Application's concurrency slots (`max_concurrent_updates`),
so an update waiting for its chat holds no slot: a chat that sends 300 messages at once keeps one slot
busy, not all of them, and everyone else is still answered. Each chat's queue is bounded too
(`MAX_WAITING_PER_CHAT`): beyond it, the chat's updates are dropped with a log line (no ids, no text).
Nobody types 50 messages faster than the bot answers them; a client or script that does gets the first
50 answered, in order, and memory and answering time stay bounded for everyone else.

Across replicas (webhook mode on PostgreSQL) a chat's update also holds the chat's lock in the database
(`hold`), taken last: Telegram sends a chat's messages one at a time, but a user's button presses come in a
queue of their own, so a message and a press of one chat can reach two replicas at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 256  # updates being handled at once, across all chats
MAX_WAITING_PER_CHAT = 50  # updates of one chat queued behind the one being handled; more are dropped


@dataclass
class _Queue:
    """One chat's (or, for updates without a chat, one user's) place in line."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0  # being handled, or waiting for the lock
    dropped: int = 0  # since the chat last went idle


Hold = Callable[[int], AbstractAsyncContextManager[object]]  # a lock on a chat (or user) id, across processes


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int | None = None,
        max_waiting_per_chat: int | None = None,
        hold: Hold | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates or MAX_CONCURRENT_UPDATES)
        self.max_waiting_per_chat = MAX_WAITING_PER_CHAT if max_waiting_per_chat is None else max_waiting_per_chat
        self._queues: dict[Hashable, _Queue] = {}
        self._hold = hold

    # python-telegram-bot marks process_update @final (typing only); its version takes a slot first and then
    # calls do_process_update, which is the order that lets one chat's waiters fill every slot.
    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        key = _order_key(update)
        if key is None:  # nothing to keep in order (a poll's state, say): a slot is all it needs
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        queue = self._queues.setdefault(key, _Queue())
        if queue.pending > self.max_waiting_per_chat:  # one being handled plus the waiting ones
            _close(coroutine)
            queue.dropped += 1
            if queue.dropped == 1:
                log.warning("a chat has %d updates waiting; dropping its new ones", self.max_waiting_per_chat)
            return
        queue.pending += 1
        started = False
        try:
            async with queue.lock, self._semaphore, self._held(key[1]):
                started = True
                await self.do_process_update(update, coroutine)
        finally:
            if not started:  # cancelled while waiting (shutdown): the update's coroutine never ran
                _close(coroutine)
            queue.pending -= 1
            if not queue.pending:  # forget idle chats, so memory does not grow with users
                del self._queues[key]
                if queue.dropped:
                    log.warning("dropped %d updates of a chat that sent faster than it was answered", queue.dropped)

    def _held(self, chat_or_user_id: int) -> AbstractAsyncContextManager[object]:
        return self._hold(chat_or_user_id) if self._hold is not None else nullcontext()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _order_key(update: object) -> Hashable | None:
    """Updates of one chat are answered in order; those without a chat (inline queries) are queued per user,
    so that one user's flood of them cannot take every slot either."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


def _close(coroutine: Awaitable[Any]) -> None:
    """An update's coroutine that will never run is closed, or Python warns it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
