"""`python main.py` as a process: the report form survives `kill -9` at every step, the admin notice
survives a restart, and nothing that identifies the reporter reaches any file the bot wrote or its log."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.privacy.keys import load_keys
from bot.tg import callbacks
from tests import pg
from tests.botenv import TOKEN
from tests.chat import Chat, GroupChat, datas
from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram
from tests.redis_server import shared_redis
from tests.tipchat import DESCRIPTION, jpeg_with_gps

ADMIN_CHAT = -100900
USER_ID = 8123456789
USERNAME = "sulis_rahasia_77"
FIRST_NAME = "Sulistyowati"


class BotProcess:
    """main.py against the fake API; every run appends its stderr (the bot's log) to one file."""

    def __init__(self, base: str, data_dir: Path, log_path: Path, **env: str) -> None:
        self.env = {
            **env,
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": f"{base}/bot",
            "BOT_API_FILE_URL": f"{base}/file/bot",
            "DATA_DIR": str(data_dir),
            "ADMIN_CHAT_ID": str(ADMIN_CHAT),
            "NOTICE_INTERVAL": "1",
        }
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child process owns it
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "main.py", cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        log.close()

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=30)


def identifying_bytes() -> list[bytes]:
    """The reporter's id (as text and as SQLite/struct integers), username and name."""
    return [
        str(USER_ID).encode(),
        struct.pack(">q", USER_ID),
        struct.pack(">q", USER_ID)[2:],  # SQLite's 6-byte integer
        USERNAME.encode(),
        FIRST_NAME.encode(),
        FIRST_NAME.lower().encode(),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path) -> AsyncIterator[dict[str, str]]:
    """The bot's settings for its database: none (SQLite in DATA_DIR), or a PostgreSQL database of its own
    with drafts in Redis, as the bot requires there, and a DATA_KEY the attacker below is given."""
    if request.param == "sqlite":
        yield {}
        return
    async with pg.fresh() as url:
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        yield {"DATABASE_URL": url, "REDIS_URL": shared_redis(url), "DATA_KEY": key}


async def test_report_survives_kill_9_at_every_step_and_leaves_no_trace(tmp_path, database):
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    data_dir = tmp_path / "data"
    bot = BotProcess(base, data_dir, tmp_path / "bot.log", **database)
    chat = Chat(fake, USER_ID, first_name=FIRST_NAME, username=USERNAME)
    admin = GroupChat(fake, ADMIN_CHAT)
    timeout = 60

    async def restart() -> None:
        await bot.kill9()
        await bot.start()

    await bot.start()
    try:
        _intro, category = await chat.say("/lapor", count=2)
        await restart()
        [election] = await chat.press(category, callbacks.TipButton("c", "fasilitas-negara"))
        await restart()
        [who] = await chat.press(election, callbacks.TipButton("e", "pemilu"))
        await restart()
        [province] = await chat.say("Sekretaris Dinas Kesehatan Provinsi Contoh")
        await restart()
        [regency] = await chat.press(province, callbacks.TipButton("p", "52"))
        await restart()
        [date] = await chat.say("Kota Mataram")
        await restart()
        [description] = await chat.say("17 September 2024")
        await restart()
        [evidence] = await chat.say(DESCRIPTION)
        await restart()
        [ack] = await chat.send_photo(jpeg_with_gps(FIRST_NAME))
        await restart()
        [review] = await chat.press(ack, callbacks.TipButton, action="done")
        assert "Sekretaris Dinas Kesehatan" in review.text and "Kota Mataram, Nusa Tenggara Barat" in review.text
        assert "1 foto" in review.text and "17 September 2024" in review.text
        del who, regency, date, description, evidence
        await restart()

        # Telegram is down for the admin chat while the report is sent; the bot is then killed
        fake.fail("sendMessage", "500", times=10_000, chat_id=ADMIN_CHAT)
        [receipt] = await chat.press(review, callbacks.TipButton("send"))
        code = next(line for line in receipt.text.splitlines() if line.count("-") == 3)
        await asyncio.sleep(0.5)
        assert not admin.messages
        await bot.kill9()
        fake.faults.clear()
        await bot.start()
        [notice] = await admin.replies(1, timeout=timeout)
        assert "LPR-" in notice.text

        [status] = await chat.say(f"/status {code}")
        assert "Baru" in status.text and "LPR-" in status.text
        assert "menunggu dibaca petugas" in status.text  # what the status means, and what comes next
        assert callbacks.FollowUp("reply").pack() in datas(status)
        assert await bot.stop() == 0
    finally:
        if bot.proc and bot.proc.returncode is None:
            bot.proc.kill()
        await fake.stop()

    written = [p for p in data_dir.rglob("*") if p.is_file()]
    needles = identifying_bytes()
    if database:
        # the attacker holds a copy of the PostgreSQL server's disk, WAL included, and DATA_KEY: they can
        # compute the key a draft is filed under for any Telegram id, so they try the reporter's and every id
        # near it. Drafts were in Redis (memory) only: none of those keys was ever written.
        users = load_keys(data_dir, data_dir / "netra.sqlite3", database["DATA_KEY"], database["DATABASE_URL"]).users
        needles += [users.key(user_id).encode() for user_id in range(USER_ID - 50, USER_ID + 51)]
        written += await pg.cluster_files()
    else:
        assert any(p.name.startswith("netra.sqlite3") for p in written)
    assert not (data_dir / "evidence").exists()
    log = (tmp_path / "bot.log").read_bytes()
    assert b"Traceback" not in log and TOKEN.encode() not in log
    for path in [*written, tmp_path / "bot.log"]:
        content = path.read_bytes()
        for needle in needles:
            assert needle not in content, f"{needle!r} found in {path.name}"
        assert DESCRIPTION[:30].encode() not in content and b"Kota Mataram" not in content
        assert code.encode() not in content
