"""How an editor writes one field of a rule in a chat message, and how that becomes the rule's YAML item.

Text fields are plain text; questions are one per line; a legal basis is one line each,
`source | article | quote`. Whether a quote matches the regulation can only be checked against the text of
the regulation (../shared/tools/check_citations.py, after `kb export`), so a basis line that is new or
changed is saved as `verified: false` and shown to users as not yet checked; an unchanged line keeps what
it had. A new rule is written as YAML from a template, read without anchors or aliases (bot/qa/kb_files.py).
The schema itself is checked in bot/qa/kb.py.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.qa.kb import VERDICTS
from bot.qa.kb_files import AnchorError, load_yaml

CLEAR = "-"  # sent as the whole text, empties an optional field
MAX_TEXT = 20_000  # characters of one field or new rule an editor sends; the largest shipped rule is ~8,800


@dataclass(frozen=True)
class Field:
    key: str  # in callback_data; its label is `field_<key>` in templates/messages/
    path: tuple[str, ...]  # where it lives in the YAML item
    optional: bool = False


FIELDS = {
    f.key: f
    for f in (
        Field("title", ("title",)),
        Field("verdict", ("verdict",)),
        Field("short", ("short",)),
        Field("advice", ("advice",), optional=True),
        Field("answer", ("answer",)),
        Field("caveat", ("caveat",), optional=True),
        Field("penalty", ("penalty",), optional=True),
        Field("sanction", ("sanction",), optional=True),
        Field("basis", ("basis",)),
        Field("questions", ("questions",)),
        Field("act", ("act",), optional=True),
        Field("condition", ("condition",), optional=True),
        Field("en_title", ("en", "title")),
        Field("en_short", ("en", "short")),
        Field("en_answer", ("en", "answer")),
    )
}
TRANSLATED = {"title", "short", "advice", "answer", "caveat", "penalty", "sanction"}  # with an English counterpart
UNCHECKED = "belum dicek"  # a basis line's optional fourth column
# an editor may type "pasal 5" or "PASAL 5": the schema wants "Pasal 5" (bot/qa/kb.py)
_ARTICLE_WORD = re.compile(r"^(?:penjelasan\s+)?pasal\b|^(?:penjelasan umum|lampiran|diktum)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


class FieldError(ValueError):
    """The text cannot be read as that field; the message says how to write it (in Indonesian)."""


class Refused(FieldError):
    """A refusal worded in templates/messages/: the handler shows `key` with `values`."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def _check_size(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise Refused("rules_too_long", length=len(text), limit=MAX_TEXT)


def as_text(item: dict[str, Any], key: str) -> str:
    """The field's current value, written the way `apply` reads it, for the editor to copy and change."""
    value = _get(item, FIELDS[key].path)
    if key == "questions":
        return "\n".join(value or [])
    if key == "basis":
        return "\n".join(_basis_line(b) for b in value or [])
    return value or ""


def apply(item: dict[str, Any], key: str, text: str) -> dict[str, Any]:
    """A copy of `item` with the field set from `text`."""
    field = FIELDS[key]
    _check_size(text)
    text = text.strip()
    new = copy.deepcopy(item)
    if text == CLEAR and field.optional:
        _set(new, field.path, None)
        return new
    if not text:
        raise FieldError("Teksnya kosong.")
    if key == "verdict":
        value: Any = text.lower()
        if value not in VERDICTS:
            raise FieldError(f"Putusan harus salah satu dari: {', '.join(VERDICTS)}.")
    elif key == "questions":
        value = [q for line in text.splitlines() if (q := " ".join(_BULLET.sub("", line).split()))]
    elif key == "basis":
        value = [_read_basis(line, n, item.get("basis") or []) for n, line in enumerate(_lines(text), start=1)]
    else:
        value = " ".join(text.split())
    _set(new, field.path, value)
    return new


def new_rule_template(topic: str) -> str:
    return TEMPLATE.format(topic=topic)


def read_new_rule(text: str, topic: str) -> dict[str, Any]:
    """A new rule written as YAML (from `new_rule_template`); every basis starts unchecked."""
    _check_size(text)
    try:
        item = load_yaml(text)
    except AnchorError as exc:
        raise Refused("rules_yaml_anchor", line=exc.problem_mark.line + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (baris {mark.line + 1})" if mark else ""
        raise FieldError(f"Teksnya bukan YAML yang sah{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(item, dict):
        raise FieldError("Kirim satu aturan dalam format YAML seperti contoh (id:, verdict:, title:, …).")
    item["topic"] = topic
    for basis in item["basis"] if isinstance(item.get("basis"), list) else []:
        if isinstance(basis, dict):
            basis["verified"] = False
    return item


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _basis_line(basis: dict[str, Any]) -> str:
    parts = [basis["source"], basis["article"], basis.get("quote") or ""]
    if basis.get("verified") is False:
        parts.append(UNCHECKED)
    return " | ".join(parts)


def _read_basis(line: str, n: int, old: list[dict[str, Any]]) -> dict[str, Any]:
    parts = [p.strip() for p in line.split("|")]
    unchecked = len(parts) == 4 and parts[3].lower() == UNCHECKED
    if len(parts) not in (2, 3) and not unchecked:
        raise FieldError(f"Baris {n}: tulis sumber | pasal | kutipan, contoh: pp-94-2021 | Pasal 5 huruf n | …")
    source, quote = parts[0].lower(), " ".join(parts[2].split()) if len(parts) > 2 else ""
    article = _ARTICLE_WORD.sub(lambda m: m.group(0).title(), " ".join(parts[1].split()))
    for before in old:
        same = (before["source"], before["article"], before.get("quote") or "") == (source, article, quote)
        if same:
            return {**before, "verified": False} if unchecked else dict(before)
    basis: dict[str, Any] = {"source": source, "article": article}
    if quote:
        basis["quote"] = quote
    basis["verified"] = False
    return basis


def _get(item: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _set(item: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    *parents, last = path
    for key in parents:
        item = item.setdefault(key, {})
    if value is None:
        item.pop(last, None)
    else:
        item[last] = value


TEMPLATE = """\
id: {topic}-contoh-singkat
verdict: dilarang
title: Apa yang diatur, dalam satu kalimat
short: >-
  Tidak boleh. Dua atau tiga kalimat sederhana yang langsung menjawab (layar pertama, paling banyak 700 karakter).
advice: Satu baris tindakan yang sebaiknya dilakukan (hapus bila tidak ada).
questions:
  - pertanyaan seperti yang diketik pengguna
  - pertanyaan kedua dengan kata lain
  - pertanyaan ketiga
  - pertanyaan keempat
  - pertanyaan kelima
answer: >-
  Dilarang. Alasannya, dengan menyebut pasalnya.
basis:
  - source: pp-94-2021
    article: Pasal 5 huruf n angka 1
    quote: kutipan kata demi kata dari pasal itu
penalty: Sanksinya dalam satu baris (hapus bila putusannya boleh atau info).
sanction: >-
  Hukuman yang mengancam, dengan pasalnya (hapus baris ini bila putusannya boleh atau info).
en:
  title: The same title in English
  short: >-
    No. The same short answer in English.
  answer: >-
    The same answer in English.
  questions:
    - an English question
    - another English question
"""
