"""Typed buttons: one small frozen dataclass per kind of inline button, in the spirit of aiogram's
`CallbackData`. `pack()` writes the callback_data, `unpack()` reads it back (None for anything this bot did
not make: old buttons, forged data, a number the database could not hold), and `pattern()` routes a press
of that kind to its CallbackQueryHandler. Buttons are stateless: everything a press needs is in its data, so they work
after a restart, and stay under Telegram's 64-byte limit.

On the wire a button is its prefix and its fields, separated by ":" (the prefixes are case-sensitive):
  r:<rule_id>:<question_id>:<lang> OpenRule: a rule offered for a question (question_id 0: none)
  o:<rule_id>:<topic_id>:<page>   OpenFromTopic: a rule from a topic page (its back button returns there)
  v:<+|->:<rule_id>:<question_id>:<lang> Vote on an answer
  T                               Topics: the topic list
  t:<topic_id>:<page>             TopicPage: one page of a topic's rules
  l:<lang>                        Language
  n:<rule_id>:<question_id>:<lang> Others: "Bukan ini?", the next candidates for an answered question
  d:<b|s|r>:<rule_id>:<lang>      Detail: under an answer, its legal basis, full sanction or related rules
  h:<topic>:<lang>                Hint: a short hint shown as an alert (under small talk replies)
  L:<action>:<value>              TipButton: the /lapor form (bot/tg/handlers/tips/report.py)
  S:<action>                      FollowUp: under a /status reply (bot/tg/handlers/tips/status.py)
  A:<action>:<a>:<b>              ReviewButton: tips review (bot/tg/handlers/staff/review.py); role checked per press
  U:<action>:<question_id>:<arg>  UnansweredButton: /unanswered (bot/tg/handlers/staff/unanswered.py)
  R:<action>:<a>:<b>              RulesButton: /rules (bot/tg/handlers/staff/rules.py); role checked per press
  C:<action>                      CalendarButton: /calendar (bot/tg/handlers/staff/calendar.py); role checked per press
  K:<action>:<round>:<n>:<choice> QuizButton: /kuis (bot/tg/handlers/public/quiz.py)

A `lang` field is the language of the reply the button is under ("" for the chat's): a question written in
English is answered in English whatever the user's language, and so are the presses under its answer. A
trailing field with a default may be missing on the wire, so buttons sent before it existed still work.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import ClassVar, Self

MAX_BYTES = 64
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER; every id and page number in callback_data is below it


def as_int(value: str, default: int = 0) -> int:
    """A number field of callback_data; `default` for anything this bot would not have written there (not
    plain digits, or too large for the database), so forged data reads as an old button, not a crash."""
    if not (value.isascii() and value.isdigit()):
        return default
    number = int(value)
    return number if number <= MAX_ID else default


@dataclass(frozen=True)
class Button:
    prefix: ClassVar[str] = ""

    def pack(self) -> str:
        data = ":".join([self.prefix, *(str(getattr(self, f.name)) for f in fields(self))])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback_data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self | None:
        if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
            return None
        prefix, *parts = data.split(":")
        declared = fields(cls)
        required = sum(1 for f in declared if f.default is MISSING)
        if prefix != cls.prefix or not required <= len(parts) <= len(declared):
            return None
        values: list[object] = []
        for field, raw in zip(declared, parts, strict=False):
            if field.type == "int":
                if (number := as_int(raw, -1)) < 0:
                    return None
                values.append(number)
            else:
                values.append(raw)
        return cls(*values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """For CallbackQueryHandler(pattern=…): every press of this kind, well-formed or not, so that its
        handler answers a forged one (and audits it, for staff buttons) rather than a catch-all."""
        return re.compile(rf"^{re.escape(cls.prefix)}(?::|$)")


@dataclass(frozen=True)
class OpenRule(Button):
    prefix = "r"
    rule_id: str
    question_id: int = 0
    lang: str = ""


@dataclass(frozen=True)
class OpenFromTopic(Button):
    prefix = "o"
    rule_id: str
    topic_id: str
    page: int


@dataclass(frozen=True)
class Vote(Button):
    prefix = "v"
    sign: str  # + or -
    rule_id: str
    question_id: int
    lang: str = ""

    @classmethod
    def of(cls, up: bool, rule_id: str, question_id: int, lang: str = "") -> Vote:
        return cls("+" if up else "-", rule_id, question_id, lang)


@dataclass(frozen=True)
class Topics(Button):
    prefix = "T"


@dataclass(frozen=True)
class TopicPage(Button):
    prefix = "t"
    topic_id: str
    page: int


@dataclass(frozen=True)
class Language(Button):
    prefix = "l"
    lang: str


@dataclass(frozen=True)
class Others(Button):
    """ "Bukan ini?" under an answer: the next candidates for the question, without the rule answered."""

    prefix = "n"
    rule_id: str
    question_id: int
    lang: str = ""


@dataclass(frozen=True)
class Detail(Button):
    """Under an answer: what is behind its first screen, sent below it (b: legal basis, s: sanction, r: related)."""

    prefix = "d"
    part: str
    rule_id: str
    lang: str = ""


@dataclass(frozen=True)
class Hint(Button):
    """Shows the hint `ui("hint_<topic>")` as an alert, in `lang` (the reply's), leaving the message as it is."""

    prefix = "h"
    topic: str
    lang: str = ""


@dataclass(frozen=True)
class TipButton(Button):
    prefix = "L"
    action: str
    value: str = ""


@dataclass(frozen=True)
class QuizButton(Button):
    """/kuis: `a` answers scenario `index` of round `token` with `choice`; `n` starts a new round."""

    prefix = "K"
    action: str
    token: str = ""
    index: int = 0
    choice: str = ""


@dataclass(frozen=True)
class FollowUp(Button):
    prefix = "S"
    action: str


@dataclass(frozen=True)
class StaffButton(Button):
    """An action on a staff screen and up to two arguments (a report, a rule, a status, a field...)."""

    action: str
    a: str = ""
    b: str = ""

    @classmethod
    def pattern(cls, actions: str = "") -> re.Pattern[str]:
        """Every press of this kind, or (with `actions`, one letter each) only those actions."""
        if not actions:
            return super().pattern()
        return re.compile(rf"^{re.escape(cls.prefix)}:[{re.escape(actions)}]:")


@dataclass(frozen=True)
class ReviewButton(StaffButton):
    prefix = "A"


@dataclass(frozen=True)
class UnansweredButton(Button):
    prefix = "U"
    action: str
    question_id: int
    arg: str = ""


@dataclass(frozen=True)
class RulesButton(StaffButton):
    prefix = "R"


@dataclass(frozen=True)
class CalendarButton(Button):
    """/calendar: `get` sends calendar.yaml, `put` waits for a new one."""

    prefix = "C"
    action: str
