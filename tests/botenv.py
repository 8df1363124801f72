"""Running the real Application against the fake Bot API, as the bot runs in production (long polling)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from telegram.ext import Application

from bot.config import Settings
from bot.tg.app import build_application
from tests import pg
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token-not-real"


@dataclass
class BotEnv:
    fake: FakeTelegram
    app: Application
    data_dir: Path


@asynccontextmanager
async def running_bot(data_dir: Path, retry_backoff: float = 0.5, **settings_overrides):
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    if pg.bots_on_postgres():
        settings_overrides.setdefault("database_url", await pg.create(pg.name_for(data_dir)))
    settings = Settings(
        bot_token=TOKEN,
        bot_api_base_url=f"{base}/bot",
        bot_api_file_url=f"{base}/file/bot",
        data_dir=data_dir,
        **settings_overrides,
    )
    app = build_application(settings, retry_backoff=retry_backoff)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(
        poll_interval=0.0, timeout=1, allowed_updates=["message", "edited_message", "callback_query", "inline_query"]
    )
    try:
        yield BotEnv(fake, app, data_dir)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
        await fake.stop()
