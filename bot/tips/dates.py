"""The date of an incident, in the forms people type: 17/9/2024, 17-09-2024, 17 September 2024, 17 sept 24,
2024-09-17, sabtu 28 nov 2026, kemarin, hari ini, 3 hari lalu, and weekdays: "sabtu" (the last Saturday, today
included), "sabtu kemarin" / "sabtu lalu" (the last one before today), "sabtu minggu lalu" / "minggu kemarin,
hari sabtu" (Saturday of last week, weeks starting on Monday). "minggu lalu" alone is a week, not a day: the
user is asked which day ("which_day").

A date in the future, or one that does not exist (31/2/2024), is refused; so is one before MIN_YEAR,
which is more likely a typo than a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR = 2014
MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
RELATIVE = {
    "hari ini": 0, "today": 0, "tadi": 0, "kemarin": 1, "kemaren": 1, "yesterday": 1, "kemarin lusa": 2,
    "besok": -1, "tomorrow": -1, "lusa": -2,
}  # fmt: skip
WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5, "minggu": 6, "ahad": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_NAMES = "senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DAY = rf"(?:hari\s+)?({_NAMES})"
_PAST = r"(?:yang\s+)?(?:lalu|kemarin|kemaren|kmrn|kmaren)"
_WEEKDAY = re.compile(rf"{_DAY}(?:\s+({_PAST}))?|last\s+{_DAY}")
_WEEKDAY_LAST_WEEK = re.compile(rf"{_DAY}\s+minggu\s+{_PAST}|minggu\s+{_PAST}\s+{_DAY}|{_DAY}\s+last\s+week")
_LAST_WEEK = re.compile(rf"minggu\s+{_PAST}|last\s+week|pekan\s+{_PAST}")
_NUMERIC = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NAMED = re.compile(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{2}|\d{4})")
_DAYS_AGO = re.compile(r"(\d{1,3})\s+hari\s+(?:yang\s+)?(?:lalu|kemarin)|(\d{1,3})\s+days?\s+ago")


@dataclass(frozen=True)
class DateResult:
    value: date | None
    problem: str | None = None  # "future" | "too_old" | "invalid" | "unreadable" | "which_day"


def _year(raw: str) -> int:
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def _make(year: int, month: int, day: int, today: date) -> DateResult:
    try:
        value = date(year, month, day)
    except ValueError:
        return DateResult(None, "invalid")
    if value > today:
        return DateResult(None, "future")
    if value.year < MIN_YEAR:
        return DateResult(None, "too_old")
    return DateResult(value)


def _weekday(raw: str, today: date) -> DateResult | None:
    """A weekday, as in "sabtu", "sabtu kemarin", "sabtu minggu lalu"; None if `raw` names none."""
    if _LAST_WEEK.fullmatch(raw):  # "minggu lalu" is last week; "hari minggu lalu" is last Sunday
        return DateResult(None, "which_day")
    if m := _WEEKDAY_LAST_WEEK.fullmatch(raw):
        day = WEEKDAYS[next(g for g in m.groups() if g).replace("jum'at", "jumat")]
        monday = today - timedelta(days=today.weekday() + 7)  # the Monday of last week
        return _make(*(monday + timedelta(days=day)).timetuple()[:3], today)
    if m := _WEEKDAY.fullmatch(raw):
        name, past, after_last = m.group(1), m.group(2), m.group(3)
        day = WEEKDAYS[(name or after_last).replace("jum'at", "jumat")]
        back = (today.weekday() - day) % 7
        if back == 0 and (past or after_last):  # "sabtu kemarin" said on a Saturday: the one before
            back = 7
        return _make(*(today - timedelta(days=back)).timetuple()[:3], today)
    return None


def parse_date(text: str, today: date) -> DateResult:
    raw = " ".join(text.lower().strip().rstrip(".!").replace(",", " ").split())
    if raw not in RELATIVE:
        raw = re.sub(r"^(?:tanggal|tgl\.?|pada)\s+", "", raw)
    if (weekday := _weekday(raw, today)) is not None:
        return weekday
    raw = re.sub(rf"^{_DAY}\s+(?=\d)", "", raw)  # "sabtu 28 nov 2026": the date says it
    if raw in RELATIVE:
        return _make(*(today - timedelta(days=RELATIVE[raw])).timetuple()[:3], today)
    if m := _DAYS_AGO.fullmatch(raw):
        days = int(m.group(1) or m.group(2))
        return _make(*(today - timedelta(days=days)).timetuple()[:3], today)
    if m := _ISO.fullmatch(raw):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    if m := _NUMERIC.fullmatch(raw):
        return _make(_year(m.group(3)), int(m.group(2)), int(m.group(1)), today)
    if m := _NAMED.fullmatch(raw):
        month = MONTHS.get(m.group(2))
        if month is None:
            return DateResult(None, "unreadable")
        return _make(_year(m.group(3)), month, int(m.group(1)), today)
    return DateResult(None, "unreadable")


MONTH_NAMES = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}  # fmt: skip


def format_date(iso: str, lang: str) -> str:
    value = date.fromisoformat(iso)
    return f"{value.day} {MONTH_NAMES.get(lang, MONTH_NAMES['id'])[value.month - 1]} {value.year}"


DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def long_date(iso: str) -> str:
    """A day as an Indonesian form asks for it ("Hari dan Tanggal"): "Rabu, 14 Februari 2024"."""
    return f"{DAY_NAMES[date.fromisoformat(iso).weekday()]}, {format_date(iso, 'id')}"
