"""The scenario quiz: which scenarios a round asks, and the round's state as it is answered.

A scenario's answer is its rule's verdict and its article the rule's first checked basis (bot/qa/kb.py), so the quiz
cannot teach anything the rules do not say. A round picks scenarios of every verdict in turn, each of another
act, so it is not ten prohibitions in a row.

State lives in the short-lived store (this process's memory, or Redis with replicas) for an hour, under a keyed
hash of the chat: a private round's score, or a group round's answers and leaderboard by first name, for that
session only. The database gets counts only (bot/storage/quiz.py): per scenario and day, answered and wrong.
Each answer is its own key, set once (`add`), so a double tap, a redelivered press or two replicas cannot count
one twice, and the reveal of a group scenario is claimed once however many timers and late presses ask for it.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from bot.qa.kb import JUDGING, KnowledgeBase, Rule, Scenario
from bot.storage.ephemeral import EphemeralStore
from bot.storage.quiz import QuizStore

ROUND_SIZE = 10
MIN_ROUND, MAX_ROUND = 3, 10
SESSION_SECONDS = 3600  # a round left alone this long is forgotten
STALE_GRACE = 60  # a group round whose reveal is this late (its replica died) may be replaced by a new /kuis
TO_REREAD = 3  # rules named at the end of a private round


@dataclass(frozen=True)
class Question:
    """A scenario as the quiz asks it, with the rule that answers it."""

    id: str  # "<rule id>#<n>", n from 1: what the figures count
    rule: Rule
    scenario: Scenario

    @property
    def answer(self) -> str:
        return self.rule.verdict

    def text(self, lang: str) -> str:
        return self.scenario.text_en if lang == "en" else self.scenario.text

    def why(self, lang: str) -> str:
        return self.scenario.why_en if lang == "en" else self.scenario.why


def questions(kb: KnowledgeBase) -> dict[str, Question]:
    """Every scenario of the rules in service."""
    return {
        f"{rule.id}#{n}": Question(f"{rule.id}#{n}", rule, scenario)
        for rule in kb.rules.values()
        if rule.verdict in JUDGING and not rule.retired
        for n, scenario in enumerate(rule.scenarios, 1)
    }


def pick(pool: dict[str, Question], count: int, rng: random.Random) -> list[str]:
    """`count` scenarios (fewer if the pool is small), the verdicts taken in turn, no two of one rule or act."""
    by_verdict: dict[str, list[Question]] = {v: [] for v in JUDGING}
    for question in pool.values():
        by_verdict[question.answer].append(question)
    for bucket in by_verdict.values():
        rng.shuffle(bucket)
    order = list(JUDGING)
    rng.shuffle(order)
    chosen: list[Question] = []
    seen: set[str] = set()
    while len(chosen) < count and any(by_verdict.values()):
        for verdict in order:
            bucket = by_verdict[verdict]
            while bucket and len(chosen) < count:
                question = bucket.pop()
                marks = {question.rule.id, question.rule.act or question.rule.id}
                if not marks & seen:
                    chosen.append(question)
                    seen |= marks
                    break
    rng.shuffle(chosen)
    return [q.id for q in chosen]


@dataclass
class Round:
    """One quiz in one chat."""

    token: str  # tells this round's buttons from an earlier round's
    items: list[str]
    lang: str
    index: int = 0  # the scenario being asked
    group: bool = False
    score: int = 0  # private: right answers
    missed: list[str] = field(default_factory=list)  # private: scenarios answered wrongly
    starter: str = ""  # group: keyed hash of who started it (who may stop it)
    seconds: float = 0  # group: time to answer each scenario
    deadline: float = 0  # group: epoch seconds when the current scenario is revealed
    message_id: int = 0  # group: the message asking the current scenario
    scores: dict[str, int] = field(default_factory=dict)  # group: keyed hash -> right answers
    names: dict[str, str] = field(default_factory=dict)  # group: keyed hash -> first name, this session only

    @property
    def finished(self) -> bool:
        return self.index >= len(self.items)

    @property
    def current(self) -> str | None:
        return None if self.finished else self.items[self.index]

    def leaderboard(self) -> list[tuple[str, int]]:
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], self.names.get(kv[0], "")))
        return [(self.names.get(key, "?"), score) for key, score in ranked]


@dataclass(frozen=True)
class Answered:
    """A private answer: was it right, and where the round stands now."""

    question: str
    chosen: str
    right: bool
    round: Round


@dataclass(frozen=True)
class Revealed:
    """A group scenario closed: how the members answered, who was right, where the round stands now."""

    question: str
    tally: Counter[str]
    right: list[str]  # first names
    round: Round
    message_id: int  # the message that asked it (0: unknown)


class QuizService:
    def __init__(self, ephemeral: EphemeralStore, store: QuizStore, key_of: Callable[[int], str]) -> None:
        self._ephemeral = ephemeral
        self._store = store
        self._key_of = key_of

    def _key(self, chat_id: int, *parts: object) -> str:
        return ":".join(["quiz", self._key_of(chat_id), *map(str, parts)])

    async def current(self, chat_id: int) -> Round | None:
        raw = await self._ephemeral.get(self._key(chat_id))
        return Round(**json.loads(raw)) if raw is not None else None

    async def _save(self, chat_id: int, rnd: Round) -> None:
        await self._ephemeral.set(self._key(chat_id), json.dumps(asdict(rnd)).encode(), SESSION_SECONDS)

    async def start(
        self, chat_id: int, pool: dict[str, Question], lang: str, count: int = ROUND_SIZE,
        starter: int | None = None, seconds: float = 0, rng: random.Random | None = None,
    ) -> Round | None:  # fmt: skip
        """A new round, replacing a private chat's; None in a group whose round is still going."""
        group = starter is not None
        if group and (running := await self.current(chat_id)) is not None and not self._stale(running):
            return None
        items = pick(pool, count, rng or random.Random(secrets.randbits(64)))
        if not items:
            return None
        rnd = Round(secrets.token_hex(3), items, lang, group=group, seconds=seconds)
        if group:
            rnd.starter = self._key_of(starter)
            rnd.deadline = time.time() + seconds
        await self._save(chat_id, rnd)
        return rnd

    def _stale(self, rnd: Round) -> bool:
        return rnd.finished or time.time() > rnd.deadline + STALE_GRACE

    async def asked(self, chat_id: int, rnd: Round, message_id: int) -> None:
        """The group message asking the current scenario, for the reveal to close."""
        current = await self.current(chat_id)
        if current is not None and current.token == rnd.token and current.index == rnd.index:
            current.message_id = message_id
            await self._save(chat_id, current)

    async def answer(
        self, chat_id: int, token: str, index: int, choice: str, pool: dict[str, Question]
    ) -> Answered | None:
        """A private answer to scenario `index` of round `token`; None if that is not the question being asked
        (an old button, a second tap)."""
        rnd = await self.current(chat_id)
        if rnd is None or rnd.group or rnd.token != token or rnd.index != index or choice not in JUDGING:
            return None
        if not await self._ephemeral.add(self._key(chat_id, token, index), b"1", SESSION_SECONDS):
            return None
        question = pool.get(rnd.items[index])
        if question is None:  # its rule was retired or its scenario removed mid-round
            rnd.items.pop(index)
            await self._save(chat_id, rnd)
            return None
        right = choice == question.answer
        rnd.index += 1
        rnd.score += right
        if not right:
            rnd.missed.append(question.id)
        await self._save(chat_id, rnd)
        await self._store.record([(question.id, not right)])
        return Answered(question.id, choice, right, rnd)

    async def vote(self, chat_id: int, token: str, index: int, user_id: int, first_name: str, choice: str) -> str:
        """A member's answer in a group: "counted", "again" (they had answered), "late" (time is up: reveal it)
        or "closed" (not the scenario being asked)."""
        rnd = await self.current(chat_id)
        if rnd is None or not rnd.group or rnd.token != token or rnd.index != index or choice not in JUDGING:
            return "closed"
        if time.time() >= rnd.deadline:
            return "late"
        value = json.dumps({"c": choice, "n": first_name[:64]}).encode()
        added = await self._ephemeral.add(
            self._key(chat_id, token, index, self._key_of(user_id)), value, SESSION_SECONDS
        )
        return "counted" if added else "again"

    async def reveal(self, chat_id: int, token: str, index: int, pool: dict[str, Question]) -> Revealed | None:
        """Close scenario `index`: tally its answers, score them, count them. Once: None for a second call, a
        round that moved on or was stopped."""
        rnd = await self.current(chat_id)
        if rnd is None or not rnd.group or rnd.token != token or rnd.index != index:
            return None
        if not await self._ephemeral.add(self._key(chat_id, token, index, "shown"), b"1", SESSION_SECONDS):
            return None
        prefix = self._key(chat_id, token, index) + ":"
        found = [(k.removeprefix(prefix), json.loads(v)) for k, v in await self._ephemeral.scan(prefix)]
        found = [(key, a) for key, a in found if key != "shown"]
        question = pool.get(rnd.items[index])
        tally: Counter[str] = Counter(a["c"] for _, a in found)
        right: list[str] = []
        if question is not None:
            for key, a in found:
                rnd.names[key] = a["n"]
                rnd.scores.setdefault(key, 0)
                if a["c"] == question.answer:
                    rnd.scores[key] += 1
                    right.append(a["n"])
            await self._store.record([(question.id, a["c"] != question.answer) for _, a in found])
        asked_in, rnd.message_id = rnd.message_id, 0
        rnd.index += 1
        rnd.deadline = time.time() + rnd.seconds
        await self._save(chat_id, rnd)
        return Revealed(rnd.items[index], tally, sorted(right), rnd, asked_in)

    async def stop(self, chat_id: int, user_id: int | None = None) -> Round | None:
        """End the chat's round (in a group, only who started it may); the round as it stood, or None."""
        rnd = await self.current(chat_id)
        if rnd is None or (rnd.group and user_id is not None and self._key_of(user_id) != rnd.starter):
            return None
        await self._ephemeral.delete(self._key(chat_id))
        return rnd
