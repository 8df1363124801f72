"""The tip service: drafts, sending a report, following it up by receipt code, notices, and retention.

Users are named here only by `user_key`, a keyed hash made by the caller (bot/privacy/keys.py); no Telegram
id reaches this module. Free text is sealed before it is stored. The receipt code leaves only as the
`Receipt` for the one user who sent the report, kept sealed in their draft's row until they confirm saving
it; then the row goes, and nothing written links them to the report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from bot.privacy.crypto import CryptoError, Vault
from bot.qa.calendar import Calendar
from bot.storage.drafts import DatabaseDrafts, DraftStore
from bot.storage.tips import NewEvidence, NewReport, TipStore
from bot.tips import receipts
from bot.tips.deadline import formal_deadline
from bot.tips.evidence import CleanFile, EvidenceFiles
from bot.tips.form import strip_invisible
from bot.tips.formal import FormalReport
from bot.tips.model import (
    CLOSED,
    MAX_CAPTION,
    MAX_EVIDENCE,
    SENT,
    STATUSES,
    Draft,
    EvidenceItem,
    Receipt,
    ReportEvent,
    ReportView,
)

log = logging.getLogger(__name__)

WIB = timezone(timedelta(hours=7))  # the date users mean when they type "hari ini"
DRAFT_DAYS = 1  # a draft (or an unconfirmed receipt) untouched since before yesterday is deleted


def today_wib() -> date:
    return datetime.now(WIB).date()


@dataclass(frozen=True)
class Evidence:
    kind: str
    mime: str
    added_on: str
    data: bytes | None
    url: str | None


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    attempts: int  # failed attempts before this one (0 the first time)
    fields: dict[str, str]


class TipService:
    def __init__(
        self,
        store: TipStore,
        vault: Vault,
        files: EvidenceFiles,
        locator_key: bytes,
        drafts: DraftStore | None = None,
        calendar: Calendar | Callable[[], Calendar] | None = None,
    ) -> None:
        self.store = store
        self.drafts = drafts or DatabaseDrafts(store)  # MemoryDrafts on PostgreSQL (bot/storage/drafts.py)
        # which election an incident's day was in, if the reporter did not say: the calendar in service now
        fixed = calendar if isinstance(calendar, Calendar) else Calendar(())
        self._calendar = calendar if callable(calendar) else (lambda: fixed)
        self.vault = vault
        self.files = files
        self._locator_key = locator_key
        self.draft_keys: set[str] = set()  # who has a draft, so their next message resumes it after a restart
        self._orphans: set[str] = set()  # evidence files nothing named at the last sweep

    @property
    def calendar(self) -> Calendar:
        return self._calendar()

    async def open(self) -> None:
        if not self.drafts.in_database:  # drafts an earlier version kept in PostgreSQL: into memory, out of it
            for user_key, body in await self.store.drafts():
                await self.drafts.put(user_key, body)
                await self.store.delete_draft(user_key)
        self.draft_keys = {key for key, _body in await self.drafts.every()}

    # ------------------------------------------------------------------ drafts

    async def load_draft(self, user_key: str) -> Draft | None:
        body = await self.drafts.get(user_key)
        if body is None:
            self.draft_keys.discard(user_key)
            return None
        try:
            return Draft.from_dict(self.vault.open_json(body, "draft"))
        except (CryptoError, TypeError, ValueError):
            # never deleted: only a new draft the user starts replaces it
            log.warning("a draft could not be read; it is kept, and the user may start a new one")
            self.draft_keys.discard(user_key)
            return None

    async def save_draft(self, user_key: str, draft: Draft) -> None:
        await self.drafts.put(user_key, self.vault.seal_json(draft.to_dict(), "draft"))
        self.draft_keys.add(user_key)

    async def discard_draft(self, user_key: str, draft: Draft | None = None) -> None:
        draft = draft or await self.load_draft(user_key)
        await self.files.delete(draft.files if draft else [])  # first: the draft's deletion wipes the WAL
        await self.drafts.delete(user_key)
        self.draft_keys.discard(user_key)

    async def store_file(self, clean: CleanFile, caption: str | None = None) -> EvidenceItem:
        """The file on disk, sealed; its caption (cleaned, cut to MAX_CAPTION) goes with the draft."""
        name = await self.files.write(clean.data)
        text = " ".join(strip_invisible(caption or "").split())[:MAX_CAPTION] or None
        return EvidenceItem(kind=clean.kind, mime=clean.mime, size=len(clean.data), file=name, caption=text)

    async def room_for_evidence(self, report_id: int) -> int:
        """How many more items a report takes: as many in all as the form does (follow-ups included)."""
        count, _size = await self.store.evidence_count(report_id)
        return max(0, MAX_EVIDENCE - count)

    # ------------------------------------------------------------------ sending

    async def pending_receipt(self, user_key: str) -> Draft | None:
        """The user's sent report awaiting their confirmation that the receipt is saved, if any."""
        draft = await self.load_draft(user_key)
        return draft if draft and draft.step == SENT else None

    async def submit(self, user_key: str, draft: Draft) -> Receipt:
        """Commit the report and its admin notice, and shrink the draft to the sealed receipt, in one
        durable transaction: the receipt can be shown again after any failure until it is confirmed.

        With drafts in memory (PostgreSQL) there is no one transaction: the draft first keeps the code it is
        being sent under (`sending`), so a crash after the commit and before the receipt is saved is found at
        the next press of Send (`resume`), and the report is not filed twice."""
        if draft.sending:
            return await self.resume(user_key, draft)
        code = receipts.new_code()
        if not self.drafts.in_database:
            draft.sending = code
            await self.save_draft(user_key, draft)
        return await self._file(user_key, draft, code)

    async def resume(self, user_key: str, draft: Draft) -> Receipt:
        """A draft whose sending was cut short: its report, if it was committed, else filed now."""
        assert draft.sending
        report_id = await self.find(draft.sending)
        if report_id is None:
            return await self._file(user_key, draft, draft.sending)
        row = await self.store.report(report_id)
        receipt = self._receipt(draft, draft.sending, row["public_no"])
        await self.drafts.put(user_key, self._sealed_receipt(draft, receipt))
        return receipt

    def _receipt(self, draft: Draft, code: str, public_no: str) -> Receipt:
        if not draft.incident_date:
            return Receipt(code, public_no)
        day = date.fromisoformat(draft.incident_date)
        election = draft.election
        if election not in ("pemilu", "pilkada") and (found := self.calendar.election_of(day, draft.province)):
            election = found.kind  # "tidak tahu": the calendar knows which election that day belonged to
        due = formal_deadline(election, day)
        return Receipt(code, public_no, due.isoformat() if due else None, election if due else None)

    def _sealed_receipt(self, draft: Draft, receipt: Receipt) -> bytes:
        return self.vault.seal_json(Draft.sent(receipt, draft.first_message_id).to_dict(), "draft")

    async def _file(self, user_key: str, draft: Draft, code: str) -> Receipt:
        code_hash = await asyncio.to_thread(receipts.hash_code, code)
        body = {
            "who": draft.who,
            "regency": draft.regency,
            "incident_date": draft.incident_date,
            "description": draft.description,
            "captions": [f"{n}. {e.caption}" for n, e in enumerate(draft.evidence, start=1) if e.caption],
        }
        report = NewReport(
            locator=receipts.locator(code, self._locator_key),
            code_hash=code_hash,
            category=draft.category or "lainnya",
            election=draft.election or "tidak_tahu",
            province=draft.province or "",
            body=self.vault.seal_json(body, "report"),
        )
        evidence = [self._new_evidence(e) for e in draft.evidence]

        def pending(public_no: str) -> bytes:
            return self._sealed_receipt(draft, self._receipt(draft, code, public_no))

        if self.drafts.in_database:  # the draft's row becomes the receipt in the report's transaction
            _report_id, public_no = await self.store.create_report(report, evidence, today_wib(), (user_key, pending))
        else:  # nothing of the draft touches the database
            _report_id, public_no = await self.store.create_report(report, evidence, today_wib())
            await self.drafts.put(user_key, pending(public_no))
        return self._receipt(draft, code, public_no)  # no log line: its time marks it

    def _new_evidence(self, item: EvidenceItem) -> NewEvidence:
        link = self.vault.seal(item.url.encode(), "link") if item.url else None
        return NewEvidence(item.kind, item.mime, item.size, item.file, link)

    # ------------------------------------------------------------------ following up by receipt

    async def find(self, typed_code: str) -> int | None:
        """The report a receipt code opens, or None. Slow on purpose (scrypt), so run it off the event loop."""
        code = receipts.normalise(typed_code)
        if code is None:
            return None
        for report_id, code_hash in await self.store.candidates(receipts.locator(code, self._locator_key)):
            if await asyncio.to_thread(receipts.verify, code, code_hash):
                return report_id
        return None

    async def view(self, report_id: int, public_only: bool = True) -> ReportView | None:
        row = await self.store.report(report_id)
        if row is None:
            return None
        events = [
            ReportEvent(
                on_date=e["on_date"],
                kind=e["kind"],
                status=e["status"],
                text=self.vault.open(e["body"], "event").decode() if e["body"] else None,
                public=bool(e["public"]),
            )
            for e in await self.store.events(report_id, public_only)
        ]
        return ReportView(
            id=row["id"],
            public_no=row["public_no"],
            submitted_on=row["submitted_on"],
            status=row["status"],
            category=row["category"],
            election=row["election"],
            province=row["province"],
            events=events,
            evidence_count=len(await self.store.evidence(report_id)),
            purged=row["purged_on"] is not None,
        )

    async def details(self, report_id: int) -> dict[str, str | None]:
        """The sealed fields of a report (who, regency, incident_date, description); empty once purged."""
        row = await self.store.report(report_id)
        return self.vault.open_json(row["body"], "report") if row and row["body"] else {}

    async def formal(
        self, report_id: int, category: Callable[[str], str], province: Callable[[str], str]
    ) -> FormalReport | None:
        """The facts a formal report draft needs (bot/tips/formal.py), or None once purged. `category` and
        `province` name their ids. An election the reporter did not know is the calendar's for that day."""
        row = await self.store.report(report_id)
        if row is None or row["purged_on"] is not None or not row["body"]:
            return None
        body = self.vault.open_json(row["body"], "report")
        draft = Draft(election=row["election"], province=row["province"], incident_date=body.get("incident_date"))
        receipt = self._receipt(draft, "", row["public_no"])
        evidence = [
            (e["kind"], self.vault.open(e["body"], "link").decode() if e["body"] else None)
            for e in await self.store.evidence(report_id)
        ]
        return FormalReport(
            public_no=row["public_no"], submitted_on=row["submitted_on"],
            election=receipt.election or (row["election"] if row["election"] in ("pemilu", "pilkada") else None),
            category=category(row["category"]), province=province(row["province"]), regency=body.get("regency"),
            incident_date=body.get("incident_date"), who=body.get("who"), description=body.get("description") or "",
            evidence=evidence, captions=list(body.get("captions") or []),
            formal_due=date.fromisoformat(receipt.formal_due) if receipt.formal_due else None,
        )  # fmt: skip

    async def reply(self, report_id: int, text: str) -> None:
        await self.store.add_event(report_id, "reply", True, self.vault.seal(text.encode(), "event"), today_wib())

    async def add_evidence(self, report_id: int, items: list[EvidenceItem]) -> None:
        await self.store.add_evidence(report_id, [self._new_evidence(e) for e in items], today_wib())

    # ------------------------------------------------------------------ the handlers' side

    async def set_status(self, report_id: int, status: str, note: str | None = None, public: bool = True) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        body = self.vault.seal(note.encode(), "event") if note else None
        await self.store.add_event(report_id, "status", public, body, today_wib(), status=status)

    async def ask(self, report_id: int, question: str) -> None:
        """A handler's question to the reporter, shown under /status."""
        body = self.vault.seal(question.encode(), "event")
        await self.store.add_event(report_id, "question", True, body, today_wib())

    async def note(self, report_id: int, text: str, public: bool) -> None:
        await self.store.add_event(report_id, "note", public, self.vault.seal(text.encode(), "event"), today_wib())

    async def list_reports(self, status: str | None, offset: int = 0, limit: int = 10) -> tuple[list[dict], int]:
        """A page of reports, newest first, and how many there are in all (for reviewers)."""
        rows = await self.store.list_reports(status, offset, limit)
        return [dict(row) for row in rows], await self.store.count_reports(status)

    async def by_number(self, public_no: str) -> int | None:
        return await self.store.report_by_number(public_no.strip())

    async def evidence(self, report_id: int) -> list[Evidence]:
        """A report's evidence for its reviewer: files decrypted from storage, links unsealed."""
        items = []
        for row in await self.store.evidence(report_id):
            data = await self.files.read(row["file"]) if row["file"] else None
            url = self.vault.open(row["body"], "link").decode() if row["body"] else None
            items.append(Evidence(row["kind"], row["mime"] or "", row["added_on"], data, url))
        return items

    async def export(self, status: str | None = None) -> list[dict[str, object]]:
        """Every report (or those with one status) as flat rows for CSV or JSON, oldest first."""
        rows = []
        every = await self.store.list_reports(status, 0, None)
        for summary in reversed(every):
            view = await self.view(summary["id"], public_only=False)
            details = await self.details(summary["id"])
            evidence = await self.store.evidence(summary["id"])
            links = [self.vault.open(e["body"], "link").decode() for e in evidence if e["body"]]
            assert view is not None
            rows.append(
                {
                    "public_no": view.public_no,
                    "submitted_on": view.submitted_on,
                    "status": view.status,
                    "category": view.category,
                    "election": view.election,
                    "province": view.province,
                    "regency": details.get("regency") or "",
                    "incident_date": details.get("incident_date") or "",
                    "reported_person": details.get("who") or "",
                    "description": details.get("description") or "",
                    "evidence_files": sum(1 for e in evidence if e["file"]),
                    "evidence_captions": " · ".join(details.get("captions") or []),
                    "links": " ".join(links),
                    "history": "; ".join(
                        f"{e.on_date} {e.kind}{' ' + e.status if e.status else ''}{': ' + e.text if e.text else ''}"
                        for e in view.events
                    ),
                }
            )
        return rows

    # ------------------------------------------------------------------ notices to admins

    async def claim_notices(self, lease: float, limit: int = 20) -> list[Notice]:
        """Due notices, claimed for `lease` seconds (bot/storage/tips.py): no other replica sends them meanwhile."""
        notices = []
        for row in await self.store.claim_notices(time.time(), lease, limit):
            report = await self.store.report(row["report_id"]) if row["report_id"] else None
            if report is None:
                await self.store.notice_sent(row["id"])  # its report is gone; nothing to announce
                continue
            details = await self.details(report["id"])
            fields = {
                "public_no": report["public_no"],
                "category": report["category"],
                "election": report["election"],
                "province": report["province"],
                "regency": details.get("regency") or "",
                "evidence": str(len(await self.store.evidence(report["id"]))),
            }
            notices.append(Notice(row["id"], row["kind"], row["attempts"], fields))
        return notices

    async def notice_sent(self, notice: Notice) -> None:
        """Delivered: the row goes (nothing is kept of a delivered notice, not even when it went out)."""
        await self.store.notice_sent(notice.id)

    async def notice_failed(self, notice: Notice, delay: float, error: str) -> None:
        """Telegram did not take it: any replica tries again after `delay` seconds (the time is on the row)."""
        await self.store.notice_failed(notice.id, time.time() + delay, error)

    async def notice_released(self, notice: Notice) -> None:
        """Claimed but not tried: back to the queue at once."""
        await self.store.notice_released(notice.id)

    # ------------------------------------------------------------------ retention

    async def purge(self, retention_days: int) -> dict[str, int]:
        """Abandoned drafts and unconfirmed receipts, closed reports past retention, and evidence files
        nothing refers to. A draft that cannot be decrypted is never deleted (a wrong key must not destroy
        data), and while one exists no evidence counts as an orphan: it may be the draft's."""
        drafts = unreadable = 0
        stale = (date.today() - timedelta(days=DRAFT_DAYS)).isoformat()
        for user_key, body in await self.drafts.every(updated_before=stale):
            if (draft := self._open_draft(body)) is None:
                unreadable += 1
                continue
            await self.discard_draft(user_key, draft)
            drafts += 1
        today = today_wib()
        reports = 0
        for report_id in await self.store.closed_before(today - timedelta(days=retention_days), tuple(CLOSED)):
            await self.files.delete(await self.store.purge_report(report_id, today))
            reports += 1
        orphans = await self._delete_orphans()
        if unreadable:
            log.warning("%d draft(s) cannot be decrypted with this key; kept, with every evidence file", unreadable)
        return {"drafts": drafts, "reports": reports, "orphans": orphans}

    def _open_draft(self, body: bytes) -> Draft | None:
        try:
            return Draft.from_dict(self.vault.open_json(body, "draft"))
        except (CryptoError, TypeError, ValueError):
            return None

    async def _delete_orphans(self) -> int:
        """Files left by a crash between saving a file and saving the draft that names it. A file is deleted
        when two sweeps in a row (an hour apart) found nothing naming it, so one written a moment ago, whose
        draft is being saved, stays."""
        used = await self.store.evidence_files()
        for _key, body in await self.drafts.every():
            if (draft := self._open_draft(body)) is None:
                self._orphans = set()
                return 0
            used.update(draft.files)
        unnamed = await self.files.names() - used
        doomed = unnamed & self._orphans
        await self.files.delete(sorted(doomed))
        self._orphans = unnamed - doomed
        return len(doomed)
