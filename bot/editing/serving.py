"""The knowledge being served: the engine built from the newest rule revisions, swapped when they change.

A change made here (an edit, a rollback, a phrasing taught through /unanswered) swaps it at once:
`RuleService` calls `refresh` after every change it commits. A change made by another process
(`kb import`) is picked up by the bot's polling job, which calls `refresh` too.
"""

from __future__ import annotations

import asyncio

from bot.editing.rules import RuleService
from bot.engine import Engine, with_knowledge


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
            version, kb = await self._rules.knowledge()
            self.engine = await asyncio.to_thread(with_knowledge, self.engine, kb)
            self.version = version
            return True
