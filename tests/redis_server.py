"""A real Redis for the tests, run as the bot requires (`--save '' --appendonly no`) on a free port, in a
folder of the test's own. NETRA_REQUIRE_REDIS=1 (CI sets it) turns "no redis-server" from a skip into a failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server(folder: Path, *extra: str) -> Iterator[str]:
    """The URL of a Redis that runs until the block ends; `extra` arguments override the defaults (a test
    of the refusal starts one that persists)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("NETRA_REQUIRE_REDIS") == "1":
            pytest.fail("NETRA_REQUIRE_REDIS=1 but redis-server is not installed")
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
            "--appendonly", "no", *extra]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


_shared: dict[str, object] = {}  # the session's Redis: its URL, its process, the database number of each key
SHARED_DATABASES = 10_000


def shared_redis(owner: str) -> str:
    """A Redis database of its own for `owner` (a DATA_DIR, a PostgreSQL database), the same one each time it
    asks, in one Redis for the whole session: the PostgreSQL pass runs every bot with drafts in Redis, as the
    bot requires there, and a bot restarted on its folder finds its drafts again."""
    if "url" not in _shared:
        import atexit
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="netra-redis-"))
        context = redis_server(folder, "--databases", str(SHARED_DATABASES))
        _shared["url"] = context.__enter__().rsplit("/", 1)[0]
        _shared["owners"] = {}
        atexit.register(context.__exit__, None, None, None)
    owners: dict[str, int] = _shared["owners"]  # type: ignore[assignment]
    number = owners.setdefault(owner, len(owners))
    assert number < SHARED_DATABASES, "more bots than the session Redis has databases"
    return f"{_shared['url']}/{number}"
