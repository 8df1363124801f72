"""SQL for anonymous tips: drafts, reports with their events and evidence, and the admin-notice outbox.

Values arrive here already sealed (bot/privacy/crypto.py); this module only stores and finds rows. Every row
carries days, not instants. A report row has nothing that points back at the draft it came from: when a
report is sent its draft row keeps only the sealed receipt until the reporter confirms saving it, then the
row is deleted and the WAL wiped (bot/storage/database.py), so no copy of the files taken afterwards shows
which draft (and so which user key) became which report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.storage.database import Database, Row, Tx, today_iso


@dataclass(frozen=True)
class NewReport:
    locator: str
    code_hash: bytes
    category: str
    election: str
    province: str
    body: bytes


@dataclass(frozen=True)
class NewEvidence:
    kind: str
    mime: str
    size: int
    file: str | None
    body: bytes | None  # a sealed link


class TipStore:
    def __init__(self, store: Database) -> None:
        self.store = store

    # ------------------------------------------------------------------ drafts

    async def draft(self, user_key: str) -> bytes | None:
        row = await self.store.fetchone("SELECT body FROM tip_drafts WHERE user_key = ?", (user_key,))
        return row["body"] if row else None

    async def save_draft(self, user_key: str, body: bytes) -> None:
        await self.store.write(
            "INSERT INTO tip_drafts (user_key, updated_on, body) VALUES (?, ?, ?) "
            "ON CONFLICT (user_key) DO UPDATE SET updated_on = excluded.updated_on, body = excluded.body",
            (user_key, today_iso(), body),
        )

    async def delete_draft(self, user_key: str) -> None:
        """Gone from every file: the row is zeroed (secure_delete) and the WAL's older copies truncated."""
        await self.store.write("DELETE FROM tip_drafts WHERE user_key = ?", (user_key,))
        await self.store.wipe()

    async def draft_keys(self) -> set[str]:
        return {row["user_key"] for row in await self.store.fetchall("SELECT user_key FROM tip_drafts")}

    async def drafts(self, updated_before: str | None = None) -> list[tuple[str, bytes]]:
        sql, params = "SELECT user_key, body FROM tip_drafts", ()
        if updated_before:
            sql, params = sql + " WHERE updated_on < ?", (updated_before,)
        return [(row["user_key"], row["body"]) for row in await self.store.fetchall(sql, params)]

    # ------------------------------------------------------------------ reports

    async def create_report(
        self,
        report: NewReport,
        evidence: list[NewEvidence],
        today: date,
        draft: tuple[str, Callable[[str], bytes]] | None = None,
    ) -> tuple[int, str]:
        """The report, its first status, its evidence and the admin notice, and `draft` (user key, sealed
        receipt for a public number) replacing the draft's row if drafts are in this database: all at once,
        durable before the receipt is shown."""
        year = today.year
        async with self.store.durable_transaction() as db:
            # a counter per year, bumped under its row's lock: two replicas filing at once get two numbers
            sequence = await db.insert(
                "INSERT INTO report_numbers (id, last) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET "
                "last = report_numbers.last + 1", (year,), returning="last",
            )  # fmt: skip
            public_no = f"LPR-{year}-{sequence:06d}"
            day = today.isoformat()
            report_id = await db.insert(
                "INSERT INTO reports (public_no, locator, code_hash, submitted_on, status, status_on, category, "
                "election, province, body) VALUES (?, ?, ?, ?, 'baru', ?, ?, ?, ?, ?)",
                (public_no, report.locator, report.code_hash, day, day, report.category, report.election,
                 report.province, report.body),
            )  # fmt: skip
            await db.run(
                "INSERT INTO report_events (report_id, on_date, kind, status, public) "
                "VALUES (?, ?, 'status', 'baru', 1)",
                (report_id, day),
            )
            await self._insert_evidence(db, report_id, evidence, day)
            await db.run(
                "INSERT INTO outbox (kind, report_id, created_on) VALUES ('new_report', ?, ?)", (report_id, day)
            )
            if draft is not None:
                user_key, pending_receipt = draft
                await db.run(
                    "UPDATE tip_drafts SET body = ?, updated_on = ? WHERE user_key = ?",
                    (pending_receipt(public_no), day, user_key),
                )
        return report_id, public_no

    @staticmethod
    async def _insert_evidence(db: Tx, report_id: int, items: list[NewEvidence], day: str) -> None:
        await db.many(
            "INSERT INTO evidence (report_id, added_on, kind, mime, size, file, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(report_id, day, e.kind, e.mime, e.size, e.file, e.body) for e in items],
        )

    async def list_reports(self, status: str | None, offset: int, limit: int | None) -> list[Row]:
        """Newest first; `limit` None for all of them."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return await self.store.fetchall(
            f"SELECT id, public_no, submitted_on, status, category, province FROM reports {where} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit if limit is not None else 2**62, offset),
        )

    async def count_reports(self, status: str | None) -> int:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        row = await self.store.fetchone(f"SELECT COUNT(*) AS n FROM reports {where}", params)
        return int(row["n"]) if row else 0

    async def reports_since(self, day: date) -> list[tuple[str, str, str]]:
        """(status, category, province) of every report submitted on or after `day`, for /stats."""
        rows = await self.store.fetchall(
            "SELECT status, category, province FROM reports WHERE submitted_on >= ?", (day.isoformat(),)
        )
        return [(row["status"], row["category"], row["province"]) for row in rows]

    async def report_by_number(self, public_no: str) -> int | None:
        row = await self.store.fetchone("SELECT id FROM reports WHERE public_no = ?", (public_no.upper(),))
        return row["id"] if row else None

    async def candidates(self, locator: str) -> list[tuple[int, bytes]]:
        rows = await self.store.fetchall("SELECT id, code_hash FROM reports WHERE locator = ?", (locator,))
        return [(row["id"], row["code_hash"]) for row in rows]

    async def report(self, report_id: int) -> Row | None:
        return await self.store.fetchone("SELECT * FROM reports WHERE id = ?", (report_id,))

    async def events(self, report_id: int, public_only: bool) -> list[Row]:
        where = " AND public = 1" if public_only else ""
        sql = f"SELECT * FROM report_events WHERE report_id = ?{where} ORDER BY id"
        return await self.store.fetchall(sql, (report_id,))

    async def evidence(self, report_id: int) -> list[Row]:
        return await self.store.fetchall("SELECT * FROM evidence WHERE report_id = ? ORDER BY id", (report_id,))

    async def add_event(
        self, report_id: int, kind: str, public: bool, body: bytes | None, today: date, status: str | None = None
    ) -> None:
        day = today.isoformat()
        async with self.store.transaction() as db:
            await db.run(
                "INSERT INTO report_events (report_id, on_date, kind, status, public, body) VALUES (?, ?, ?, ?, ?, ?)",
                (report_id, day, kind, status, int(public), body),
            )
            if status:
                await db.run("UPDATE reports SET status = ?, status_on = ? WHERE id = ?", (status, day, report_id))

    async def add_evidence(self, report_id: int, items: list[NewEvidence], today: date) -> None:
        day = today.isoformat()
        async with self.store.transaction() as db:
            await self._insert_evidence(db, report_id, items, day)
            await db.run(
                "INSERT INTO report_events (report_id, on_date, kind, public) VALUES (?, ?, 'evidence', 1)",
                (report_id, day),
            )

    # ------------------------------------------------------------------ retention

    async def closed_before(self, day: date, statuses: tuple[str, ...]) -> list[int]:
        marks = ",".join("?" * len(statuses))
        rows = await self.store.fetchall(
            f"SELECT id FROM reports WHERE status IN ({marks}) AND status_on < ? AND purged_on IS NULL",
            (*statuses, day.isoformat()),
        )
        return [row["id"] for row in rows]

    async def purge_report(self, report_id: int, today: date) -> list[str]:
        """Drop the text and evidence, keep what statistics need; returns the evidence files to delete."""
        async with self.store.transaction() as db:
            sql = "SELECT file FROM evidence WHERE report_id = ? AND file IS NOT NULL"
            files = [row["file"] for row in await db.all(sql, (report_id,))]
            await db.run("DELETE FROM evidence WHERE report_id = ?", (report_id,))
            await db.run("UPDATE report_events SET body = NULL WHERE report_id = ?", (report_id,))
            await db.run("UPDATE reports SET body = NULL, purged_on = ? WHERE id = ?", (today.isoformat(), report_id))
        return files

    async def evidence_files(self) -> set[str]:
        rows = await self.store.fetchall("SELECT file FROM evidence WHERE file IS NOT NULL")
        return {row["file"] for row in rows}

    # ------------------------------------------------------------------ outbox

    async def notices(self, limit: int = 20) -> list[Row]:
        return await self.store.fetchall("SELECT * FROM outbox ORDER BY id LIMIT ?", (limit,))

    async def claim_notices(self, now: float, lease: float, limit: int = 20) -> list[Row]:
        """Due notices nobody holds, claimed until `now + lease` with their attempt counted, in one short
        transaction: on PostgreSQL rows another replica is claiming are skipped (SKIP LOCKED), on SQLite the
        writer lock serialises. A claim whose replica died is due again when its lease runs out. The rows come
        back as they were before the claim (`attempts`: the attempts before this one).

        `due_at` and `lease_until` are epoch seconds set here and in `notice_failed`, at delivery time (a run every
        NOTICE_INTERVAL), never when the report was sent: the row keeps only `created_on`, a day."""
        async with self.store.transaction() as db:
            lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
            rows = await db.all(
                f"SELECT * FROM outbox WHERE due_at <= ? AND lease_until <= ? ORDER BY id LIMIT ?{lock}",
                (now, now, limit),
            )
            if rows:
                marks = ",".join("?" * len(rows))
                await db.run(
                    f"UPDATE outbox SET lease_until = ?, attempts = attempts + 1 WHERE id IN ({marks})",
                    (now + lease, *(row["id"] for row in rows)),
                )
        return rows

    async def notice_sent(self, notice_id: int) -> None:
        await self.store.write("DELETE FROM outbox WHERE id = ?", (notice_id,))

    async def notice_failed(self, notice_id: int, due_at: float, error: str) -> None:
        """Back to the queue, not before `due_at` (the failed attempt's backoff), for whichever replica delivers
        next."""
        await self.store.write(
            "UPDATE outbox SET lease_until = 0, due_at = ?, last_error = ? WHERE id = ?", (due_at, error, notice_id)
        )

    async def notice_released(self, notice_id: int) -> None:
        """Claimed but not tried (the run stopped before it): due again at once, its attempt not counted."""
        await self.store.write(
            "UPDATE outbox SET lease_until = 0, attempts = attempts - 1 WHERE id = ? AND attempts > 0", (notice_id,)
        )

    async def evidence_count(self, report_id: int) -> tuple[int, int]:
        """(items, bytes) of a report's evidence, for the limits on adding more."""
        row = await self.store.fetchone(
            "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS total FROM evidence WHERE report_id = ?", (report_id,)
        )
        return (int(row["n"]), int(row["total"])) if row else (0, 0)

    # ------------------------------------------------------------------ evidence files (sealed)

    async def put_file(self, name: str, sealed: bytes) -> None:
        await self.store.write("INSERT INTO evidence_files (name, body) VALUES (?, ?)", (name, sealed))

    async def file(self, name: str) -> bytes | None:
        row = await self.store.fetchone("SELECT body FROM evidence_files WHERE name = ?", (name,))
        return bytes(row["body"]) if row else None

    async def delete_files(self, names: list[str]) -> None:
        if names:
            async with self.store.transaction() as db:
                await db.many("DELETE FROM evidence_files WHERE name = ?", [(n,) for n in names])

    async def file_names(self) -> set[str]:
        return {row["name"] for row in await self.store.fetchall("SELECT name FROM evidence_files")}

    # ------------------------------------------------------------------ the key check

    async def key_check(self) -> bytes | None:
        row = await self.store.fetchone("SELECT value FROM key_check WHERE id = 1")
        return bytes(row["value"]) if row else None

    async def set_key_check(self, scheme: int, value: bytes) -> None:
        await self.store.write(
            "INSERT INTO key_check (id, scheme, value) VALUES (1, ?, ?) ON CONFLICT DO NOTHING", (scheme, value)
        )
