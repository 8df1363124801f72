"""The report form and what a submitted report looks like to its reporter."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STEPS = ("category", "election", "who", "province", "regency", "date", "description", "evidence", "review")
SENT = "sent"  # the report is stored; the row keeps only the receipt until the reporter confirms saving it
OPTIONAL = frozenset({"who", "regency", "evidence"})
ELECTIONS = ("pemilu", "pilkada", "tidak_tahu")
STATUSES = ("baru", "diverifikasi", "diteruskan", "selesai", "ditolak")
CLOSED = frozenset({"selesai", "ditolak"})
OTHER_CATEGORY = "lainnya"

MAX_EVIDENCE = 10
MIN_DESCRIPTION, MAX_DESCRIPTION = 30, 4000
MAX_CAPTION = 300  # characters of a file's caption kept with the report
MAX_WHO, MAX_REGENCY = 300, 100
MAX_REPLY = 4000


@dataclass
class EvidenceItem:
    kind: str  # photo | document | video | link
    mime: str = ""
    size: int = 0
    file: str | None = None  # a random name in the evidence folder; None for links
    url: str | None = None
    caption: str | None = None  # what the reporter wrote with a photo or file ("spanduk di balai desa")


@dataclass(frozen=True)
class Receipt:
    code: str
    public_no: str
    formal_due: str | None = None  # ISO date: the last day for a formal report, if known that day (tips/deadline.py)
    election: str | None = None  # which law's deadline that is: pemilu or pilkada


APPLIED_KEPT = 4  # a message and a press can be in flight together; a few more for margin


@dataclass
class Draft:
    step: str = "category"
    editing: bool = False  # a field reopened from the review: return to the review once it is answered
    category: str | None = None
    election: str | None = None
    who: str | None = None
    province: str | None = None
    regency: str | None = None
    incident_date: str | None = None  # ISO date
    description: str | None = None
    evidence: list[EvidenceItem] = field(default_factory=list)
    first_message_id: int | None = None  # where the form began in the chat: its messages are deleted at the end
    last_message_id: int | None = None  # the latest copy of the receipt shown, deleted with the form
    receipt: Receipt | None = None  # once sent (step SENT): shown again until the reporter confirms
    sending: str | None = None  # the receipt code it is being sent under (drafts in memory: tips/service.py)
    applied: list[int] = field(default_factory=list)  # the last updates applied: one Telegram delivers again is not

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        data = dict(data)
        data["evidence"] = [EvidenceItem(**item) for item in data.get("evidence", [])]
        if data.get("receipt"):
            data["receipt"] = Receipt(**data["receipt"])
        return cls(**data)

    @classmethod
    def sent(cls, receipt: Receipt, first_message_id: int | None) -> Draft:
        """What is left of a draft once its report is stored: nothing of the report, only its receipt (with the
        formal-report deadline the reporter is shown next)."""
        return cls(step=SENT, receipt=receipt, first_message_id=first_message_id)

    def apply(self, update_id: int) -> None:
        """Mark the update whose step this saves: if a replica dies after saving and before Telegram hears it
        was handled, the update comes again, and is shown the step it led to rather than taken twice."""
        self.applied = [*self.applied[-(APPLIED_KEPT - 1) :], update_id]

    @property
    def links(self) -> list[str]:
        return [e.url for e in self.evidence if e.url]

    @property
    def files(self) -> list[str]:
        return [e.file for e in self.evidence if e.file]


@dataclass(frozen=True)
class ReportEvent:
    on_date: str
    kind: str  # status | note | question | reply | evidence
    status: str | None
    text: str | None
    public: bool = True


@dataclass(frozen=True)
class ReportView:
    """A report as its reporter sees it under /status: public events only."""

    id: int
    public_no: str
    submitted_on: str
    status: str
    category: str
    election: str
    province: str
    events: list[ReportEvent]
    evidence_count: int
    purged: bool

    @property
    def open_question(self) -> bool:
        """A handler's question not yet followed by a reply from the reporter."""
        for event in reversed(self.events):
            if event.kind == "reply":
                return False
            if event.kind == "question":
                return True
        return False
