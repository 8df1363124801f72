"""SQL for the questions people ask and the votes on answers: recording them, the editors' /unanswered list,
the /stats figures and retention. Rows carry days, never a user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.storage import QuestionRecord
from bot.storage.database import Database, today_iso

OPEN_LIMIT = 1000  # the newest open questions /unanswered groups


@dataclass(frozen=True)
class OpenQuestion:
    """A question nobody could answer, as the grouping needs it (plain data, safe to hand to a thread)."""

    id: int
    query: str
    down: bool  # has a 👎
    picked: str | None = None  # the rule the user opened from the list under it


@dataclass(frozen=True)
class VoteCount:
    rule_id: str
    up: int
    down: int


class QuestionStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    # ------------------------------------------------------------------ asking and voting

    async def record_question(self, query: str, status: str, rule_id: str | None, confidence: float, lang: str) -> int:
        return await self.store.insert(
            "INSERT INTO questions (asked_at, query, status, rule_id, confidence, lang) VALUES (?, ?, ?, ?, ?, ?)",
            (today_iso(), query, status, rule_id, confidence, lang),
        )

    async def get_question(self, question_id: int) -> QuestionRecord | None:
        row = await self.store.fetchone("SELECT * FROM questions WHERE id = ?", (question_id,))
        return QuestionRecord(**dict(row)) if row else None

    async def record_vote(self, rule_id: str, question_id: int | None, vote: int) -> bool:
        """One vote per answered question, for a rule it was answered with (or offered, for a choice list);
        False for anything else, such as a forged or repeated press. A rule opened by browsing has no
        question: its vote counts for the rule alone, as does a vote on a rule picked from the list under an answer
        that already had its vote (after a 👎)."""
        question = await self.get_question(question_id) if question_id else None
        picked = question is not None and question.picked == rule_id
        other_rule = question is not None and question.status == "answer" and question.rule_id != rule_id
        if question_id and (question is None or (other_rule and not picked)):
            return False
        insert = "INSERT INTO votes (voted_at, rule_id, question_id, query, vote) VALUES (?, ?, ?, ?, ?) "
        async with self.store.transaction() as db:  # the text stays with its question
            values = (today_iso(), rule_id, question_id or None, None, vote)
            counted = await db.run(insert + "ON CONFLICT DO NOTHING", values) == 1
            if picked and not counted:  # the question's one vote went to its first answer: this counts for the rule
                await db.run(insert, (today_iso(), rule_id, None, None, vote))
                counted = True
            if picked and vote == 1:  # a 👍 on the rule picked from the list: the question found its answer
                await db.run("UPDATE questions SET resolved = 1 WHERE id = ?", (question_id,))
            return counted

    async def record_pick(self, question_id: int, rule_id: str) -> None:
        """The user opened `rule_id` from the list under their question (the latest pick counts)."""
        async with self.store.transaction() as db:
            await db.run("UPDATE questions SET picked = ? WHERE id = ? AND reviewed IS NULL", (rule_id, question_id))

    # ------------------------------------------------------------------ /unanswered

    async def open_questions(self, since: str) -> list[OpenQuestion]:
        """Questions asked since `since` that no editor has reviewed and that went unanswered (no match, a
        choice list, or a 👎), newest first; not those the user resolved by a 👍 on a rule picked from the list."""
        rows = await self.store.fetchall(
            "SELECT q.id, q.query, q.status, q.picked, EXISTS (SELECT 1 FROM votes v WHERE v.question_id = q.id AND "
            "v.vote = -1) AS down FROM questions q WHERE q.reviewed IS NULL AND q.resolved = 0 AND q.asked_at >= ? "
            "AND (q.status != 'answer' OR "
            "EXISTS (SELECT 1 FROM votes v WHERE v.question_id = q.id AND v.vote = -1)) ORDER BY q.id DESC LIMIT ?",
            (since, OPEN_LIMIT),
        )
        return [OpenQuestion(row["id"], row["query"], bool(row["down"]), row["picked"]) for row in rows]

    async def mark_reviewed(self, question_ids: tuple[int, ...], how: str) -> None:
        """`how`: attached or dismissed, by an editor."""
        marks = ",".join("?" * len(question_ids))
        async with self.store.transaction() as db:
            await db.run(f"UPDATE questions SET reviewed = ? WHERE id IN ({marks})", (how, *question_ids))

    # ------------------------------------------------------------------ /stats

    async def per_day(self, since: str) -> list[tuple[str, str, int]]:
        """(ISO day, status, count) of the questions asked since `since`, by day."""
        rows = await self.store.fetchall(
            "SELECT asked_at AS day, status, COUNT(*) AS n FROM questions WHERE asked_at >= ? "
            "GROUP BY day, status ORDER BY day",
            (since,),
        )
        return [(row["day"], row["status"], row["n"]) for row in rows]

    async def vote_counts(self, since: str, limit: int = 10) -> list[VoteCount]:
        """The rules voted on since `since`, most 👎 first."""
        rows = await self.store.fetchall(
            "SELECT rule_id, SUM(CASE WHEN vote = 1 THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN vote = -1 THEN 1 ELSE 0 END) AS down FROM votes WHERE voted_at >= ? "
            "GROUP BY rule_id ORDER BY down DESC, up DESC LIMIT ?",
            (since, limit),
        )
        return [VoteCount(row["rule_id"], row["up"], row["down"]) for row in rows]

    async def low_confidence(self, since: str, below: float, limit: int = 5) -> tuple[int, list[tuple[str, str, int]]]:
        """How many questions since `since` were answered with a probability under `below`, and the most
        asked of them: (lower-cased question, the rule answered, times asked)."""
        where = "FROM questions WHERE asked_at >= ? AND status = 'answer' AND confidence < ?"
        count = await self.store.fetchone(f"SELECT COUNT(*) AS n {where}", (since, below))
        rows = await self.store.fetchall(
            f"SELECT lower(query) AS q, rule_id, COUNT(*) AS n {where} GROUP BY q, rule_id ORDER BY n DESC LIMIT ?",
            (since, below, limit),
        )
        return count["n"], [(row["q"], row["rule_id"], row["n"]) for row in rows]

    async def top_unanswered(self, since: str, limit: int = 5) -> list[tuple[str, int]]:
        """(lower-cased question, times asked) of the questions with no match since `since`, most asked first."""
        rows = await self.store.fetchall(
            "SELECT lower(query) AS q, COUNT(*) AS n FROM questions WHERE asked_at >= ? AND status = 'none' "
            "GROUP BY q ORDER BY n DESC LIMIT ?",
            (since, limit),
        )
        return [(row["q"], row["n"]) for row in rows]

    # ------------------------------------------------------------------ retention

    async def forget_questions(self, matching: Callable[[str], bool]) -> int:
        """Delete stored questions whose text `matching` flags (receipt codes recorded before that was
        refused)."""
        rows = await self.store.fetchall("SELECT id, query FROM questions")
        doomed = [(row["id"],) for row in rows if matching(row["query"])]
        if doomed:
            async with self.store.transaction() as db:
                await db.many("DELETE FROM votes WHERE question_id = ?", doomed)
                await db.many("DELETE FROM questions WHERE id = ?", doomed)
        return len(doomed)

    async def purge_questions(self, before: date) -> int:
        """Questions and votes older than the retention period: they served /unanswered and /stats."""
        async with self.store.transaction() as db:
            await db.run("DELETE FROM votes WHERE voted_at < ?", (before.isoformat(),))
            return await db.run("DELETE FROM questions WHERE asked_at < ?", (before.isoformat(),))
