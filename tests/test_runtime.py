"""How the bot runs in production: `python main.py` as a process (SIGTERM stops it cleanly), and webhook mode."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys

import httpx

from bot.config import Settings
from bot.tg.app import build_application
from tests.botenv import TOKEN
from tests.chat import Chat
from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_main_runs_the_bot_and_stops_cleanly_on_sigterm(tmp_path):
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": f"{base}/bot",
        "BOT_API_FILE_URL": f"{base}/file/bot",
        "DATA_DIR": str(tmp_path / "data"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        [reply] = await Chat(fake, 3001).say("pns jadi anggota parpol", timeout=60)
        assert "DILARANG" in reply.text
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, stderr.decode()
        log = stderr.decode()
        assert TOKEN not in log and "Traceback" not in log
        assert (tmp_path / "data" / "netra.sqlite3").is_file()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()


async def test_webhook_mode_with_secret_token(tmp_path):
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    settings = Settings(bot_token=TOKEN, bot_api_base_url=f"{base}/bot", data_dir=tmp_path / "data")
    app = build_application(settings)
    port = free_port()
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="telegram",
        webhook_url="https://bot.example.org/telegram", secret_token="s3cret-token",
    )  # fmt: skip
    chat = Chat(fake, 3101)  # its message comes over the webhook, not from the fake
    try:
        [hook] = fake.sent(method="setWebhook")
        assert hook.params["url"] == "https://bot.example.org/telegram"
        assert hook.params["secret_token"] == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1, "date": 0, "text": "pns jadi anggota parpol",
                "from": chat.user, "chat": {"id": 3101, "type": "private"},
            },
        }  # fmt: skip
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/telegram"
            forged = await client.post(url, content=json.dumps(update), headers={"Content-Type": "application/json"})
            assert forged.status_code == 403
            ok = await client.post(
                url,
                content=json.dumps(update),
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
            assert ok.status_code == 200
        [reply] = await chat.replies(1)
        assert "DILARANG" in reply.text
    finally:
        await app.updater.stop()
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
        await fake.stop()
