"""The offline core, assembled: knowledge base, normaliser, matcher and renderer, and `ask`.

Both the command line and the Telegram bot start from `load_engine` and read a question with `ask`;
neither knows how the parts are built.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.presentation.render import Renderer
from bot.qa import followups
from bot.qa.followups import Previous
from bot.qa.kb import KnowledgeBase
from bot.qa.kb_files import NoAnchorLoader, load_knowledge
from bot.qa.matcher import MAX_ALTERNATIVES, Calibration, Candidate, Matcher, MatchResult
from bot.qa.stories import STORY_CHARS, read_story
from bot.qa.text import Lexicon, Normaliser


@dataclass(frozen=True)
class Asked:
    """How a message was read: the text that was matched (a follow-up joined to the question before it),
    the result, and whether it was read as a story touching several rules (`result.candidates`)."""

    query: str
    result: MatchResult
    story: bool = False
    navigation: bool = False  # "bukan itu" alone: other rules for the previous question, not a new question
    follows: str | None = None  # for a follow-up: the question it follows (what the chat keeps remembering)


@dataclass(frozen=True)
class Engine:
    kb: KnowledgeBase
    normaliser: Normaliser
    matcher: Matcher
    renderer: Renderer

    def ask(self, text: str, previous: Previous | None = None) -> Asked:
        """Read `text` as a question, a follow-up of `previous`, a rejection of the last answer, or a story."""
        reading = followups.read(text, previous)
        if reading is not None and reading.kind == "not_this":
            if not reading.query and previous is not None:
                return Asked(previous.question, self.others(previous.question, reading.exclude), navigation=True)
            return Asked(reading.query, _without(self.matcher.match(reading.query), reading.exclude))
        if reading is not None:  # a follow-up: the question before plus the cue, never read as a story
            return Asked(reading.query, self.matcher.match(reading.query), follows=previous.question)
        query = text
        if len(query) >= STORY_CHARS:
            story = read_story(self.matcher, query)
            if len(story.touched) >= 2:
                return Asked(
                    query, MatchResult(query, (), "ambiguous", story.touched, True, story.touched[0].score), True
                )
            if len(story.touched) == 1:
                first = story.touched[0]
                status = "answer" if first.score >= self.matcher.calibration.answer_at else "ambiguous"
                return Asked(query, MatchResult(query, (), status, story.touched, True, first.score))
        return Asked(query, self.matcher.match(query))

    def others(self, question: str, exclude: tuple[str, ...]) -> MatchResult:
        """The next candidates for `question` once `exclude` (the answer given) is ruled out: "Bukan ini?"."""
        if len(question) >= STORY_CHARS:  # a story: the rules its clauses touch, as it was read
            touched = tuple(c for c in read_story(self.matcher, question).touched if c.rule.id not in exclude)
            return MatchResult(question, (), "ambiguous" if touched else "none", touched, True)
        evidence = self.matcher.evidence(question)
        candidates = [
            Candidate(self.matcher.rules[i], 0.0) for i, _ in evidence.ranked if self.matcher.rules[i].id not in exclude
        ]
        return MatchResult(
            question, evidence.tokens, "ambiguous" if candidates else "none", tuple(candidates[:MAX_ALTERNATIVES]), True
        )


def _without(result: MatchResult, exclude: tuple[str, ...]) -> MatchResult:
    """`result` with the excluded rules taken out: what is left is offered, never answered outright."""
    kept = tuple(c for c in result.candidates if c.rule.id not in exclude)
    if kept == result.candidates:
        return result
    return replace(result, status="ambiguous" if kept else "none", candidates=kept)


OUT_OF_SCOPE_FILE = "out_of_scope.yaml"  # questions the matcher learns to refuse
CALIBRATION_FILE = "matcher.yaml"  # how the matcher's evidence becomes a probability (bench/calibrate.py)


def load_engine(knowledge_dir: Path) -> Engine:
    kb = load_knowledge(knowledge_dir)
    normaliser = Normaliser(Lexicon.load(knowledge_dir))
    calibration = Calibration.load(knowledge_dir / CALIBRATION_FILE)
    matcher = Matcher(kb, normaliser, load_out_of_scope(knowledge_dir), calibration)
    return Engine(kb, normaliser, matcher, Renderer(kb))


def load_out_of_scope(knowledge_dir: Path) -> tuple[str, ...]:
    path = knowledge_dir / OUT_OF_SCOPE_FILE
    if not path.is_file():
        return ()
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=NoAnchorLoader) or {}
    return tuple(str(q) for q in data.get("questions") or ())


def with_knowledge(engine: Engine, kb: KnowledgeBase, retrain: bool = True) -> Engine:
    """The engine serving other rules (an admin's edit, an import): the matcher is rebuilt and its model
    retrained (a second or two for the shipped rules), so call it off the event loop; the lexicon, the
    out-of-scope examples, the calibration and the templates are kept. `retrain=False` keeps the old model
    (a tenth of a second): the new text is served at once, matched with the old model until the new one is
    trained (bot/editing/serving.py)."""
    old = engine.matcher
    model = None if retrain else old.model
    matcher = Matcher(kb, engine.normaliser, old.out_of_scope, old.calibration, model)
    return Engine(kb, engine.normaliser, matcher, engine.renderer.for_kb(kb))
