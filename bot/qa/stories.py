"""Reading a story: a long message that tells what happened rather than asking one thing.

"Kemarin ada pengajian di desa, caleg datang dan ceramah, saya difoto bareng lalu ditag di FB…" touches
several rules at once. Matching it whole dilutes every rule's score until nothing is answered, so it is
read clause by clause: each sentence, and each part after "lalu", "terus", "kemudian"…, is matched on its
own, and every rule that some clause fits well enough is kept, in the order the story reaches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.qa.matcher import Candidate, Matcher

STORY_CHARS = 280  # a message this long (about three lines on a phone) is read as a story
MAX_STORY_CHARS = 4000  # Telegram's own limit is 4096
MAX_TOUCHED = 5
MIN_CLAUSE_WORDS = 3
MAX_CLAUSES = 40  # a message of 400 one-line clauses is not a story; matching each would cost a second
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_JOINS = re.compile(
    r",?\s+\b(?:lalu|terus|trus|kemudian|habis itu|abis itu|setelah itu|selain itu|dan juga|tapi juga|"
    r"sedangkan|padahal|then|and then|after that)\b\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StoryReading:
    clauses: tuple[str, ...]
    touched: tuple[Candidate, ...]  # the rules the story touches, in order, each with its best probability


def clauses(text: str) -> list[str]:
    """The story's sentences, each split again where it goes on to another event."""
    found = []
    for sentence in _SENTENCES.split(text):
        for part in _JOINS.split(sentence):
            part = part.strip(" ,.;:-")
            if len(part.split()) >= MIN_CLAUSE_WORDS:
                found.append(part)
    return found


def read_story(matcher: Matcher, text: str) -> StoryReading:
    """Every rule a clause of `text` fits at least as well as the matcher needs to offer it."""
    parts = clauses(text[:MAX_STORY_CHARS])[:MAX_CLAUSES]
    best: dict[str, Candidate] = {}
    order: list[str] = []
    for part in parts:
        result = matcher.match(part)
        if result.status == "none" or not result.candidates:
            continue
        first = result.candidates[0]
        if first.score < matcher.calibration.offer_at:
            continue
        if first.rule.id not in best:
            order.append(first.rule.id)
        if first.rule.id not in best or first.score > best[first.rule.id].score:
            best[first.rule.id] = first
    return StoryReading(tuple(parts), tuple(best[rid] for rid in order[:MAX_TOUCHED]))
