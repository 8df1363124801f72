"""Fit the matcher's calibration on the corpus's tuning half, out of fold, and write knowledge/matcher.yaml.

    python -m bench.calibrate            # print what it would write
    python -m bench.calibrate --write

The tuning half's questions are also phrasings of their rules (that is how the matcher learns them), so
a question must not be judged by a model that was trained on it. Each fold's questions (and, for
out-of-scope ones, their copies in knowledge/out_of_scope.yaml) are taken out of the knowledge base, the
matcher is rebuilt without them, and it is asked them. The rules' own phrasings are treated the same way,
a fifth of each rule at a time, in a build of their own and with a smaller weight: they are more alike
than real questions are.

From those out-of-fold answers: the weight of the lexical score in the ranking (the one with the best
one-tap rate), the logistic calibration of "the first rule is right", and the two probabilities that
decide: answer at the lowest probability that keeps confident-wrong answers at most 2% of the questions,
offer a list at the one with the best one-tap rate below it. The held-out half is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from bench import corpus
from bot.engine import CALIBRATION_FILE, load_engine
from bot.qa.kb import KnowledgeBase
from bot.qa.matcher import FEATURES, Calibration, Evidence, Matcher

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
FOLDS = 5
PHRASING_WEIGHT = 0.25  # a rule's own phrasing counts a quarter of a real question
MAX_CONFIDENT_WRONG = 0.01
LEXICAL_WEIGHTS = (1.5, 2.5, 4.0)


def _key(text: str) -> str:
    """Questions compare as the corpus compares duplicates: case, accents and punctuation ignored."""
    return corpus.normalised(text)


def _fold(text: str) -> int:
    return hashlib.sha256(_key(text).encode()).digest()[0] % FOLDS


def without(kb: KnowledgeBase, texts: set[str]) -> KnowledgeBase:
    rules = {
        rid: replace(r, questions=tuple(q for q in r.questions if _key(q) not in texts)) for rid, r in kb.rules.items()
    }
    return KnowledgeBase(kb.sources, kb.topics, rules, retired=kb.retired)


class Sample:
    """One question asked out of fold: the evidence, and which rules would be right (empty: none is)."""

    def __init__(self, question: str, evidence: Evidence, right: set[str], kind: str, weight: float, matcher: Matcher):
        self.question, self.evidence, self.right, self.kind, self.weight = question, evidence, right, kind, weight
        self.ids = [matcher.rules[i].id for i, _ in evidence.ranked]


def samples(engine, tuning: list, lexical_weight: float) -> list[Sample]:
    """Every tuning question asked of a matcher trained without it (but with everything else), and every
    rule phrasing asked of one trained without a fifth of each rule's phrasings."""
    out_of_scope = engine.matcher.out_of_scope
    tuning_keys = {_key(q.q) for q in tuning}
    found: list[Sample] = []

    def matcher_without(texts: set[str]) -> Matcher:
        kb = without(engine.kb, texts)
        kept = [q for q in out_of_scope if _key(q) not in texts]
        return Matcher(kb, engine.normaliser, kept, Calibration(lexical_weight=lexical_weight))

    for fold in range(FOLDS):
        held = [q for q in tuning if _fold(q.q) == fold]
        matcher = matcher_without({_key(q.q) for q in held})
        for item in held:
            right = set(item.expect.get("rules") or ()) if item.expect["kind"] != "out" else set()
            found.append(Sample(item.q, matcher.evidence(item.q), right, item.expect["kind"], 1.0, matcher))
        phrasings = [
            (q, r.id) for r in engine.kb.rules.values() for q in r.questions
            if _fold(q) == fold and _key(q) not in tuning_keys
        ]  # fmt: skip
        matcher = matcher_without({_key(q) for q, _ in phrasings})
        for text, rule_id in phrasings:
            found.append(Sample(text, matcher.evidence(text), {rule_id}, "rule", PHRASING_WEIGHT, matcher))
    return found


def one_tap(found: list[Sample]) -> float:
    """Share (weighted) of in-scope questions whose right rule is ranked first."""
    scored = [(s.weight, bool(s.ids) and s.ids[0] in s.right) for s in found if s.right]
    return sum(w for w, ok in scored if ok) / sum(w for w, _ in scored)


def fit(found: list[Sample]) -> tuple[tuple[float, ...], float]:
    rows = [(s.evidence.features[0], s.ids[0] in s.right, s.weight) for s in found if s.evidence.features]
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(x, y, sample_weight=np.array([r[2] for r in rows]))
    return tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0])


def outcomes(found: list[Sample], calibration: Calibration) -> dict[str, float]:
    """Strict, one-tap and confident-wrong rates on the real questions (not the phrasings)."""
    real = [s for s in found if s.weight == 1.0]
    strict = tap = wrong = 0
    for s in real:
        matcher_status, first = _decide(s, calibration)
        right = first in s.right if s.right else False
        if s.kind == "out":
            strict += matcher_status == "none"
            tap += matcher_status == "none"
            wrong += matcher_status == "answer"
            continue
        strict += matcher_status == "answer" and right
        tap += matcher_status in ("answer", "ambiguous") and right
        wrong += matcher_status == "answer" and not right
    n = len(real)
    return {"strict": strict / n, "one_tap": tap / n, "confident_wrong": wrong / n, "n": n}


def _decide(s: Sample, calibration: Calibration) -> tuple[str, str | None]:
    ev = s.evidence
    if not ev.ranked:
        return "none", None
    p = calibration.probability(ev.features[0])
    if p >= calibration.answer_at:
        return "answer", s.ids[0]
    if p >= calibration.offer_at and ev.out_margin > 0:
        return "ambiguous", s.ids[0]
    return "none", None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write knowledge/{CALIBRATION_FILE}")
    args = parser.parse_args(argv)
    engine = load_engine(KNOWLEDGE)
    tuning = [
        q for q in corpus.load() if q.split == "tuning" and (q.expect or {}).get("kind") in ("rule", "info", "out")
    ]
    by_weight = {}
    for weight in LEXICAL_WEIGHTS:
        found = samples(engine, tuning, weight)
        by_weight[weight] = (one_tap(found), found)
        print(f"lexical weight {weight}: first-ranked right {by_weight[weight][0]:.3f}")
    lexical_weight = max(by_weight, key=lambda w: by_weight[w][0])
    found = by_weight[lexical_weight][1]
    weights, bias = fit(found)
    base = Calibration(weights, bias, lexical_weight=lexical_weight)
    grid = [round(0.30 + 0.01 * i, 2) for i in range(70)]
    allowed = [
        a
        for a in grid
        if outcomes(found, replace(base, answer_at=a, offer_at=0.0))["confident_wrong"] <= MAX_CONFIDENT_WRONG
    ]
    answer_at = min(allowed) if allowed else max(grid)
    below = [o for o in grid if o < answer_at] or [answer_at]
    offer_at = max(below, key=lambda o: (outcomes(found, replace(base, answer_at=answer_at, offer_at=o))["one_tap"], o))
    calibration = replace(base, answer_at=answer_at, offer_at=offer_at)
    figures = outcomes(found, calibration)
    summary = (
        f"strict {figures['strict']:.3f}, one-tap {figures['one_tap']:.3f}, "
        f"confident-wrong {figures['confident_wrong']:.3f} on {figures['n']} tuning questions"
    )
    print(f"answer at {answer_at}, offer at {offer_at}, out of fold: {summary}")
    text = (
        "# How the matcher's evidence becomes the probability that its first rule is right, and the probabilities\n"
        "# that decide (bot/qa/matcher.py). Written by `python -m bench.calibrate --write` from the corpus's\n"
        f"# tuning half, out of fold; do not edit by hand. Out of fold when written: {summary}.\n"
    ) + yaml.safe_dump(
        {
            "lexical_weight": lexical_weight,
            "weights": {name: round(w, 4) for name, w in zip(FEATURES, weights, strict=True)},
            "bias": round(bias, 4),
            "answer_at": answer_at,
            "offer_at": offer_at,
        },
        sort_keys=False,
    )
    print(text)
    if args.write:
        (KNOWLEDGE / CALIBRATION_FILE).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
