"""Questions nobody could answer (no match, a "did you mean" list, or a 👎), grouped for editors.

An editor attaches a group to a rule, which teaches the rule that phrasing as a new revision (the matcher
is rebuilt at once), or dismisses it. Nothing here knows Telegram; bot/tg/handlers/staff/unanswered.py shows it.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rapidfuzz import fuzz

from bot.editing.rules import RuleService
from bot.engine import Engine
from bot.storage.database import Database
from bot.storage.questions import OpenQuestion, QuestionStore

SIMILAR = 85  # token_set_ratio between normalised questions that puts them in one group


MAX_PHRASING = 300
_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class QuestionGroup:
    id: int  # the newest question's id: buttons name the group by it
    number: int  # the oldest question's id: what editors see, the same after every action and on every page
    text: str
    count: int
    downvoted: int
    ids: tuple[int, ...]
    picked: str | None  # the rule the users opened most from the list under these questions
    suggestions: tuple[str, ...]  # that rule first, then the ones the matcher thinks closest


def clean_phrasing(text: str) -> str:
    """A question as a phrasing to teach: one line, no links, at most MAX_PHRASING characters."""
    return " ".join(_URL.sub(" ", text).split())[:MAX_PHRASING].strip()


def cluster(engine: Engine, questions: list[OpenQuestion], limit: int) -> list[QuestionGroup]:
    """Questions (newest first) grouped by similar wording, the largest `limit` groups first. CPU-bound, and
    touches nothing but the engine: run it in a thread."""
    clusters: list[tuple[str, list[OpenQuestion]]] = []
    for question in questions:
        norm = engine.normaliser.normalise(question.query) or question.query.lower()
        for rep, members in clusters:
            if fuzz.token_set_ratio(norm, rep) >= SIMILAR:
                members.append(question)
                break
        else:
            clusters.append((norm, [question]))
    clusters.sort(key=lambda c: (len(c[1]), -c[1][-1].id), reverse=True)  # largest, then oldest, first
    groups = []
    for _rep, members in clusters[:limit]:
        first = members[0]
        result = engine.matcher.match(first.query)
        picks = Counter(m.picked for m in members if m.picked in engine.kb.rules)
        picked = picks.most_common(1)[0][0] if picks else None
        guesses = [c.rule.id for c in result.candidates if c.rule.id != picked]
        groups.append(
            QuestionGroup(
                id=first.id,
                number=members[-1].id,
                text=first.query,
                count=len(members),
                downvoted=sum(1 for m in members if m.down),
                ids=tuple(m.id for m in members),
                picked=picked,
                suggestions=tuple(([picked] if picked else []) + guesses)[:2],
            )
        )
    return groups


class UnansweredService:
    def __init__(self, store: Database, rules: RuleService) -> None:
        self.questions = QuestionStore(store)
        self.rules = rules

    async def groups(self, engine: Engine, days: int = 30, limit: int = 1000) -> list[QuestionGroup]:
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
        questions = await self.questions.open_questions(since)
        # comparing every question with every group is about 300 ms for 1,000 questions: off the event loop,
        # so everyone else is answered meanwhile (the normaliser's and matcher's caches are thread-safe)
        return await asyncio.to_thread(cluster, engine, questions, limit)

    async def attach(
        self, engine: Engine, group: QuestionGroup, rule_id: str, editor_id: int, phrasing: str | None = None
    ) -> bool:
        """Teach the group to `rule_id`: the editor's tidied `phrasing`, or the question as asked, cleaned."""
        text = clean_phrasing(phrasing if phrasing is not None else group.text)
        if rule_id not in engine.kb.rules or len(text) < 3:
            return False
        await self.rules.add_phrasing(rule_id, text, str(editor_id))
        await self.questions.mark_reviewed(group.ids, "attached")
        return True

    async def dismiss(self, group: QuestionGroup) -> None:
        await self.questions.mark_reviewed(group.ids, "dismissed")


def find(groups: list[QuestionGroup], question_id: int) -> tuple[int, QuestionGroup] | None:
    """The position and group of the open group that holds `question_id`, if it is still open."""
    return next(((i, g) for i, g in enumerate(groups) if question_id in g.ids), None)
