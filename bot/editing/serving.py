"""The knowledge being served: the engine built from the newest rule revisions, and the election calendar
from the newest calendar revision, each swapped when it changes.

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

from bot.editing.calendar import CalendarService
from bot.editing.rules import RuleService
from bot.engine import Engine, with_knowledge
from bot.qa.calendar import Calendar
from bot.qa.kb import KnowledgeBase

log = logging.getLogger(__name__)


class ServedKnowledge:
    def __init__(
        self, engine: Engine, rules: RuleService, calendars: CalendarService | None = None,
        calendar: Calendar | None = None,
    ) -> None:  # fmt: skip
        self.engine = engine
        self.version = 0  # the rule revisions `engine` serves
        self.calendar = calendar or Calendar(())
        self.calendar_revision = 0  # the calendar revision `calendar` is (0: the file's, before the database)
        self._rules = rules
        self._calendars = calendars
        self._lock = asyncio.Lock()
        rules.on_change(self.refresh)

    async def refresh(self) -> bool:
        """Serve the rules and the calendar as the database has them now, if they changed; questions asked
        from then on get the new text. True if anything changed."""
        async with self._lock:
            calendar = await self._refresh_calendar()
            if await self._rules.version() == self.version:
                return calendar
            started = time.perf_counter()
            version, kb = await self._rules.knowledge()
            if _same(kb, self.engine.kb):  # at start, the database seeded from the files the engine was built on
                self.version = version
                log.info("serving rule version %d, the rules the bot started with", version)
                return True
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

    async def _refresh_calendar(self) -> bool:
        if self._calendars is None or await self._calendars.number() == self.calendar_revision:
            return False
        revision = await self._calendars.current()
        self.calendar = self._calendars.read(revision, self.engine.kb.rules)
        self.calendar_revision = revision.revision if revision else 0
        for problem in self.calendar.problems:  # refused at import; a rule retired since can still cause one
            log.warning("calendar: %s", problem)
        log.info("serving calendar revision %d", self.calendar_revision)
        return True


def _same(a: KnowledgeBase, b: KnowledgeBase) -> bool:
    """The same rules in the same order, and the same sources and topics: what the matcher and the renderer
    are built from (dict equality alone ignores the order)."""
    return all(
        list(getattr(a, part).items()) == list(getattr(b, part).items())
        for part in ("rules", "retired", "sources", "topics")
    )


def _timed(build: Callable[..., Engine], *args: object) -> tuple[Engine, float]:
    """`build(*args)` and the CPU time its thread spent: wall time far above it means the thread waited."""
    start = time.thread_time()
    return build(*args), time.thread_time() - start
