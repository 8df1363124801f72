"""Accuracy report: Netra's matcher against two plain baselines on the development and held-out sets.

    python bench/accuracy.py [--misses]

Baselines (same knowledge base, same entries: title, questions, keywords, English):
  - BM25 (rank-bm25's BM25Okapi) on lower-cased words, one document per rule;
  - rapidfuzz WRatio against every entry, the best entry's rule.
Each baseline answers when its best score clears a threshold; the threshold is the one that does best on
the development set (so the baselines are tuned where Netra was tuned). Figures print as a Markdown table.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bench import corpus  # noqa: E402
from bench.evaluation import Answerer, Item, Replier, Reply, Score, evaluate, load_items, score_corpus  # noqa: E402
from bot.engine import load_engine  # noqa: E402
from bot.qa.kb import Rule  # noqa: E402
from bot.qa.matcher import LexicalMatcher, _entry_texts  # noqa: E402

DEV = ROOT.parent / "shared" / "reference" / "dev-questions.yaml"
HELDOUT = ROOT / "tests" / "data" / "heldout-questions.yaml"
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def bm25_scorer(rules: list[Rule]):
    index = BM25Okapi([_words(" ".join(_entry_texts(r))) for r in rules])

    def best(q: str) -> tuple[Rule, float]:
        scores = index.get_scores(_words(q))
        i = max(range(len(rules)), key=scores.__getitem__)
        return rules[i], float(scores[i])

    return best


def wratio_scorer(rules: list[Rule]):
    entries = [(r, t.lower()) for r in rules for t in _entry_texts(r)]
    texts = [t for _, t in entries]

    def best(q: str) -> tuple[Rule, float]:
        _, score, i = process.extractOne(q.lower(), texts, scorer=fuzz.WRatio)
        return entries[i][0], score

    return best


def thresholded(best, items: list[Item]) -> Answerer:
    """Pick the cut-off that maximises the mean of in-scope accuracy and refusal on `items`."""
    scored = [(item, *best(item.q)) for item in items]
    cuts = sorted({s for _, _, s in scored})
    cuts = [min(cuts) - 1, *cuts]

    def quality(cut: float) -> float:
        score = evaluate(items, lambda q, d={it.q: (r, s) for it, r, s in scored}: _cut(d[q], cut))
        return (score.in_scope_rate + score.refusal_rate) / 2

    cut = max(cuts, key=quality)
    return lambda q: _cut(best(q), cut)


def _cut(pair: tuple[Rule, float], cut: float) -> Rule | None:
    rule, score = pair
    return rule if score > cut else None


def row(name: str, dev: Score, held: Score) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    return (
        f"| {name} | {pct(dev.in_scope_rate)} ({dev.in_scope_right}/{dev.in_scope}) | "
        f"{pct(dev.refusal_rate)} ({dev.out_scope_refused}/{dev.out_scope}) | "
        f"{pct(held.in_scope_rate)} ({held.in_scope_right}/{held.in_scope}) | "
        f"{pct(held.refusal_rate)} ({held.out_scope_refused}/{held.out_scope}) | "
        f"{sum(1 for _, got in dev.misses if got)} / {sum(1 for _, got in held.misses if got)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the questions each system gets wrong")
    args = parser.parse_args()
    engine = load_engine(ROOT / "knowledge")
    rules = list(engine.kb.rules.values())
    dev, held = load_items(DEV), load_items(HELDOUT)

    def netra(q: str) -> Rule | None:
        best = engine.matcher.match(q).best
        return best.rule if best else None

    lexical = LexicalMatcher(engine.kb, engine.normaliser)

    def lexical_answer(q: str) -> Rule | None:
        best = lexical.match(q).best
        return best.rule if best else None

    systems: dict[str, Answerer] = {
        "Netra": netra,
        "lexical matcher (Netra until 2026-12)": lexical_answer,
        "BM25 baseline": thresholded(bm25_scorer(rules), dev),
        "WRatio baseline": thresholded(wratio_scorer(rules), dev),
    }
    print(f"{len(rules)} rules; dev set {len(dev)} questions, held-out set {len(held)} questions\n")
    print(
        "| system | dev: verdict+source right | dev: out-of-scope refused "
        "| held-out: verdict+source right | held-out: out-of-scope refused | confident wrong dev / held-out |"
    )
    print("|---|---|---|---|---|---|")
    results = {name: (evaluate(dev, f), evaluate(held, f)) for name, f in systems.items()}
    for name, (d, h) in results.items():
        print(row(name, d, h))
    real_question_report(engine, rules, args.misses)
    if args.misses:
        for name, (d, h) in results.items():
            print(f"\n## {name}: misses")
            for label, score in (("dev", d), ("held-out", h)):
                for item, got in score.misses:
                    print(f"- [{label}] {item.kind} {item.q!r}: got {got}, want {item.verdicts or item.kind}"
                          f" {item.sources or ''}")  # fmt: skip
    return 0


def matcher_reply(matcher) -> Replier:
    def reply(q: str) -> Reply:
        result = matcher.match(q)
        status = {"answer": "answer", "ambiguous": "choices"}.get(result.status, "none")
        return Reply(status, tuple(c.rule.id for c in result.candidates))

    return reply


def ask_reply(engine) -> Replier:
    """Netra as the bot reads a message: `Engine.ask` (stories clause by clause, then the matcher)."""

    def reply(q: str) -> Reply:
        result = engine.ask(q).result
        status = {"answer": "answer", "ambiguous": "choices"}.get(result.status, "none")
        return Reply(status, tuple(c.rule.id for c in result.candidates))

    return reply


def bm25_reply(rules: list[Rule], tuning: list) -> Replier:
    """BM25 answering above the cut-off that gives the best strict accuracy on the tuning half."""
    best = bm25_scorer(rules)
    scored = {item.q: best(item.q) for item in tuning}
    cuts = sorted({s for _, s in scored.values()})

    def at(cut: float, lookup=None) -> Replier:
        def reply(q: str) -> Reply:
            rule, s = lookup[q] if lookup else best(q)
            return Reply("answer", (rule.id,)) if s > cut else Reply("none")

        return reply

    verdict = {r.id: r.verdict for r in rules}.get
    cut = max([min(cuts) - 1, *cuts], key=lambda c: score_corpus(tuning, at(c, scored), verdict).strict)
    return at(cut)


def real_question_report(engine, rules: list[Rule], misses: bool) -> None:
    questions = corpus.load()
    halves = {s: [q for q in questions if q.split == s] for s in ("heldout", "tuning")}
    verdict = {r.id: r.verdict for r in engine.kb.rules.values()}.get
    systems = {
        "Netra": ask_reply(engine),
        "lexical matcher (Netra until 2026-12)": matcher_reply(LexicalMatcher(engine.kb, engine.normaliser)),
        "BM25 baseline": bm25_reply(rules, halves["tuning"]),
    }
    print("\nReal questions (corpus/questions.yaml; rule, info and out-of-scope items scored)\n")
    print("| system | half | scored | strict | one-tap | confident-wrong | of which wrong verdict |")
    print("|---|---|---|---|---|---|---|")
    for name, reply in systems.items():
        for half in ("heldout", "tuning"):
            sc = score_corpus(halves[half], reply, verdict)
            cells = [
                f"{100 * sc.rate(n):.1f}% ({n})" for n in (sc.strict, sc.one_tap, sc.confident_wrong, sc.wrong_verdict)
            ]
            print(f"| {name} | {half} | {sc.scored} | " + " | ".join(cells) + " |")
            if misses and half == "tuning":
                for qid, q, got in sc.misses:
                    print(f"  - {qid} {q[:90]!r}: {got.status} {got.rules[:2]}")


if __name__ == "__main__":
    sys.exit(main())
