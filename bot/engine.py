"""The offline core, assembled: knowledge base, normaliser, matcher and renderer.

Both the command line and the Telegram bot start from `load_engine`; neither knows how the parts are built.
"""

from __future__ import annotations

from dataclasses import dataclass
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
