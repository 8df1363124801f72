"""Storage behind a small repository interface, so another backend can replace SQLite later.

Nothing here holds a Telegram user id: an open draft is known only by a keyed hash (bot/privacy/keys.py), and
nothing else is kept per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    asked_at: str  # the day
    query: str
    status: str  # answer | ambiguous | none
    rule_id: str | None
    confidence: float
    lang: str
    reviewed: str | None = None  # attached | dismissed, by an editor in /unanswered


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def record_question(
        self, query: str, status: str, rule_id: str | None, confidence: float, lang: str
    ) -> int: ...

    async def get_question(self, question_id: int) -> QuestionRecord | None: ...

    async def record_vote(self, rule_id: str, question_id: int | None, vote: int) -> bool: ...
