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
