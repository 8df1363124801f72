"""Invisible characters are removed from report answers (security review 2026-12, finding 22)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.tips.form import TipForm, load_categories, load_provinces, strip_invisible
from bot.tips.model import Draft

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
TODAY = date(2026, 11, 23)
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
HEART_ON_FIRE = "\u2764\ufe0f\u200d\U0001f525"
WOMAN_TECHNOLOGIST_MEDIUM = "\U0001f469\U0001f3fd\u200d\U0001f4bb"


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Kepala\x00Dinas \u202eSAMAN\u202c", "KepalaDinas SAMAN"),  # the review's example
        ("a\x01b\x07c\x1b[31md\x7fe\x85f\x9f", "abc[31mdef"),  # C0, DEL, C1
        ("\u2066iso\u2069 \u2067rtl\u2069 \u2068fsi\u2069 \u202aLRE\u202c \u202bRLE\u202c", "iso rtl fsi LRE RLE"),
        ("\u200eLRM\u200f RLM \u061cALM", "LRM RLM ALM"),
        ("zero\u200bwidth\u200cnon\u2060joiner\ufeff", "zerowidthnonjoiner"),
        ("soft\u00adhyphen", "softhyphen"),
        ("baris satu\nbaris dua\tkolom", "baris satu\nbaris dua kolom"),
        ("windows\r\nline\rmac", "windows\nline\nmac"),
        ("Kepala\u200dDinas \u200d awal", "KepalaDinas  awal"),  # a joiner between letters is hidden text
        (f"keluarga {FAMILY} {RAINBOW_FLAG} {HEART_ON_FIRE} {WOMAN_TECHNOLOGIST_MEDIUM}",) * 2,  # emoji intact
        (f"\u200d{FAMILY}\u200d", FAMILY),
        ("Bupati Sleman — pilkada 2024, é ü ñ 漢字 😀 🇮🇩", "Bupati Sleman — pilkada 2024, é ü ñ 漢字 😀 🇮🇩"),
    ],
)
def test_strip_invisible(typed: str, stored: str):
    assert strip_invisible(typed) == stored
    assert strip_invisible(stored) == stored


@pytest.fixture
def form() -> TipForm:
    choices, retired = load_categories(KNOWLEDGE)
    return TipForm(choices, load_provinces(KNOWLEDGE), retired)


def test_every_free_text_answer_is_stripped(form):
    draft = Draft(step="who")
    assert form.enter_text(draft, "Kepala\x00Dinas \u202eSAMAN\u202c", TODAY) is None
    assert draft.who == "KepalaDinas SAMAN"
    draft.step = "regency"
    assert form.enter_text(draft, "Kab.\u200b Sle\u2066man\u2069\x00", TODAY) is None
    assert draft.regency == "Kab. Sleman"
    draft.step = "description"
    typed = "Kepala bidang\u202e mengunggah foto\x00 kampanye\u200b di grup pegawai.\n\nLalu\tmengajak memilih."
    assert form.enter_text(draft, typed, TODAY) is None
    assert draft.description == "Kepala bidang mengunggah foto kampanye di grup pegawai.\n\nLalu mengajak memilih."
    links = "lihat https://evil.example\u200b.org/\u202ep \u2066https://x.com/a\u2069"
    assert form.enter_text(draft, links, TODAY) is None
    assert draft.links == ["https://evil.example.org/p", "https://x.com/a"]


def test_invisible_characters_do_not_count_towards_a_length(form):
    draft = Draft(step="description")
    problem = form.enter_text(draft, "pendek" + "\u200b" * 100, TODAY)
    assert problem is not None and problem.key == "tip_description_short"
    draft.step = "who"
    assert form.enter_text(draft, "Camat" + "\u202e" * 400, TODAY) is None and draft.who == "Camat"
