"""One bot process per DATA_DIR: a second one would split conversations and send notices twice."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "netra.lock"


class DataDirBusy(Exception):
    """Another process holds DATA_DIR."""


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirBusy(
                f"another Netra process is using {self.path.parent} (it holds {self.path.name}); stop it first"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file releases the lock, also when the process dies
            self._fd = None
