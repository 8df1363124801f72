"""Three `python main.py` replicas behind HAProxy, on one PostgreSQL and one Redis (no persistence), fed by the
fake Bot API's webhook delivery (one update at a time per queue, retried until a 200). 200 chats ask, 20
reporters file reports, and one replica is killed with SIGKILL half-way: every question is answered once and in
order, every report stored once with its receipt shown, one admin notice each, no Bot API 400s; then SIGTERM
stops the others without leaving an update undelivered.

Needs Debian's postgresql (pg_virtualenv sets PGHOST…), redis-server and haproxy, which `.ci/run` installs.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.tg import callbacks
from tests import pg
from tests.botenv import SECRET, TOKEN
from tests.chat import ButtonSpec, Chat, GroupChat, find
from tests.conftest import ROOT
from tests.fake_telegram import Call, FakeTelegram
from tests.redis_server import free_port, redis_server
from tests.tipchat import DESCRIPTION

ADMIN_CHAT = -100777
REPLICAS = 3
CHATS = 200
REPORTERS = 20
QUESTIONS = ("boleh gak pns like postingan caleg?", "pppk boleh jadi anggota partai politik?")


async def newest(chat: Chat, spec: ButtonSpec | None = None, text: str | None = None, timeout: float = 90) -> Call:
    """The newest unread message with the button `spec` (or `text`), once one has come; all read after it. A
    step Telegram delivered again (its replica killed before acknowledging it) shows its prompt twice, as a
    user would see: the walk goes on from the newest."""

    def match() -> Call | None:
        return next(
            (c for c in reversed(chat.unread) if (spec and find(c, spec)) or (text and text in (c.text or ""))),
            None,
        )

    found = await chat.fake.wait_for(match, timeout)
    chat.seen = len(chat.messages)
    return found


async def report_through_a_kill(chat: Chat, evidence: bool) -> str:
    """/lapor to its receipt, waiting at each step for that step's prompt (tests/tipchat.py counts replies,
    which a redelivered step would throw off); returns the receipt's text."""
    button = callbacks.TipButton
    chat.send("/lapor")
    chat.tap(await newest(chat, button("c", "medsos")), button("c", "medsos"))
    chat.tap(await newest(chat, button("e", "pilkada")), button("e", "pilkada"))
    await newest(chat, button("skip", "who"))
    chat.send("Kepala Bidang Dinas Pendidikan Kab. Contoh")
    chat.tap(await newest(chat, button("p", "34")), button("p", "34"))
    await newest(chat, button("skip", "regency"))
    chat.send("Kab. Sleman")
    await newest(chat, button("d", "0"))
    chat.send("17/9/2024")
    await newest(chat, button("back", "description"))
    chat.send(DESCRIPTION)
    step = await newest(chat, button("back", "evidence"))
    if evidence:
        chat.send("lihat https://instagram.com/p/contoh123")
        step = await newest(chat, button("rm", "1"))  # the link is in: only then "done"
    chat.tap(step, button("done", "evidence"))
    chat.tap(await newest(chat, button("send")), button("send"))
    return (await newest(chat, text="LPR-")).text


def need(binary: str) -> None:
    if shutil.which(binary) is None:
        if os.environ.get("NETRA_REQUIRE_REDIS") == "1":  # CI: everything the tests need is installed
            pytest.fail(f"{binary} is not installed")
        pytest.skip(f"{binary} is not installed (Debian: apt-get install {binary})")


class Replica:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = {**env, "WEBHOOK_PORT": str(port)}
        self.port = port
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "main.py", cwd=ROOT, env=self.env, stdout=out, stderr=out
            )

    async def healthy(self, client: aiohttp.ClientSession) -> bool:
        try:
            async with client.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False


def haproxy_config(front: int, replicas: list[Replica]) -> str:
    servers = "\n".join(
        f"    server r{n} 127.0.0.1:{r.port} check inter 200ms fall 1 rise 2" for n, r in enumerate(replicas, 1)
    )
    return f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    retry-on conn-failure empty-response
frontend telegram
    bind 127.0.0.1:{front}
    default_backend bots
backend bots
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_three_replicas_behind_haproxy_survive_a_kill_9(tmp_path):
    for binary in ("redis-server", "haproxy"):
        need(binary)
    if pg.server() is None:
        pytest.skip("no PostgreSQL server (run the tests under pg_virtualenv, as .ci/run does)")
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    database = await pg.create(pg.name_for(tmp_path / "replicas"))
    front = free_port()
    with redis_server(tmp_path / "redis") as redis_url:
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": f"{base}/bot",
            "BOT_API_FILE_URL": f"{base}/file/bot",
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
            "WEBHOOK_URL": f"http://127.0.0.1:{front}/telegram",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "REPLICAS": "1",  # each its own 30 messages a second: the fake has no flood limit to share
            "ADMIN_CHAT_ID": str(ADMIN_CHAT),
            "NOTICE_INTERVAL": "1",
        }
        deploy = await asyncio.create_subprocess_exec(
            sys.executable, "main.py", "deploy", cwd=ROOT, env={**env, "DATA_DIR": str(tmp_path / "deploy")},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await deploy.communicate()
        assert deploy.returncode == 0, out.decode()
        assert fake.webhook == {"url": env["WEBHOOK_URL"], "secret": SECRET}

        replicas = [
            Replica({**env, "DATA_DIR": str(tmp_path / f"r{n}")}, free_port(), tmp_path / f"r{n}.log")
            for n in range(REPLICAS)
        ]
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(haproxy_config(front, replicas))
        haproxy = await asyncio.create_subprocess_exec(
            "haproxy", "-f", str(cfg), "-db", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        client = aiohttp.ClientSession()
        try:
            for replica in replicas:
                await replica.start()

            async def all_healthy() -> bool:
                return all([await r.healthy(client) for r in replicas])

            await wait_until(all_healthy, 60, "the replicas' health checks")
            await asyncio.sleep(0.6)  # HAProxy's rise 2 at 200 ms

            # the answers a chat should get, in order, from one chat asked before the load
            probe = Chat(fake, 5_000_000)
            expected = [(await probe.say(q, timeout=30))[0].text for q in QUESTIONS]
            assert "DILARANG" in expected[0] and expected[0] != expected[1]

            answered = 0

            async def asker(n: int) -> None:
                nonlocal answered
                chat = Chat(fake, 5_100_000 + n)
                for question in QUESTIONS:
                    await chat.say(question, timeout=90)
                    answered += 1

            async def reporter(n: int) -> str:
                return await report_through_a_kill(Chat(fake, 5_200_000 + n), evidence=n % 2 == 0)

            async def killer() -> float:
                while answered < CHATS:  # half the questions
                    await asyncio.sleep(0.05)
                replicas[1].proc.kill()  # SIGKILL: no draining, claims and locks left behind
                await replicas[1].proc.wait()
                return time.monotonic()

            started = time.monotonic()
            results = await asyncio.gather(
                killer(), *(asker(n) for n in range(CHATS)), *(reporter(n) for n in range(REPORTERS))
            )
            finished = time.monotonic()
            killed_at = results[0]
            receipts = results[1 + CHATS :]
            await asyncio.sleep(1.5)  # anything duplicated would have arrived by now

            # Each question answered once, in order. The exception Telegram's protocol leaves: an update whose
            # reply the killed replica had sent but not yet acknowledged is delivered again (at least once,
            # since a sendMessage cannot be made idempotent); such a chat must show a failed delivery, and
            # there can be no more of them than updates that replica had in hand.
            redelivered = {update_id for update_id, status in fake.deliveries if status != 200}
            twice = []
            for n in range(CHATS):
                texts = [m.text for m in Chat(fake, 5_100_000 + n).messages]
                if texts != expected:
                    assert texts[0] == expected[0] and expected[1] in texts and len(texts) == 3, (n, texts)
                    twice.append(n)
            assert len(twice) <= min(len(redelivered), 10)
            bad = [c for c in fake.calls if not c.ok and "Bad Request" in (c.error or "")]
            assert not bad, bad[:3]
            assert fake.undelivered() == 0

            numbers = [re.search(r"LPR-[0-9-]+", text).group(0) for text in receipts]
            assert len(set(numbers)) == REPORTERS
            conn = await asyncpg.connect(database)
            try:
                stored = sorted(r["public_no"] for r in await conn.fetch("SELECT public_no FROM reports"))
            finally:
                await conn.close()
            assert stored == sorted(numbers)  # each stored once, and each reporter was shown its own

            admin = GroupChat(fake, ADMIN_CHAT)

            def notices() -> list[str]:
                return [n for m in admin.messages for n in re.findall(r"LPR-[0-9-]+", m.text)]

            await fake.wait_for(lambda: len(set(notices())) == REPORTERS, timeout=60)
            await asyncio.sleep(2.5)
            assert sorted(notices()) == sorted(numbers)  # one notice per report, none twice

            # a rule changed by another process reaches every live replica at once (LISTEN/NOTIFY)
            edited = tmp_path / "knowledge"
            shutil.copytree(ROOT / "knowledge", edited)
            rules_file = edited / "rules" / "media-sosial.yaml"
            old_title = "Memberi like, love, atau reaksi pada unggahan calon"
            rules_file.write_text(rules_file.read_text().replace(old_title, "Menyukai (like) unggahan calon", 1))
            kb = await asyncio.create_subprocess_exec(
                sys.executable, "main.py", "kb", "import", str(edited), "--note", "replica test", cwd=ROOT,
                env={**env, "DATA_DIR": str(tmp_path / "kb")}, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            out, _ = await kb.communicate()
            assert kb.returncode == 0, out.decode()
            imported = time.monotonic()

            asked = iter(range(5_300_000, 5_400_000))

            async def all_new() -> bool:
                # new chats each round: a chat asked again within a second waits for Telegram's per-chat limit,
                # which measured that (about 1 s a round) rather than the reload
                fresh = await asyncio.gather(*(Chat(fake, next(asked)).say(QUESTIONS[0], timeout=30) for _ in range(4)))
                return all("Menyukai (like) unggahan calon" in answer.text for [answer] in fresh)

            # NOTIFY reaches the replicas in milliseconds, and the matcher is rebuilt in a fraction of a second
            await wait_until(all_new, 5, "the edited rule on every live replica")
            reload_seconds = time.monotonic() - imported
            assert reload_seconds < 1.0, f"the edited rule took {reload_seconds:.1f} s to reach every live replica"

            for replica in (replicas[0], replicas[2]):  # SIGTERM: drain, then exit cleanly
                replica.proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(replica.proc.wait(), 40) == 0
            assert fake.undelivered() == 0
            print(
                f"\n{CHATS * len(QUESTIONS)} questions and {REPORTERS} reports through {REPLICAS} replicas in "
                f"{finished - started:.1f} s; one replica killed after {killed_at - started:.1f} s; "
                f"{len(redelivered)} updates delivered again, {len(twice)} of them answered twice; a rule imported "
                f"by another process served by both live replicas after {reload_seconds:.1f} s"
            )
            for replica in (replicas[0], replicas[2]):  # what that time was spent on, each replica's own figures
                print("  ", *re.findall(r"serving rule version.*", replica.log.read_text())[-1:])
        finally:
            await client.close()
            for replica in replicas:
                if replica.proc is not None and replica.proc.returncode is None:
                    replica.proc.kill()
                    await replica.proc.wait()
            haproxy.kill()
            await haproxy.wait()
            await fake.stop()
            await pg.drop(pg.name_for(tmp_path / "replicas"))
