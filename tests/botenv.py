"""Running the real Application against the fake Bot API, as the bot runs in production: long polling
(`running_bot`), or the webhook endpoint that Telegram posts updates to (`running_webhook_bot`)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from telegram.ext import Application

from bot.config import Settings
from bot.tg.app import build_application, deploy_once, serve_webhook
from bot.tg.webhook import WebhookServer
from tests import pg
from tests.fake_telegram import FakeTelegram
from tests.redis_server import free_port, shared_redis

TOKEN = "123456:TEST-token-not-real"
SECRET = "test-webhook-secret-0123456789"


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
    if settings_overrides.get("database_url"):  # drafts go to Redis on PostgreSQL (bot/storage/drafts.py)
        settings_overrides.setdefault("redis_url", shared_redis(settings_overrides["database_url"]))
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


@dataclass
class WebhookBot:
    fake: FakeTelegram
    app: Application
    data_dir: Path
    url: str  # where Telegram posts updates
    stop: asyncio.Event
    serving: asyncio.Task[WebhookServer]

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]


@asynccontextmanager
async def running_webhook_bot(data_dir: Path, fake: FakeTelegram | None = None, **settings_overrides):
    """The bot as `python main.py` runs it with WEBHOOK_URL set, against `fake` (a new one if not given;
    several replicas share one). A single process sets the webhook itself; in replica mode (a PostgreSQL
    `database_url`) the test points the fake at the webhook, as `python main.py deploy` would."""
    own_fake = fake is None
    if fake is None:
        fake = FakeTelegram(TOKEN)
        await fake.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    if pg.bots_on_postgres() and "database_url" not in settings_overrides:
        settings_overrides["database_url"] = await pg.create(pg.name_for(data_dir))
    if settings_overrides.get("database_url"):
        settings_overrides.setdefault("redis_url", shared_redis(settings_overrides["database_url"]))
    settings_overrides.setdefault("webhook_secret", SECRET)
    settings = Settings(
        bot_token=TOKEN,
        bot_api_base_url=f"{fake.base}/bot",
        bot_api_file_url=f"{fake.base}/file/bot",
        data_dir=data_dir,
        webhook_url=url,
        webhook_listen="127.0.0.1",
        webhook_port=port,
        **settings_overrides,
    )
    if settings.replica_mode and not fake.webhook:
        await deploy_once(settings)  # what `python main.py deploy` does before the replicas start
    app = build_application(settings, retry_backoff=0.05)
    stop = asyncio.Event()
    serving = asyncio.ensure_future(serve_webhook(app, settings, stop))
    bot = WebhookBot(fake, app, data_dir, url, stop, serving)
    try:
        replica = settings.replica_mode
        await fake.wait_for(lambda: serving.done() or (_listening(port) and (replica or fake.webhook)), timeout=30)
        if serving.done():
            serving.result()  # the start failed: its exception
        yield bot
    finally:
        stop.set()
        await serving
        if own_fake:
            await fake.stop()


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
    except OSError:
        return False
    return True
