"""Matcher speed: knowledge-base load time and per-question latency, at the shipped size and at 20x.

    python bench/matcher_speed.py

The 20x knowledge base repeats every rule 20 times under new ids with its phrasings lightly varied, so the
index really grows (entries, vocabulary, postings). Questions: the development and held-out sets.
Prints one Markdown table; pinned to one core by the caller if wanted (taskset -c 0).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluation import load_items  # noqa: E402
from bot.engine import load_engine  # noqa: E402
from bot.qa.kb import KnowledgeBase  # noqa: E402
from bot.qa.matcher import Matcher  # noqa: E402

DEV = ROOT.parent / "shared" / "reference" / "dev-questions.yaml"
HELDOUT = ROOT / "tests" / "data" / "heldout-questions.yaml"
FILLER = ["tolong", "sekali", "juga", "nih", "kira", "mohon", "info", "dong", "penting", "segera"]


def scaled(kb: KnowledgeBase, factor: int) -> KnowledgeBase:
    rules = {}
    for n in range(factor):
        for rule in kb.rules.values():
            rid = rule.id if n == 0 else f"{rule.id}-x{n}"
            extra = FILLER[n % len(FILLER)]
            questions = tuple(f"{q} {extra}" if n else q for q in rule.questions)
            rules[rid] = replace(rule, id=rid, questions=questions, related=())
    return KnowledgeBase(kb.sources, kb.topics, rules)


def measure(matcher: Matcher, questions: list[str], rounds: int = 5) -> tuple[float, float, float]:
    for q in questions:  # warm the per-word caches, as a running bot has them
        matcher.match(q)
    samples = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            matcher.match(q)
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.99 * len(samples)) - 1], statistics.mean(samples)


def model_mib(matcher: Matcher) -> float:
    """The learned model's weights (features × rules, float32), the part that grows with the rules."""
    return matcher.model.weight_bytes / 2**20 if matcher.model else 0.0


def main() -> int:
    t0 = time.perf_counter()
    engine = load_engine(ROOT / "knowledge")
    load_ms = (time.perf_counter() - t0) * 1000
    questions = [i.q for i in load_items(HELDOUT)] + ([i.q for i in load_items(DEV)] if DEV.is_file() else [])
    print(f"{len(questions)} questions, {len(engine.kb.rules)} rules shipped\n")
    print("| knowledge base | rules | entries | build ms | p50 ms | p99 ms | mean ms | model MiB |")
    print("|---|---|---|---|---|---|---|---|")
    p50, p99, mean = measure(engine.matcher, questions)
    print(f"| shipped (load incl. YAML, lexicon, stemming: {load_ms:.0f} ms) | {len(engine.kb.rules)} | "
          f"{len(engine.matcher.entries)} | {load_ms:.0f} | {p50:.3f} | {p99:.3f} | {mean:.3f} | "
          f"{model_mib(engine.matcher):.1f} |")  # fmt: skip
    for factor in (5, 20):
        big = scaled(engine.kb, factor)
        t0 = time.perf_counter()
        matcher = Matcher(big, engine.normaliser, engine.matcher.out_of_scope, engine.matcher.calibration)
        build_ms = (time.perf_counter() - t0) * 1000
        p50, p99, mean = measure(matcher, questions, rounds=2)
        print(f"| {factor}x synthetic | {len(big.rules)} | {len(matcher.entries)} | {build_ms:.0f} | "
              f"{p50:.3f} | {p99:.3f} | {mean:.3f} | {model_mib(matcher):.1f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
