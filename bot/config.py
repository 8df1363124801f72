"""Settings from the environment (and an optional `.env`).

Every problem is reported as a one-line `SettingsError` naming the setting, so `main.py` can print it
instead of a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line that names it."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    bot_api_base_url: str = DEFAULT_BASE_URL
    bot_api_file_url: str = DEFAULT_FILE_URL
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    admin_chat_id: int | None = None
    broadcast_chat_id: int | None = None  # a channel or group told of each election stage as it starts
    data_dir: Path = Path("data")
    database_url: str | None = None  # postgresql://…; unset: the SQLite file in DATA_DIR
    redis_url: str | None = None  # redis://…, shared short-lived state for replicas; unset: this process's memory
    replicas: int = 1  # processes sharing the bot: each sends at most 1/replicas of Telegram's 30 messages a second
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    data_key: str | None = None  # base64 of 32 bytes; else DATA_DIR/data.key is created
    tip_retention_days: int = 365
    tip_daily_limit: int = 3
    # seconds between deliveries of admin notices: the reports of one interval go out together, so a notice's
    # time does not mark the moment a report was sent
    outbox_interval: float = 600.0
    question_retention_days: int = 180  # questions and votes (for /unanswered and /stats)
    knowledge_poll: float = 2.0  # seconds between checks for rules changed by `kb import` from another process
    quiz_seconds: float = 30  # a group quiz's time to answer each scenario (/kuis in a group)

    @property
    def database(self) -> Path:
        return self.data_dir / "netra.sqlite3"

    @property
    def replica_mode(self) -> bool:
        """Webhook on PostgreSQL: any number of processes may serve the bot at once."""
        return self.webhook_url is not None and self.database_url is not None

    def require_token(self) -> str:
        if not self.bot_token:
            raise SettingsError("BOT_TOKEN is not set: put the token from @BotFather in the environment or .env")
        return self.bot_token


def _database_url(raw: str) -> str | None:
    """sqlite:///… or unset: the SQLite file in DATA_DIR (its path is DATA_DIR's); postgresql://…: PostgreSQL."""
    raw = raw.strip()
    if raw.startswith("sqlite:"):
        return None
    if not raw.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        raise SettingsError("DATABASE_URL must be postgresql://user:password@host:port/database (or unset for SQLite)")
    return raw


def _int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _positive(name: str, raw: str) -> int:
    value = _int(name, raw)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {raw!r}")
    return value


def _url(name: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw


def load_settings(env: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Read settings; the process environment wins over `.env`."""
    values: dict[str, str] = {}
    if env is None:
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ)
    else:
        values.update(env)

    def get(name: str) -> str | None:
        raw = values.get(name)
        return raw.strip() if raw is not None and raw.strip() else None

    kwargs: dict = {}
    if token := get("BOT_TOKEN"):
        if ":" not in token or any(c.isspace() for c in token):
            raise SettingsError("BOT_TOKEN looks malformed: expected '<digits>:<secret>' from @BotFather")
        kwargs["bot_token"] = token
    if raw := get("BOT_API_BASE_URL"):
        kwargs["bot_api_base_url"] = _url("BOT_API_BASE_URL", raw)
    if raw := get("BOT_API_FILE_URL"):
        kwargs["bot_api_file_url"] = _url("BOT_API_FILE_URL", raw)
    if raw := get("ADMIN_IDS"):
        kwargs["admin_ids"] = frozenset(_int("ADMIN_IDS", part) for part in raw.split(",") if part.strip())
    if raw := get("ADMIN_CHAT_ID"):
        kwargs["admin_chat_id"] = _int("ADMIN_CHAT_ID", raw)
    if raw := get("BROADCAST_CHAT_ID"):
        kwargs["broadcast_chat_id"] = _int("BROADCAST_CHAT_ID", raw)
    if raw := get("DATA_DIR"):
        kwargs["data_dir"] = Path(raw)
    if raw := get("DATABASE_URL"):
        kwargs["database_url"] = _database_url(raw)
    if raw := get("REDIS_URL"):
        if not raw.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"REDIS_URL must be redis://host:port/db, got {raw!r}")
        kwargs["redis_url"] = raw
    if raw := get("REPLICAS"):
        kwargs["replicas"] = _positive("REPLICAS", raw)
    if raw := get("WEBHOOK_URL"):
        kwargs["webhook_url"] = _url("WEBHOOK_URL", raw)
    if raw := get("WEBHOOK_SECRET"):
        kwargs["webhook_secret"] = raw
    if raw := get("WEBHOOK_LISTEN"):
        kwargs["webhook_listen"] = raw
    if raw := get("WEBHOOK_PORT"):
        kwargs["webhook_port"] = _int("WEBHOOK_PORT", raw)
    if raw := get("KNOWLEDGE_DIR"):
        kwargs["knowledge_dir"] = Path(raw)
    if raw := get("DATA_KEY"):
        kwargs["data_key"] = raw
    if raw := get("TIP_RETENTION_DAYS"):
        kwargs["tip_retention_days"] = _positive("TIP_RETENTION_DAYS", raw)
    if raw := get("NOTICE_INTERVAL"):
        kwargs["outbox_interval"] = float(_positive("NOTICE_INTERVAL", raw))
    if raw := get("QUESTION_RETENTION_DAYS"):
        kwargs["question_retention_days"] = _positive("QUESTION_RETENTION_DAYS", raw)
    if raw := get("TIP_DAILY_LIMIT"):
        kwargs["tip_daily_limit"] = _positive("TIP_DAILY_LIMIT", raw)
    if raw := get("QUIZ_SECONDS"):
        kwargs["quiz_seconds"] = _positive("QUIZ_SECONDS", raw)
        if not 5 <= kwargs["quiz_seconds"] <= 600:
            raise SettingsError(f"QUIZ_SECONDS must be between 5 and 600, got {raw!r}")
    settings = Settings(**kwargs)
    check_replica_settings(settings)
    return settings


def check_replica_settings(settings: Settings) -> None:
    """Replicas must share their keys, their webhook secret and their short-lived state: one that made up its
    own would not read the others' drafts, would refuse Telegram's calls, or would forget a /status session
    the moment the next update went to another replica."""
    if not settings.replica_mode:
        return
    for name, value in (("DATA_KEY", settings.data_key), ("WEBHOOK_SECRET", settings.webhook_secret),
                        ("REDIS_URL", settings.redis_url)):  # fmt: skip
        if not value:
            raise SettingsError(
                f"{name} is required with WEBHOOK_URL and a PostgreSQL DATABASE_URL (replicas), and must be the "
                "same for every replica (docs/deploy.md)"
            )
    if not 16 <= len(settings.webhook_secret or "") <= 256 or not re.fullmatch(
        r"[A-Za-z0-9_-]+", settings.webhook_secret or ""
    ):
        raise SettingsError("WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
