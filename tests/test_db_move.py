"""`python main.py db move`: a bot's SQLite file into an empty PostgreSQL database (drafts into Redis), and the bot
started on PostgreSQL carries on: the reporter's code still opens the report, the open draft is still there, the
next report number follows, the questions and staff roles came along; a second move is refused."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot.tg.callbacks import TipButton
from tests import pg
from tests.botenv import running_bot
from tests.chat import Chat
from tests.conftest import ROOT
from tests.redis_server import shared_redis
from tests.test_tips_bot import send_and_confirm
from tests.tipchat import fill_report, fill_until_evidence

pytestmark = pg.SQLITE_ONLY  # the bot before the move is on SQLite; this pass has a PostgreSQL server too


async def db_move(data_dir, database_url: str, redis_url: str) -> tuple[int, str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.pop("DATA_KEY", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", "db", "move", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_a_sqlite_bot_moves_to_postgresql_and_carries_on(tmp_path):
    if pg.server() is None:
        pytest.skip("no PostgreSQL server (run the tests through .ci/run, which starts one)")
    data_dir = tmp_path / "data"
    async with running_bot(data_dir, admin_ids=frozenset({1})) as env:
        reporter, drafter = Chat(env.fake, 7301), Chat(env.fake, 7302)
        code = await send_and_confirm(reporter, await fill_report(reporter, evidence=False))
        [first] = await reporter.say(f"/status {code}")
        await fill_until_evidence(drafter)  # left open
        await Chat(env.fake, 7303).say("boleh gak pns like postingan caleg?")
        s = env.app.bot_data["services"]
        assert await s.admin.grant(1, 555, "editor")
        asked = len(await s.questions.per_day("2000-01-01"))
    async with pg.fresh() as url:
        redis = shared_redis(url)
        status, out = await db_move(data_dir, url, redis)
        assert status == 0, out
        assert "1 draft(s) moved" in out and "reports 1" in out and "set DATA_KEY" in out
        status, out = await db_move(data_dir, url, redis)
        assert status == 2 and "already holds data" in out, out

        async with running_bot(data_dir, database_url=url, redis_url=redis) as env:
            s = env.app.bot_data["services"]
            reporter, drafter = Chat(env.fake, 7301), Chat(env.fake, 7302)
            [status_now] = await reporter.say(f"/status {code}")
            assert status_now.text == first.text  # the same report, found by its code
            [choice] = await drafter.say("/lapor")
            [resumed] = await drafter.press(choice, TipButton("resume"))
            assert "Langkah 6/7" in resumed.text  # the draft's step, from Redis
            assert await s.tips.store.draft(s.drafts.of(7302)) is None  # not a row in PostgreSQL
            other = Chat(env.fake, 7304)
            await send_and_confirm(other, await fill_report(other, evidence=False))
            numbers = sorted(r["public_no"] for r in await s.tips.store.list_reports(None, 0, None))
            assert [n[-6:] for n in numbers] == ["000001", "000002"]  # the counter came along
            assert len(await s.questions.per_day("2000-01-01")) == asked
            assert await s.admin.roles(555) == {"editor"}
