"""How long a deleted draft stays readable in the files of DATA_DIR: the window a copy could link it.

    python bench/draft_leftovers.py

For each way of deleting (the old plain DELETE, and the store's delete-and-wipe as a sent report's row is
removed today) it writes a draft the size of a full report, deletes it, then records questions one commit
at a time and prints after how many later commits neither the draft's key nor any 32-byte part of its
sealed body can be found in the database, WAL or shared-memory file.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage.database import Database  # noqa: E402
from bot.storage.tips import TipStore  # noqa: E402

LIMIT = 3000


def present(folder: Path, needles: list[bytes]) -> bool:
    raw = b"".join(p.read_bytes() for p in folder.glob("netra.sqlite3*"))
    return any(n in raw for n in needles)


async def measure(wipe: bool) -> int | None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Database(folder / "netra.sqlite3")
        await store.open()
        tips = TipStore(store)
        key, body = os.urandom(16).hex(), os.urandom(6000)  # a sealed 4,000-character description and more
        for step in range(8):  # a draft is saved at every step of the form
            await tips.save_draft(key, body[: 750 * (step + 1)])
        needles = [key.encode()] + [body[i : i + 32] for i in range(0, len(body) - 32, 32)]
        if wipe:
            await tips.delete_draft(key)
        else:
            await store.write("DELETE FROM tip_drafts WHERE user_key = ?", (key,))
        try:
            for commits in range(LIMIT + 1):
                if not present(folder, needles):
                    return commits
                await store.record_question(f"pertanyaan nomor {commits}", "none", None, 0.0, "id")
            return None
        finally:
            await store.close()


async def main() -> None:
    print("| deletion | later commits until no trace is left |")
    print("|---|---|")
    for label, wipe in (("plain DELETE (before)", False), ("delete and wipe (now)", True)):
        commits = await measure(wipe)
        print(f"| {label} | {commits if commits is not None else f'more than {LIMIT}'} |")


if __name__ == "__main__":
    asyncio.run(main())
