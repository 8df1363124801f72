"""The offline core, assembled: knowledge base, normaliser, matcher and renderer.

Both the command line and the Telegram bot start from `load_engine`; neither knows how the parts are built.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bot.kb import KnowledgeBase, load_knowledge
from bot.matcher import Matcher
from bot.render import Renderer
from bot.text import Lexicon, Normaliser


@dataclass(frozen=True)
class Engine:
    kb: KnowledgeBase
    normaliser: Normaliser
    matcher: Matcher
    renderer: Renderer


def load_engine(knowledge_dir: Path) -> Engine:
    kb = load_knowledge(knowledge_dir)
    normaliser = Normaliser(Lexicon.load(knowledge_dir))
    return Engine(kb, normaliser, Matcher(kb, normaliser), Renderer(kb))


def with_phrasings(engine: Engine, phrasings: dict[str, list[str]]) -> Engine:
    """The engine with extra question phrasings taught to rules (from /unanswered); the matcher is rebuilt,
    so build it off the event loop. Phrasings for rules that no longer exist are ignored."""
    rules = dict(engine.kb.rules)
    for rule_id, texts in phrasings.items():
        if rule_id in rules:
            rule = rules[rule_id]
            rules[rule_id] = replace(rule, questions=(*rule.questions, *(t for t in texts if t not in rule.questions)))
    kb = replace(engine.kb, rules=rules)
    return Engine(kb, engine.normaliser, Matcher(kb, engine.normaliser), Renderer(kb))
