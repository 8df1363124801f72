"""The steps of the report form: what each accepts, where it goes next, and why an answer is refused.

Pure logic on a `Draft`; the Telegram side (bot/tg/handlers/tips/report.py) saves the draft and shows the prompt
for `draft.step`. A refusal is a `Problem`: a key into templates/messages/ and the values it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.qa.kb_files import load_yaml
from bot.tips.dates import parse_date
from bot.tips.model import (
    ELECTIONS,
    MAX_DESCRIPTION,
    MAX_EVIDENCE,
    MAX_REGENCY,
    MAX_WHO,
    MIN_DESCRIPTION,
    OPTIONAL,
    OTHER_CATEGORY,
    STEPS,
    Draft,
    EvidenceItem,
)

URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"]{2,2000}")
EDITABLE = ("category", "election", "who", "province", "regency", "date", "description", "evidence")


@dataclass(frozen=True)
class Problem:
    key: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Province:
    id: str
    name: str
    short: str


def load_provinces(knowledge_dir: Path) -> dict[str, Province]:
    data = load_yaml((knowledge_dir / "provinces.yaml").read_text(encoding="utf-8"))
    return {str(p["id"]): Province(str(p["id"]), p["name"], p["short"]) for p in data["provinces"]}


# Controls (C0 but \n, DEL, C1), bidi marks, overrides and isolates, zero-width and other invisible format
# characters: they let a field read differently from what is stored (U+202E turns "SAMAN" into "NAMAS").
_INVISIBLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff]"
)
# The zero-width joiner builds emoji (family, rainbow flag, heart on fire): kept between two pictographs only.
_PICTOGRAPH = "\u2100-\u2bff\U0001f000-\U0001faff"
_STRAY_ZWJ = re.compile(f"(?<![{_PICTOGRAPH}\ufe0f])\u200d|\u200d(?![{_PICTOGRAPH}])")


def strip_invisible(text: str) -> str:
    """Text as a reviewer will see it: no control or invisible characters; tabs become spaces, CR/CRLF a line end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _STRAY_ZWJ.sub("", _INVISIBLE.sub("", text))


def _clean(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Category:
    """A kind of report, named by what a citizen saw (knowledge/report_categories.yaml)."""

    id: str
    label: str
    en: str
    seen: str
    en_seen: str

    def titles(self) -> tuple[str, str]:
        return self.label, self.en


MAX_CATEGORY_LABEL = 24  # a phone shows a two-per-row button of this length whole


def load_categories(knowledge_dir: Path) -> tuple[list[Category], dict[str, tuple[str, str]]]:
    """The categories a reporter picks from, and the titles of retired ones (reports filed before keep them)."""
    data = load_yaml((knowledge_dir / "report_categories.yaml").read_text(encoding="utf-8"))
    choices = [Category(**{k: str(item[k]) for k in ("id", "label", "en", "seen", "en_seen")})
               for item in data["categories"]]  # fmt: skip
    ids = [c.id for c in choices]
    too_long = [c.id for c in choices if max(len(c.label), len(c.en)) > MAX_CATEGORY_LABEL]
    if len(set(ids)) != len(ids) or OTHER_CATEGORY not in ids or too_long:
        raise ValueError(f"report_categories.yaml: ids must be unique, include {OTHER_CATEGORY!r}, "
                         f"and labels be at most {MAX_CATEGORY_LABEL} characters ({too_long})")  # fmt: skip
    retired = {str(cid): (str(t[0]), str(t[1])) for cid, t in (data.get("retired") or {}).items()}
    return choices, retired


class TipForm:
    def __init__(
        self, choices: list[Category], provinces: dict[str, Province], retired: dict[str, tuple[str, str]] | None = None
    ) -> None:
        """`choices`: the categories in button order; `categories` maps every id a report may hold to its titles."""
        self.choices = choices
        self.categories = {**(retired or {}), **{c.id: c.titles() for c in choices}}
        self.provinces = provinces
        self._province_names = {}
        for p in provinces.values():
            self._province_names[p.name.lower()] = p.id
            self._province_names[p.short.lower()] = p.id

    # ------------------------------------------------------------------ moving between steps

    def advance(self, draft: Draft) -> None:
        if draft.editing:
            draft.step, draft.editing = "review", False
        else:
            draft.step = STEPS[STEPS.index(draft.step) + 1]

    def back(self, draft: Draft) -> None:
        if draft.editing:
            draft.step, draft.editing = "review", False
        elif draft.step != STEPS[0]:
            draft.step = STEPS[STEPS.index(draft.step) - 1]

    def edit(self, draft: Draft, step: str) -> Problem | None:
        if draft.step != "review" or step not in EDITABLE:
            return Problem("tip_stale_button")
        draft.step, draft.editing = step, True
        return None

    def skip(self, draft: Draft) -> Problem | None:
        if draft.step not in OPTIONAL:
            return Problem("tip_not_optional")
        if draft.step == "who":
            draft.who = None
        elif draft.step == "regency":
            draft.regency = None
        self.advance(draft)
        return None

    # ------------------------------------------------------------------ answers

    def choose(self, draft: Draft, step: str, value: str, today: date) -> Problem | None:
        """A button answer; `step` is the step the button was made for (old buttons are refused)."""
        if step != draft.step:
            return Problem("tip_stale_button")
        if step == "category" and any(c.id == value for c in self.choices):
            draft.category = value
        elif step == "election" and value in ELECTIONS:
            draft.election = value
        elif step == "province" and value in self.provinces:
            draft.province = value
        elif step == "date" and value in ("0", "1"):
            return self.enter_text(draft, "hari ini" if value == "0" else "kemarin", today)
        else:
            return Problem("tip_stale_button")
        self.advance(draft)
        return None

    def enter_text(self, draft: Draft, text: str, today: date) -> Problem | None:
        text = strip_invisible(text)  # before the length checks: what is stored is what reviewers see
        step = draft.step
        if step in ("category", "election", "review"):
            return Problem("tip_use_buttons")
        if step == "province":
            province = self._province_names.get(_clean(text).lower().removeprefix("provinsi "))
            if province is None:
                return Problem("tip_province_unknown")
            draft.province = province
        elif step == "who":
            if len(text) > MAX_WHO:
                return Problem("tip_too_long", {"limit": MAX_WHO, "length": len(text)})
            draft.who = text.strip()
        elif step == "regency":
            if len(text) > MAX_REGENCY:
                return Problem("tip_too_long", {"limit": MAX_REGENCY, "length": len(text)})
            draft.regency = _clean(text)
        elif step == "date":
            result = parse_date(text, today)
            if result.value is None:
                return Problem(f"tip_date_{result.problem}", {"today": today.strftime("%d/%m/%Y")})
            draft.incident_date = result.value.isoformat()
        elif step == "description":
            length = len(text.strip())
            if length < MIN_DESCRIPTION:
                return Problem("tip_description_short", {"min": MIN_DESCRIPTION, "length": length})
            if length > MAX_DESCRIPTION:
                return Problem("tip_description_long", {"max": MAX_DESCRIPTION, "length": length})
            draft.description = text.strip()
        elif step == "evidence":
            return self.add_links(draft, text)
        self.advance(draft)
        return None

    # ------------------------------------------------------------------ evidence

    def room_for_evidence(self, draft: Draft) -> Problem | None:
        if draft.step != "evidence":
            return Problem("tip_evidence_not_now")
        if len(draft.evidence) >= MAX_EVIDENCE:
            return Problem("tip_evidence_full", {"max": MAX_EVIDENCE})
        return None

    def add_links(self, draft: Draft, text: str) -> Problem | None:
        """Links stay on the evidence step: the user may send more, then press "Selesai"."""
        urls = [m.group(0).rstrip(".,;)") for m in URL.finditer(text)]
        if not urls:
            return Problem("tip_evidence_expected")
        for url in urls:
            if problem := self.room_for_evidence(draft):
                return problem
            if url not in draft.links:
                draft.evidence.append(EvidenceItem(kind="link", url=url))
        return None

    def add_file(self, draft: Draft, item: EvidenceItem) -> Problem | None:
        if problem := self.room_for_evidence(draft):
            return problem
        draft.evidence.append(item)
        return None

    def evidence_done(self, draft: Draft) -> Problem | None:
        if draft.step != "evidence":
            return Problem("tip_stale_button")
        self.advance(draft)
        return None

    def ready(self, draft: Draft) -> bool:
        """Everything required is answered (a stale review button must not send a half-filled form)."""
        required = (draft.category, draft.election, draft.province, draft.incident_date, draft.description)
        return draft.step == "review" and all(required)
