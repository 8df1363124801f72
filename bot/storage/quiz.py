"""SQL for the quiz's figures: per day and scenario, how often it was answered and how often wrongly. Counts
only: nothing says who answered, in which chat, or when within the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.storage.database import Database, today_iso


@dataclass(frozen=True)
class ScenarioCount:
    scenario: str  # "<rule id>#<n>"
    answered: int
    wrong: int


class QuizStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    async def record(self, answers: list[tuple[str, bool]]) -> None:
        """`answers`: (scenario, answered wrongly) for each answer given, counted into today's row."""
        if not answers:
            return
        day = today_iso()
        async with self.store.transaction() as db:
            for scenario, wrong in answers:
                await db.run(
                    "INSERT INTO quiz_answers (day, scenario, answered, wrong) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT (day, scenario) DO UPDATE SET answered = quiz_answers.answered + 1, "
                    "wrong = quiz_answers.wrong + excluded.wrong",
                    (day, scenario, int(wrong)),
                )

    async def counts(self, since: date) -> list[ScenarioCount]:
        """Every scenario answered since `since`, the most often wrong first."""
        rows = await self.store.fetchall(
            "SELECT scenario, SUM(answered) AS answered, SUM(wrong) AS wrong FROM quiz_answers WHERE day >= ? "
            "GROUP BY scenario ORDER BY SUM(wrong) DESC, SUM(answered) DESC, scenario",
            (since.isoformat(),),
        )
        return [ScenarioCount(row["scenario"], int(row["answered"]), int(row["wrong"])) for row in rows]
