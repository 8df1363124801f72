"""Follow-ups: a short message right after an answer is read together with the question before it.

"kalau PPPK?", "kalau di luar jam kerja?" mean nothing alone; after "pns boleh ikut kampanye?" they are a
new question. "bukan itu" says the answer missed: the bot offers the other candidates, or, when the user
says what they meant ("bukan itu, maksud saya datang ke kampanye terbuka"), matches that instead.

The previous question is held in short-lived memory only (bot/storage/ephemeral.py: this process, or a
Redis without persistence), for a few minutes, under a keyed hash of the chat (as the language choices are):
nothing of it is written anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.ephemeral import EphemeralStore

REMEMBER_SECONDS = 5 * 60
MAX_FOLLOW_UP_WORDS = 7
MIN_CLARIFICATION_WORDS = 3
_CUE = re.compile(
    r"^(?:kalau|kalo|klo|kl|kalau\s+untuk|gimana\s+kalau|bagaimana\s+kalau|bagaimana\s+dengan|gmn\s+kalo|"
    r"terus|trus|lalu|lantas|nek|lek|misal(?:nya)?|trs|how\s+about|what\s+about|what\s+if|and\s+if|and\s+for)\b",
    re.IGNORECASE,
)
_NOT_THIS = re.compile(
    r"^(?:bukan\s+(?:itu|ini|yang\s+itu|begitu)\b|(?:bukan|salah|salah\s+jawab)(?=\s*(?:[,.!]|$))|not\s+that\b|"
    r"that'?s\s+not\s+(?:it|what)\b|no,)\W*(?:(?:min|kak|pak|bu|bot|mas|mbak)\b\W*)?"
    r"(?:(?:maksud\s+(?:saya|sy|aku|gw)|maksudnya|maksud)\b\W*)?",
    re.IGNORECASE,
)  # "bukan itu", "salah." — not "bukankah …", "salah satu …", "bukan pns tapi honorer"
MAX_PREVIOUS_CHARS = 400  # a follow-up is matched as the question before (cut to this) plus the follow-up


@dataclass(frozen=True)
class Previous:
    question: str
    rule_ids: tuple[str, ...]  # what the bot answered or offered, best first


@dataclass(frozen=True)
class Reading:
    kind: str  # "follow_up": ask `query`; "not_this": offer other rules, or ask `query` without `exclude`
    query: str
    exclude: tuple[str, ...] = ()


def read(text: str, previous: Previous | None) -> Reading | None:
    """How to read `text` given the chat's previous question; None: as a question of its own."""
    if previous is None:
        return None
    text = " ".join(text.split())
    if (rejection := _NOT_THIS.match(text)) is not None:
        rest = text[rejection.end() :].strip(" ,.!?")
        query = rest if len(rest.split()) >= MIN_CLARIFICATION_WORDS else ""
        return Reading("not_this", query, previous.rule_ids[:1])
    if len(text.split()) <= MAX_FOLLOW_UP_WORDS and _CUE.match(text):
        return Reading("follow_up", f"{previous.question[:MAX_PREVIOUS_CHARS]} {text}")
    return None


class FollowUps:
    """The last question of each chat, for `REMEMBER_SECONDS`."""

    def __init__(self, key_of: Callable[[int], str], store: EphemeralStore) -> None:
        self._key_of = key_of
        self._store = store

    def _key(self, chat_id: int) -> str:
        return f"last:{self._key_of(chat_id)}"

    async def remember(self, chat_id: int, question: str, rule_ids: tuple[str, ...]) -> None:
        """`question` as the user asked it (a follow-up's own question stays the one it follows)."""
        value = json.dumps({"q": question[:MAX_PREVIOUS_CHARS], "r": list(rule_ids)[:10]}).encode()
        await self._store.set(self._key(chat_id), value, REMEMBER_SECONDS)

    async def previous(self, chat_id: int) -> Previous | None:
        raw = await self._store.get(self._key(chat_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return Previous(data["q"], tuple(data["r"]))
