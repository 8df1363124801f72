"""Scoring a matcher against a labelled question set (the dev set's format).

An item of kind `rule` is right when the answer's rule has one of the accepted verdicts and cites one of
the accepted sources (when given); `info` when it cites one of the sources; `out` when nothing is answered.
Used by the accuracy report (bench/accuracy.py) and by the regression tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.qa.kb import Rule

# A matcher under test: question -> the rule it answers with, or None when it declines.
Answerer = Callable[[str], Rule | None]


@dataclass(frozen=True)
class Item:
    q: str
    kind: str
    verdicts: tuple[str, ...] = ()
    sources: tuple[str, ...] | None = None


@dataclass
class Score:
    in_scope: int = 0
    in_scope_right: int = 0
    out_scope: int = 0
    out_scope_refused: int = 0
    misses: list[tuple[Item, str | None]] = field(default_factory=list)

    @property
    def in_scope_rate(self) -> float:
        return self.in_scope_right / self.in_scope if self.in_scope else 0.0

    @property
    def refusal_rate(self) -> float:
        return self.out_scope_refused / self.out_scope if self.out_scope else 0.0


def load_items(path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = []
    for raw in data["items"]:
        sources = raw.get("sources")
        items.append(
            Item(
                q=str(raw["q"]),
                kind=raw["kind"],
                verdicts=tuple(raw.get("verdict") or ()),
                sources=tuple(sources) if sources else None,
            )
        )
    return items


def is_right(item: Item, rule: Rule | None) -> bool:
    if item.kind == "out":
        return rule is None
    if rule is None:
        return False
    if item.kind == "rule" and rule.verdict not in item.verdicts:
        return False
    return item.sources is None or any(b.source in item.sources for b in rule.basis)


def evaluate(items: Iterable[Item], answer: Answerer) -> Score:
    score = Score()
    for item in items:
        rule = answer(item.q)
        right = is_right(item, rule)
        if item.kind == "out":
            score.out_scope += 1
            score.out_scope_refused += right
        else:
            score.in_scope += 1
            score.in_scope_right += right
        if not right:
            score.misses.append((item, rule.id if rule else None))
    return score


# --- The real-question corpus (corpus/questions.yaml, bench/corpus.py) ------------------------------------


@dataclass(frozen=True)
class Reply:
    """What a system did with a question: one confident answer, a list to choose from, or nothing."""

    status: str  # "answer" | "choices" | "none"
    rules: tuple[str, ...] = ()  # the answer's rule, or the choices in order


Replier = Callable[[str], Reply]
SCORED_KINDS = ("rule", "info", "out")  # "unclear" items (a fragment, a rhetorical question) are not scored


@dataclass
class CorpusScore:
    """Strict: the one confident answer is a rule that answers the question (or, out of scope, nothing is
    answered). One-tap: that, or the right rule first in the choices. Confident-wrong: a confident answer
    that is not right; `wrong_verdict` counts those whose verdict is wrong too (or that answer an
    out-of-scope question at all), the worst case."""

    scored: int = 0
    strict: int = 0
    one_tap: int = 0
    confident_wrong: int = 0
    wrong_verdict: int = 0
    misses: list[tuple[str, str, Reply]] = field(default_factory=list)  # (id, question, reply)

    def rate(self, count: int) -> float:
        return count / self.scored if self.scored else 0.0


def score_corpus(questions: Iterable, reply: Replier, verdicts: Callable[[str], str | None]) -> CorpusScore:
    """`questions` are bench.corpus.Question items; `verdicts(rule_id)` gives a rule's verdict."""
    score = CorpusScore()
    for item in questions:
        expect = item.expect or {}
        kind = expect.get("kind")
        if kind not in SCORED_KINDS:
            continue
        score.scored += 1
        got = reply(item.q)
        right_rules = set(expect.get("rules") or ())
        if kind == "out":
            strict = got.status == "none"
            tap = strict
        else:
            strict = got.status == "answer" and got.rules[0] in right_rules
            tap = strict or (got.status == "choices" and got.rules[0] in right_rules)
        score.strict += strict
        score.one_tap += tap
        if got.status == "answer" and not strict:
            score.confident_wrong += 1
            accepted = expect.get("verdicts") or ()
            if kind == "out" or (kind == "rule" and verdicts(got.rules[0]) not in accepted):
                score.wrong_verdict += 1
        if not strict:
            score.misses.append((item.id, item.q, got))
    return score
