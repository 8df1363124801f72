"""Admin notices and the periodic jobs with replicas: the real Application (built as `python main.py` builds it,
its jobs run by the test rather than the job queue, to run them at once and at chosen moments) against the fake
Bot API, on SQLite and on one PostgreSQL database shared by two replicas.

SQLite has one process per file, so there "two replicas" are two delivery runs at once in one process, and "the
other replica" is the bot restarted on the same DATA_DIR: the lease and the backoff are on the row either way.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from telegram.ext import Application

from bot.config import Settings
from bot.services import Services
from bot.storage.leader import LEADER_KEY
from bot.tg import jobs
from bot.tg.app import build_application
from bot.tg.context import BotContext
from bot.tips.model import Draft
from tests.botenv import TOKEN
from tests.fake_telegram import FakeTelegram
from tests.redis_server import shared_redis

ADMIN_CHAT = -100777
DATA_KEY = base64.b64encode(bytes(range(32))).decode()  # one key for both replicas, as deployments share DATA_KEY
NETWORK_RETRIES = 6  # RetryingRateLimiter's: a 5xx reaches the job only after this many retries
REPORT_NO = re.compile(r"LPR-\d{4}-\d{6}")


@pytest.fixture
def database_url(backend_url: str | None) -> str | None:
    """None for SQLite; for PostgreSQL a fresh database (tests/conftest.py)."""
    return backend_url


@asynccontextmanager
async def replica(data_dir: Path, database_url: str | None, **settings) -> AsyncIterator[Application]:
    """One bot process, started as post_init starts it (store, key check, rules, jobs registered), with a fake
    Bot API of its own so that the test sees which replica sent what; the job queue is not started."""
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    app = build_application(
        Settings(
            bot_token=TOKEN, bot_api_base_url=f"{base}/bot", bot_api_file_url=f"{base}/file/bot", data_dir=data_dir,
            database_url=database_url, data_key=DATA_KEY, admin_chat_id=ADMIN_CHAT,
            redis_url=shared_redis(database_url) if database_url else None, **settings,
        ),
        retry_backoff=0.01,
    )  # fmt: skip
    app.bot_data["fake"] = fake
    try:
        await app.initialize()
        await app.post_init(app)
        yield app
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
        await fake.stop()


def services(app: Application) -> Services:
    return app.bot_data["services"]


def fake_of(app: Application) -> FakeTelegram:
    return app.bot_data["fake"]


async def run(job, app: Application) -> None:
    """A job as the job queue runs it, with the context it would get."""
    await job(BotContext(app))


def announced(app: Application) -> list[str]:
    """The report numbers of the notices this replica got through to the admins' chat."""
    return [m for c in fake_of(app).messages_to(ADMIN_CHAT) for m in REPORT_NO.findall(c.text or "")]


async def file_reports(app: Application, count: int) -> list[str]:
    """Reports sent as the form sends them (TipService.submit), each with its notice in the outbox."""
    tips = services(app).tips
    numbers = []
    for n in range(count):
        draft = Draft(
            step="review", category="medsos", election="pemilu", province="33", regency="Kota Semarang",
            description="Seorang ASN membagikan unggahan calon di grup kantor pada jam kerja.",
        )  # fmt: skip
        numbers.append((await tips.submit(f"user-key-{n}", draft)).public_no)
    return numbers


async def outbox(app: Application) -> list[dict]:
    return [dict(row) for row in await services(app).tips.store.notices(100)]


def other_replica_dir(tmp_path: Path, database_url: str | None) -> Path:
    """PostgreSQL: another machine (its own DATA_DIR); SQLite: the same bot restarted on its file."""
    return tmp_path / ("b" if database_url else "a")


async def test_twenty_notices_two_replicas_delivering_at_once_each_sent_once(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "NOTICE_BATCH", 3)  # small batches, so that the two runs interleave

    async def drain(app: Application) -> None:
        while await outbox(app):
            await run(jobs.deliver_notices, app)
            await asyncio.sleep(0)  # let the other replica claim its batch between two of ours

    async with replica(tmp_path / "a", database_url) as a:
        numbers = await file_reports(a, 20)
        if database_url is None:  # one process per file: two delivery runs of it at once
            await asyncio.gather(drain(a), drain(a))
            assert sorted(announced(a)) == sorted(numbers)
            return
        async with replica(tmp_path / "b", database_url) as b:
            await asyncio.gather(drain(a), drain(b))
            assert sorted(announced(a) + announced(b)) == sorted(numbers)  # every notice, none twice
            assert announced(a) and announced(b)  # both replicas delivered
            assert await outbox(b) == []


async def test_a_notice_claimed_by_a_replica_that_died_is_delivered_after_its_lease(database_url, tmp_path):
    lease = 5.0
    async with replica(tmp_path / "a", database_url) as a:
        [number] = await file_reports(a, 1)
        [claimed] = await services(a).tips.claim_notices(lease)  # then the replica "dies": never sent, never given back
        assert claimed.fields["public_no"] == number
    async with replica(other_replica_dir(tmp_path, database_url), database_url) as b:
        [row] = await outbox(b)
        assert row["attempts"] == 1 and time.time() < row["lease_until"], "the restart took longer than the lease"
        await run(jobs.deliver_notices, b)
        assert announced(b) == [] and len(await outbox(b)) == 1  # still held by the dead replica's lease
        await asyncio.sleep(row["lease_until"] - time.time() + 0.1)
        await run(jobs.deliver_notices, b)
        assert announced(b) == [number] and await outbox(b) == []


async def test_the_backoff_after_a_bot_api_500_is_honoured_by_the_other_replica(database_url, tmp_path):
    interval = 5.0  # the first retry waits one NOTICE_INTERVAL
    async with replica(tmp_path / "a", database_url, outbox_interval=interval) as a:
        [number] = await file_reports(a, 1)
        fake_of(a).fail("sendMessage", "500", times=NETWORK_RETRIES + 1, chat_id=ADMIN_CHAT)
        failed_at = time.time()
        await run(jobs.deliver_notices, a)
        assert announced(a) == [] and len([c for c in fake_of(a).calls if not c.ok]) == NETWORK_RETRIES + 1
        [row] = await outbox(a)
        assert (row["attempts"], row["last_error"], row["lease_until"]) == (1, "NetworkError", 0)
        assert failed_at + interval <= row["due_at"] <= time.time() + interval
    async with replica(other_replica_dir(tmp_path, database_url), database_url, outbox_interval=interval) as b:
        assert time.time() < row["due_at"], "the restart took longer than the backoff"
        await run(jobs.deliver_notices, b)
        assert fake_of(b).messages_to(ADMIN_CHAT) == [] and await outbox(b) == [row]  # not tried before its time
        await asyncio.sleep(row["due_at"] - time.time() + 0.1)
        await run(jobs.deliver_notices, b)
        assert announced(b) == [number] and await outbox(b) == []


async def stale_report(app: Application) -> int:
    """A report closed long enough ago that the retention sweep purges its text."""
    tips = services(app).tips
    draft = Draft(step="review", category="medsos", election="pemilu", province="35", description="x" * 40)
    report_id = await tips.find((await tips.submit(f"u-{secrets.token_hex(4)}", draft)).code)
    await tips.store.store.write("UPDATE reports SET status = 'selesai', status_on = '2000-01-01' WHERE id = ?",
                                 (report_id,))  # fmt: skip
    return report_id


async def swept(app: Application, report_id: int) -> bool:
    return (await services(app).tips.view(report_id)).purged


async def kill_leader_connection(database_url: str) -> None:
    """What a network cut does to the leader's session: the server ends it, and its advisory lock with it."""
    conn = await asyncpg.connect(database_url)
    try:
        pids = await conn.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND ((classid::bigint << 32) | objid::bigint) = $1",
            LEADER_KEY,
        )
        assert len(pids) == 1
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pids[0]["pid"])
    finally:
        await conn.close()


async def test_the_sweeps_run_on_one_leader_and_the_other_takes_over(database_url, tmp_path):
    async with replica(tmp_path / "a", database_url) as a:
        if database_url is None:  # one process per file: always the leader
            key = await stale_report(a)
            await run(jobs.purge, a)
            assert await services(a).leader.is_leader() and await swept(a, key)
            return
        async with replica(tmp_path / "b", database_url) as b:
            leader_a, leader_b = services(a).leader, services(b).leader
            assert await leader_a.is_leader() and not await leader_b.is_leader()
            key = await stale_report(b)
            await run(jobs.purge, b)
            await run(jobs.wipe_if_pending, b)
            assert not await swept(b, key)  # B is not the leader: its sweep did nothing
            assert await leader_a.is_leader() and not await leader_b.is_leader()  # kept, not taken in turns

            await kill_leader_connection(database_url)
            await run(jobs.purge, b)  # B's next sweep finds the lock free and takes the lead
            assert await swept(b, key)
            assert not await leader_a.is_leader() and await leader_b.is_leader()  # A noticed, and follows

            await leader_b.close()  # B shuts down: the lock goes with its connection
            key = await stale_report(a)
            await run(jobs.purge, a)
            assert await swept(a, key) and await leader_a.is_leader()
