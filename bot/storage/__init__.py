"""Every SQL statement of the bot, one module per table group over the database of database.py (SQLAlchemy over SQLite).

Nothing here holds a Telegram user id: an open draft is known only by a keyed hash (bot/privacy/keys.py), and
nothing else is kept per user.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    picked: str | None = None  # the rule the user opened from the list under it
    resolved: int = 0  # 1 once they said 👍 to that rule
