"""The knowledge being served: the engine built from the newest rule revisions, swapped when they change.

A change made here (an edit, a rollback, a phrasing taught through /unanswered) swaps it at once:
`RuleService` calls `refresh` after every change it commits. A change made by another process or replica
(`kb import`, an edit elsewhere) arrives by PostgreSQL's NOTIFY (bot/tg/app.py), or by the polling job on
SQLite, which call `refresh` too. The new text is served within a tenth of a second, with the intent model
already in hand; the model trained on the new rules (a second or two) replaces it when ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.editing.rules import RuleService
from bot.engine import Engine, with_knowledge

log = logging.getLogger(__name__)


class ServedKnowledge:
    def __init__(self, engine: Engine, rules: RuleService) -> None:
        self.engine = engine
        self.version = 0  # the rule revisions `engine` serves
        self._rules = rules
        self._lock = asyncio.Lock()
        rules.on_change(self.refresh)

    async def refresh(self) -> bool:
        """Serve the rules as the database has them now, if they changed; questions asked from then on get
        the new text. True if anything changed."""
        async with self._lock:
            if await self._rules.version() == self.version:
                return False
            started = time.perf_counter()
            version, kb = await self._rules.knowledge()
            # the new text at once, with the old intent model; then the model trained on it (1-2 s of CPU)
            self.engine = await asyncio.to_thread(with_knowledge, self.engine, kb, False)
            self.version = version
            served = time.perf_counter()
            self.engine, cpu = await asyncio.to_thread(_timed, with_knowledge, self.engine, kb)
            log.info(
                "serving rule version %d after %.2f s; its model trained in %.2f s more (%.2f s of CPU)",
                version, served - started, time.perf_counter() - served, cpu,
            )  # fmt: skip
            return True


def _timed(build: Callable[..., Engine], *args: object) -> tuple[Engine, float]:
    """`build(*args)` and the CPU time its thread spent: wall time far above it means the thread waited."""
    start = time.thread_time()
    return build(*args), time.thread_time() - start
