"""The offline core, assembled: knowledge base, normaliser, matcher and renderer.

Both the command line and the Telegram bot start from `load_engine`; neither knows how the parts are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.presentation.render import Renderer
from bot.qa.kb import KnowledgeBase
from bot.qa.kb_files import load_knowledge
from bot.qa.matcher import Matcher
from bot.qa.text import Lexicon, Normaliser


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


def with_knowledge(engine: Engine, kb: KnowledgeBase) -> Engine:
    """The engine serving other rules (an admin's edit, an import): the matcher is rebuilt, about 15 ms for
    the shipped rules, so call it off the event loop; the lexicon and templates are kept."""
    return Engine(kb, engine.normaliser, Matcher(kb, engine.normaliser), engine.renderer.for_kb(kb))
