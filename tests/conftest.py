"""Shared fixtures: the shipped knowledge base, loaded once per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine import Engine, load_engine
from tests import pg

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SHARED = ROOT.parent / "shared"


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend_url(request) -> AsyncIterator[str | None]:
    """Each test that takes it runs twice: None for the SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    async with pg.fresh() as url:
        yield url


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine(KNOWLEDGE)


_USES_A_DATABASE = ("running_bot", "running_webhook_bot", "Database(")  # bots run as subprocesses keep SQLite: not here


def pytest_collection_modifyitems(config, items):
    """The suite's second pass, on PostgreSQL (NETRA_TEST_DATABASE=postgresql, .ci/run), runs the modules that
    start a bot or open the database; the others (the matcher, the knowledge files, the texts) ran in the first."""
    import os

    if os.environ.get("NETRA_TEST_DATABASE") != "postgresql":
        return
    skip = pytest.mark.skip(reason="touches no database: run once, on SQLite")
    sources: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in sources:
            sources[path] = any(marker in path.read_text(encoding="utf-8") for marker in _USES_A_DATABASE)
        if not sources[path]:
            item.add_marker(skip)
