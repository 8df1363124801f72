"""Small talk, and questions about Netra itself: "halo min", "makasih 🙏", "ini bot apa", "bisa lapor tanpa
nama gak?". Such a message gets a one-line reply instead of an answer from the rules, and is not recorded as
a question (it would only crowd the admins' /unanswered).

Conservative by construction: a message is small talk only when every word of it is taken by a pattern of
some intent or is a filler between them ("min", "ya", "gak"...), so "halo min, boleh gak pns like postingan
caleg?" stays a question. The patterns, fillers and word groups are data (knowledge/smalltalk.yaml, where the
pattern syntax is described); this module only reads a message against them. No Telegram here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.qa.kb_files import NoAnchorLoader

FILE = "smalltalk.yaml"
_APOSTROPHES = re.compile(r"['’`ʼ]")
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_LAUGHTER = re.compile(r"^(?:(?:wk)+w?|(?:ha)+h?|(?:he)+h?|(?:hi){2,}h?|(?:xi)+|(?:ka)+k?)$")
_SUFFIXES = ("nya", "kah", "lah")
_MAX_CHARS = 300

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Slot:
    """One place in a pattern: any of `phrases` (each one or more words), or nothing when `optional`."""

    phrases: frozenset[Phrase]
    optional: bool


@dataclass(frozen=True)
class Intent:
    name: str
    rules: tuple[str, ...]  # ids of rules offered under the reply
    patterns: tuple[tuple[Slot, ...], ...]


class SmallTalk:
    def __init__(self, data: dict[str, Any]) -> None:
        self.max_words = int(data.get("max_words", 16))
        self.emoji = tuple(sorted((str(e) for e in data.get("emoji") or ()), key=len, reverse=True))
        emoji = "|".join(map(re.escape, self.emoji))
        self._token = re.compile(r"[a-z0-9]+" + (f"|{emoji}" if emoji else ""))
        self.fillers = frozenset(str(f) for f in data.get("fillers") or ())
        groups = {
            str(name): frozenset(self._phrase(p) for p in phrases)
            for name, phrases in (data.get("groups") or {}).items()
        }
        self.intents = tuple(
            Intent(
                str(entry["name"]),
                tuple(str(r) for r in entry.get("rules") or ()),
                tuple(self._pattern(str(p), groups) for p in entry.get("patterns") or ()),
            )
            for entry in data.get("intents") or ()
        )
        self._vocabulary = self.fillers | {
            word for intent in self.intents for pattern in intent.patterns for slot in pattern
            for phrase in slot.phrases for word in phrase
        }  # fmt: skip

    @classmethod
    def load(cls, knowledge_dir: Path) -> SmallTalk:
        path = knowledge_dir / FILE
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=NoAnchorLoader) if path.is_file() else {}
        return cls(data or {})

    # ------------------------------------------------------------------ reading the data

    def _phrase(self, text: object) -> Phrase:
        return tuple(self._raw_tokens(str(text)))

    def _pattern(self, text: str, groups: dict[str, frozenset[Phrase]]) -> tuple[Slot, ...]:
        slots = []
        for part in text.split():
            optional = part.endswith("?")
            phrases: set[Phrase] = set()
            for alternative in part.rstrip("?").split("|"):
                if alternative.startswith("{") and alternative.endswith("}"):
                    name = alternative[1:-1]
                    if name not in groups:
                        raise ValueError(f"{FILE}: pattern {text!r} names an unknown group {name!r}")
                    phrases |= groups[name]
                else:
                    phrases.add(self._phrase(alternative))
            slots.append(Slot(frozenset(p for p in phrases if p), optional))
        return tuple(slots)

    # ------------------------------------------------------------------ reading a message

    def _raw_tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower().replace("\ufe0f", "")
        text = _APOSTROPHES.sub("", text)
        return [_REPEAT3.sub(r"\1", t) for t in self._token.findall(text)]

    def tokens(self, text: str) -> list[str]:
        """The message's words as the patterns see them."""
        out = []
        for token in self._raw_tokens(text):
            if _LAUGHTER.match(token):
                continue
            if token not in self._vocabulary:
                for suffix in _SUFFIXES:
                    if token.endswith(suffix) and token[: -len(suffix)] in self._vocabulary:
                        token = token[: -len(suffix)]
                        break
            out.append(token)
        return out

    def detect(self, text: str) -> Intent | None:
        """The intent of a message that is nothing but small talk, else None (a question)."""
        if len(text) > _MAX_CHARS:
            return None
        words = self.tokens(text)
        if not words or len(words) > self.max_words:
            return None
        none = len(self.intents)  # a rank meaning "only fillers so far"
        best: list[int | None] = [None] * (len(words) + 1)  # best[i]: the best rank of a reading of words[:i]
        best[0] = none

        def reach(end: int, rank: int) -> None:
            current = best[end]
            best[end] = rank if current is None else min(current, rank)

        for start in range(len(words)):
            rank_so_far = best[start]
            if rank_so_far is None:
                continue
            if words[start] in self.fillers:
                reach(start + 1, rank_so_far)
            for rank, intent in enumerate(self.intents):
                for pattern in intent.patterns:
                    for end in self._ends(pattern, words, start):
                        if end > start:
                            reach(end, min(rank_so_far, rank))
        found = best[len(words)]
        return None if found is None or found == none else self.intents[found]

    def _ends(self, pattern: tuple[Slot, ...], words: list[str], start: int) -> set[int]:
        """Where a reading of `pattern` from `start` can end (fillers allowed between its slots)."""
        positions = {start}
        for index, slot in enumerate(pattern):
            following: set[int] = set()
            for position in positions:
                starts = [position]
                if index > 0 and position > start:
                    while position < len(words) and words[position] in self.fillers:
                        position += 1
                        starts.append(position)
                for at in starts:
                    for phrase in slot.phrases:
                        if tuple(words[at : at + len(phrase)]) == phrase:
                            following.add(at + len(phrase))
            if slot.optional:
                following |= positions
            if not following:
                return set()
            positions = following
        return positions


@functools.cache
def for_folder(knowledge_dir: Path) -> SmallTalk:
    """The small talk of a knowledge folder, read once per process."""
    return SmallTalk.load(knowledge_dir)
