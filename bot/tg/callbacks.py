"""callback_data for inline buttons: short, parseable, and never over Telegram's 64-byte limit.

Formats (fields separated by ":"):
  r:<rule_id>:<question_id>      open a rule offered for a question (question_id 0: none)
  o:<rule_id>:<topic_id>:<page>  open a rule from a topic page (its back button returns there)
  v:<+|->:<rule_id>:<question_id> vote on an answer
  T                              the topic list
  t:<topic_id>:<page>            one page of a topic's rules
  l:<lang>                       set the language
  L:<action>:<value>             a button of the /lapor form (bot/tg/handlers/tips/report.py)
  S:<action>                     a button under a /status reply (bot/tg/handlers/tips/status.py)
  A:<action>:<a>:<b>             an admin button (bot/tg/handlers/staff/review.py); the role is checked on every press
  U:<action>:<question_id>:<arg>  an /unanswered button (bot/tg/handlers/staff/unanswered.py)
  R:<action>:<a>:<b>             a /rules button (bot/tg/handlers/staff/rules.py); the role is checked on every press
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64


@dataclass(frozen=True)
class Callback:
    kind: str
    args: tuple[str, ...]


def _make(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback_data over {MAX_BYTES} bytes: {data!r}")
    return data


def open_rule(rule_id: str, question_id: int = 0) -> str:
    return _make("r", rule_id, question_id)


def open_rule_from_topic(rule_id: str, topic_id: str, page: int) -> str:
    return _make("o", rule_id, topic_id, page)


def vote(up: bool, rule_id: str, question_id: int) -> str:
    return _make("v", "+" if up else "-", rule_id, question_id)


def topics() -> str:
    return "T"


def topic_page(topic_id: str, page: int) -> str:
    return _make("t", topic_id, page)


def language(lang: str) -> str:
    return _make("l", lang)


def tip(action: str, value: str = "") -> str:
    return _make("L", action, value)


def followup(action: str) -> str:
    return _make("S", action)


def admin(action: str, a: object = "", b: object = "") -> str:
    return _make("A", action, a, b)


def unanswered(action: str, question_id: int, arg: str = "") -> str:
    return _make("U", action, question_id, arg)


def rules(action: str, a: object = "", b: object = "") -> str:
    return _make("R", action, a, b)


_ARITY = {"r": 2, "o": 3, "v": 3, "T": 0, "t": 2, "l": 1, "L": 2, "S": 1, "A": 3, "U": 3, "R": 3}
_NUMBERS = {"r": (1,), "o": (2,), "v": (2,), "t": (1,), "U": (1,)}  # where a format has an id or page number


def parse(data: str | None) -> Callback | None:
    """None for anything this bot did not make (old buttons, forged data), such as a question id that is
    not a number the database could hold."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    kind, *args = data.split(":")
    if _ARITY.get(kind) != len(args):
        return None
    if any(as_int(args[i], -1) < 0 for i in _NUMBERS.get(kind, ())):
        return None
    return Callback(kind, tuple(args))


MAX_ID = 2**63 - 1  # SQLite's largest INTEGER; every id and page number in callback_data is below it


def as_int(value: str, default: int = 0) -> int:
    """A number field of callback_data; `default` for anything this bot would not have written there (not
    plain digits, or too large for the database), so forged data reads as an old button, not a crash."""
    if not (value.isascii() and value.isdigit()):
        return default
    number = int(value)
    return number if number <= MAX_ID else default
