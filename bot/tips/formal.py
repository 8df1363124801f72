"""A formal report draft for Bawaslu, from an anonymous report, as a PDF made on request and never stored.

A formal report (laporan) needs the reporter's identity and a form, within days; an anonymous tip cannot be
one (UU 7/2017 Pasal 454 ayat (4)). So the reporter may ask, after sending and under /status, for the report's
facts laid out in the sections of Bawaslu's Formulir Laporan (templates/tips/formal_report.txt.j2), with the
identity and the signature left blank to fill in by hand, the deadline that applies, and where to take it.
The PDF is made in memory and sent to the reporter's chat; nothing of it touches DATA_DIR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.presentation.pdf import pdf_from_markup
from bot.tips.dates import long_date


@dataclass(frozen=True)
class FormalReport:
    """What the draft says: the report's facts, with names rather than ids."""

    public_no: str
    submitted_on: str  # ISO day
    election: str | None  # pemilu or pilkada (the calendar's, where the reporter did not know); None: unknown
    category: str
    province: str
    regency: str | None
    incident_date: str | None  # ISO day
    who: str | None
    description: str
    evidence: list[tuple[str, str | None]]  # (kind, the link for a link)
    captions: list[str]  # what the reporter wrote with their files ("1. spanduk di balai desa")
    formal_due: date | None


def one(text: str | None) -> str:
    """What a reporter typed, as one line of the markup."""
    return " ".join((text or "").split())


def lines(text: str | None) -> list[str]:
    """What a reporter typed, line by line, blank lines kept as paragraph breaks."""
    return [" ".join(line.split()) for line in (text or "").splitlines()] or [""]


def formal_report_pdf(render: Callable[..., str], report: FormalReport) -> bytes:
    """The draft as PDF bytes; `render` is the renderer's (templates/)."""
    place = ", ".join(p for p in (one(report.regency), report.province) if p)
    where = (
        f"kabupaten/kota ({one(report.regency)}) atau Bawaslu Provinsi {report.province}"
        if report.regency
        else f"kabupaten/kota tempat kejadian atau Bawaslu Provinsi {report.province}"
    )
    markup = render(
        "tips/formal_report.txt.j2", public_no=report.public_no, submitted=long_date(report.submitted_on),
        election=report.election, due=long_date(report.formal_due.isoformat()) if report.formal_due else None,
        where=where, who=report.who, category=report.category, place=place,
        incident=long_date(report.incident_date) if report.incident_date else "", evidence=report.evidence,
        captions=report.captions, description=report.description, one=one, lines=lines,
    )  # fmt: skip
    return pdf_from_markup(markup, f"Draf laporan {report.public_no}")
