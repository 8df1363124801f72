"""The storage layer on both databases it supports: the embedded SQLite file and a real PostgreSQL server.

PostgreSQL is the server of tests/pg.py; every test gets a database of its own. Without a server the PostgreSQL
half is skipped, unless NETRA_REQUIRE_POSTGRES=1 (CI sets it) makes that a failure.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from bot.editing.rules import RuleError, RuleService
from bot.privacy.keys import KeyMismatch, check_value, load_keys
from bot.qa.kb_files import load_knowledge
from bot.storage.admin import AdminStore
from bot.storage.database import Database
from bot.storage.leader import Leader
from bot.storage.migrations import MIGRATIONS
from bot.storage.questions import QuestionStore
from bot.storage.rules import RULES_CHANNEL
from bot.storage.tips import NewEvidence, NewReport, TipStore
from tests.conftest import KNOWLEDGE

TODAY = date(2026, 12, 2)


@pytest.fixture
async def database(backend_url, tmp_path) -> AsyncIterator[Database]:
    store = Database(tmp_path / "netra.sqlite3", backend_url)
    await store.open()
    yield store
    await store.close()


def _report(n: int) -> NewReport:
    return NewReport(f"loc{n}", secrets.token_bytes(32), "medsos", "pemilu", "33", secrets.token_bytes(64))


async def test_questions_votes_picks_and_the_unanswered_list(database):
    questions = QuestionStore(database)
    answered = await questions.record_question("pns like caleg", "answer", "medsos-like-unggahan", 0.97, "id")
    vague = await questions.record_question("pns caleg", "ambiguous", None, 0.4, "id")
    assert vague == answered + 1
    assert await questions.record_vote("medsos-like-unggahan", answered, 1)
    assert not await questions.record_vote("medsos-like-unggahan", answered, 1)  # one vote per question
    assert not await questions.record_vote("kampanye-hadir-pasif", answered, -1)  # not the rule it was answered with
    await questions.record_pick(vague, "pencalonan-dprd")
    [open_one] = await questions.open_questions("2000-01-01")
    assert (open_one.query, open_one.picked, open_one.down) == ("pns caleg", "pencalonan-dprd", False)
    assert await questions.record_vote("pencalonan-dprd", vague, 1)
    assert await questions.open_questions("2000-01-01") == []  # the 👍 on the picked rule resolved it
    [counts] = [c for c in await questions.vote_counts("2000-01-01") if c.rule_id == "medsos-like-unggahan"]
    assert (counts.up, counts.down) == (1, 0)
    assert (await questions.per_day("2000-01-01"))[0][2] >= 1
    assert await questions.purge_questions(date(2999, 1, 1)) == 2


async def test_reports_filed_at_once_get_distinct_numbers_in_order(database):
    tips = TipStore(database)
    for n in range(20):
        await tips.save_draft(f"user{n}", b"draft")

    async def file(n: int) -> str:
        evidence = [NewEvidence("photo", "image/jpeg", 10, f"f{n}", None)]
        _id, public_no = await tips.create_report(_report(n), evidence, TODAY, (f"user{n}", lambda no: no.encode()))
        return public_no

    numbers = await asyncio.gather(*(file(n) for n in range(20)))
    assert sorted(numbers) == [f"LPR-2026-{i:06d}" for i in range(1, 21)]
    assert await tips.count_reports(None) == 20 and len(await tips.notices(50)) == 20
    report_id = await tips.report_by_number("lpr-2026-000007")
    assert report_id is not None and (await tips.report(report_id))["status"] == "baru"
    assert {(await tips.draft(f"user{n}")).decode() for n in range(20)} == set(numbers)  # each its own receipt
    assert len(await tips.list_reports(None, 0, None)) == 20 and len(await tips.list_reports("baru", 5, 3)) == 3
    # two delivery runs at once (two replicas) share the notices, none twice; a claim holds until its lease ends
    now = 1_000_000.0
    first, second = await asyncio.gather(tips.claim_notices(now, 60, 12), tips.claim_notices(now, 60, 12))
    claimed = [row["id"] for row in [*first, *second]]
    assert len(claimed) == len(set(claimed)) == 20
    assert await tips.claim_notices(now + 59, 60) == []
    await tips.notice_failed(claimed[0], now + 30, "NetworkError")  # back off 30 s, whoever delivers next
    assert await tips.claim_notices(now + 29, 60) == []
    [again] = await tips.claim_notices(now + 30, 60)
    assert again["id"] == claimed[0] and again["attempts"] == 1  # the row as it was claimed: one attempt before
    assert len(await tips.claim_notices(now + 61, 60, 50)) == 19  # the leases of a "dead" run ran out
    [item] = await tips.evidence(report_id)
    assert await tips.purge_report(report_id, TODAY) == [item["file"]] and await tips.evidence(report_id) == []


async def test_a_failed_transaction_leaves_nothing(database):
    with pytest.raises(RuntimeError):
        async with database.transaction() as tx:
            await tx.run(
                "INSERT INTO tip_drafts (user_key, updated_on, body) VALUES (?, ?, ?)", ("k", "2026-12-02", b"x")
            )
            raise RuntimeError("rolled back")
    assert await TipStore(database).draft("k") is None


async def test_rule_revisions_roles_and_audit(database):
    kb = load_knowledge(KNOWLEDGE)
    rules = RuleService(database, kb.sources, kb.topics)
    await rules.open([*kb.rules.values(), *kb.retired.values()])
    version = await rules.revisions.version()
    assert version == len(kb.rules) + len(kb.retired)
    assert await rules.add_phrasing("kampanye-hadir-pasif", "pns nonton kampanye boleh?", "9003")
    assert await rules.revisions.version() == version + 1
    assert (await rules.current("kampanye-hadir-pasif")).revision == 2
    admin = AdminStore(database)
    await admin.add_role(42, "editor", 1)
    await admin.add_audit(1, "roles.grant", "42", None, {"role": "editor"})
    await admin.count_denied("rules")
    await admin.count_denied("rules")
    assert await admin.roles(42) == {"editor"}
    assert [(e.action, e.after) for e in await admin.recent_audit(5)] == [("roles.grant", '{"role": "editor"}')]
    assert [n for _day, _p, n in await admin.denied_counts(5)] == [2]


async def test_an_old_sqlite_database_keeps_numbering_after_the_upgrade(tmp_path):
    """A database made by the SQLite scripts alone (before Alembic) is upgraded in place."""
    path = tmp_path / "netra.sqlite3"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS, start=1):
        db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    db.execute(
        "INSERT INTO reports (public_no, locator, code_hash, submitted_on, status, status_on, category, election, "
        "province) VALUES ('LPR-2026-000041', 'l', x'00', '2026-11-01', 'baru', '2026-11-01', 'lainnya', 'pemilu', "
        "'33')"
    )
    db.commit()
    db.close()
    store = Database(path)
    await store.open()
    try:
        await TipStore(store).save_draft("u", b"d")
        _id, public_no = await TipStore(store).create_report(_report(1), [], TODAY, ("u", lambda no: no.encode()))
        assert public_no == "LPR-2026-000042"
        assert "alembic_version" in await store.table_names()
    finally:
        await store.close()


def test_postgres_urls_are_read_as_asyncpg_urls():
    assert Database(Path("x"), "postgresql://u:p@h:5432/d").url == "postgresql+asyncpg://u:p@h:5432/d"
    with pytest.raises(ValueError, match="postgresql://"):
        Database(Path("x"), "mysql://u@h/d")


async def test_rule_versions_appear_in_commit_order(database):
    """A second writer waits for the first to commit, so a bot polling the version never skips a revision."""
    kb = load_knowledge(KNOWLEDGE)
    store = RuleService(database, kb.sources, kb.topics).revisions
    item = {"id": "uji", "topic": "kampanye", "verdict": "info", "title": "t", "questions": ["q"], "answer": "a"}
    before = await store.version()
    first_inside, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with store.writing() as tx:
            await tx.insert(item, 1, "a", None)
            first_inside.set()
            await release.wait()

    async def second() -> None:
        await first_inside.wait()
        async with store.writing() as tx:
            await tx.insert({**item, "id": "uji-dua"}, 1, "b", None)

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_inside.wait()
    await asyncio.sleep(0.3)
    assert not tasks[1].done() and await store.version() == before  # nothing committed yet, the second waits
    release.set()
    await asyncio.gather(*tasks)
    assert await store.version() == before + 2 and [r.author for r in (await store.current()).values()][-2:] == [
        "a",
        "b",
    ]


async def test_a_wrong_data_key_is_refused_before_the_database_is_opened(database, tmp_path):
    key_a, key_b = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    keys = load_keys(tmp_path, database.path, key_a, database.url)
    await TipStore(database).set_key_check(keys.scheme, check_value(keys))
    assert load_keys(tmp_path, database.path, key_a, database.url).scheme == keys.scheme  # the right key opens it
    with pytest.raises(KeyMismatch, match="DATA_KEY does not open"):
        load_keys(tmp_path, database.path, key_b, database.url)


async def test_two_editors_saving_one_rule_at_once_one_is_told_it_changed(database):
    kb = load_knowledge(KNOWLEDGE)
    rules = RuleService(database, kb.sources, kb.topics)
    await rules.open([*kb.rules.values(), *kb.retired.values()])
    item = (await rules.current("kampanye-hadir-pasif")).item

    async def save(answer: str) -> str:
        try:
            await rules.save({**item, "answer": answer}, "9003", None, base=1)
            return "saved"
        except RuleError as exc:
            return str(exc)

    outcomes = await asyncio.gather(save("Jawaban satu yang baru."), save("Jawaban dua yang baru."))
    assert sorted(o[:30] for o in outcomes) == ["aturan kampanye-hadir-pasif su", "saved"]
    assert (await rules.current("kampanye-hadir-pasif")).revision == 2


async def test_sqlite_connections_keep_their_settings_and_errors_keep_values_out_of_messages(tmp_path):
    store = Database(tmp_path / "netra.sqlite3")
    await store.open()
    try:
        for pragma, expected in (("foreign_keys", 1), ("secure_delete", 1), ("journal_mode", "wal")):
            assert (await store.fetchone(f"PRAGMA {pragma}"))[pragma] == expected, pragma
        with pytest.raises(Exception) as caught:
            await store.write(
                "INSERT INTO tip_drafts (user_key, updated_on, body) VALUES (?, ?, ?)", ("k-rahasia", None, b"x")
            )
        assert "k-rahasia" not in str(caught.value)
    finally:
        await store.close()


async def test_a_rule_saved_by_another_process_is_announced_at_once_on_postgresql(backend_url, tmp_path):
    """Replicas reload the rules when another one saves a revision (LISTEN/NOTIFY), not at their next poll."""
    if backend_url is None:
        pytest.skip("SQLite has one process per file: nothing to announce")
    kb = load_knowledge(KNOWLEDGE)
    listening, saving = Database(tmp_path / "a.sqlite3", backend_url), Database(tmp_path / "b.sqlite3", backend_url)
    await listening.open()
    await saving.open()
    try:
        heard = asyncio.Event()
        await listening.listen(RULES_CHANNEL, heard.set)
        rules = RuleService(saving, kb.sources, kb.topics)
        await rules.open([*kb.rules.values(), *kb.retired.values()])
        heard.clear()  # the first revisions were saved before; only the next one counts
        assert await rules.add_phrasing("kampanye-hadir-pasif", "pns nonton kampanye boleh?", "9003")
        await asyncio.wait_for(heard.wait(), 1.0)
    finally:
        await listening.close()
        await saving.close()


async def test_one_leader_at_a_time_and_the_next_takes_over(backend_url, tmp_path):
    """The periodic sweeps run on one replica: the holder of an advisory lock, given up when it dies."""
    first, second = Database(tmp_path / "a.sqlite3", backend_url), Database(tmp_path / "b.sqlite3", backend_url)
    await first.open()
    await second.open()
    try:
        a, b = Leader(first), Leader(second)
        if backend_url is None:
            assert await a.is_leader() and await b.is_leader()  # SQLite: one process per file, always the leader
            return
        assert await a.is_leader() and not await b.is_leader()
        assert await a.is_leader() and not await b.is_leader()  # kept, not taken in turns
        await a.close()  # what a killed replica's broken connection does
        assert await b.is_leader() and not await a.is_leader()
        await b.close()
    finally:
        await first.close()
        await second.close()


async def test_days_and_times_are_dates_on_postgresql_and_iso_strings_to_the_bot(database, backend_url):
    """Alembic 0005: DATE and TIMESTAMPTZ columns on PostgreSQL, ISO text on SQLite; the bot reads the same
    strings from both (the connection's codecs), and compares days with days."""
    tips = TipStore(database)
    report_id, _no = await tips.create_report(_report(1), [], TODAY)
    await AdminStore(database).add_role(42, "editor", 1)
    row = await tips.report(report_id)
    assert row["submitted_on"] == "2026-12-02" and row["purged_on"] is None
    [granted] = await database.fetchall("SELECT granted_at FROM admin_roles")
    assert granted["granted_at"].endswith("+00:00") and "T" in granted["granted_at"]
    assert await tips.closed_before(date(2027, 1, 1), ("baru",)) == [report_id]
    assert await tips.closed_before(date(2026, 12, 2), ("baru",)) == []
    if backend_url is None:
        return
    conn = await asyncpg.connect(backend_url)
    try:
        types = {(r["table_name"], r["column_name"]): r["data_type"] for r in await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
        )}  # fmt: skip
    finally:
        await conn.close()
    assert types["reports", "submitted_on"] == types["questions", "asked_at"] == "date"
    assert types["audit", "at"] == types["rule_revisions", "created_at"] == "timestamp with time zone"
    assert [name for (name, column), kind in types.items() if column.endswith(("_on", "_at")) and kind == "text"] == []
