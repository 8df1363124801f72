"""What an attacker holding a copy of DATA_DIR can learn: the tests' side of the promise to tipsters.

`replay_wal` opens the database as it stood after every commit still in the WAL (the review's
forensics.py did the same); `user_keys` turns candidate Telegram ids into the keys the bot would file them
under, with every secret the copy holds; `findings` lists every way the copy ties a candidate id to a
report or a draft.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path

from bot.privacy.keys import hkdf

WAL_HEADER, FRAME_HEADER = 32, 24


@dataclass
class Snapshot:
    label: str
    drafts: dict[str, bytes]  # user_key -> sealed body
    reports: set[str]  # public numbers
    tables: set[str]


@dataclass
class Copy:
    path: Path
    snapshots: list[Snapshot] = field(default_factory=list)

    def raw(self) -> bytes:
        return b"".join(p.read_bytes() for p in sorted(self.path.rglob("*")) if p.is_file())


def seize(data_dir: Path, to: Path) -> Copy:
    """A file-level copy, as `cp -a` of a live server or a disk image would take it."""
    shutil.copytree(data_dir, to)
    copy = Copy(to)
    copy.snapshots = replay_wal(to, to.parent / f"{to.name}-replay")
    return copy


def _read(db_path: Path, label: str) -> Snapshot:
    db = sqlite3.connect(db_path)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        drafts = dict(db.execute("SELECT user_key, body FROM tip_drafts")) if "tip_drafts" in tables else {}
        reports = {row[0] for row in db.execute("SELECT public_no FROM reports")} if "reports" in tables else set()
        return Snapshot(label, {k: bytes(v) for k, v in drafts.items()}, reports, tables)
    finally:
        db.close()


def replay_wal(copy: Path, scratch: Path) -> list[Snapshot]:
    """The database file alone, then the state after each commit frame in the WAL, in order."""
    db_file, wal_file = copy / "netra.sqlite3", copy / "netra.sqlite3-wal"
    scratch.mkdir()
    base = scratch / "base.sqlite3"
    shutil.copyfile(db_file, base)
    snapshots = [_read(base, "database file")]
    wal = wal_file.read_bytes() if wal_file.exists() else b""
    if len(wal) < WAL_HEADER:
        return snapshots
    page_size = struct.unpack(">I", wal[8:12])[0]
    frame = FRAME_HEADER + page_size
    for end in range(WAL_HEADER + frame, len(wal) + 1, frame):
        if struct.unpack(">I", wal[end - frame + 4 : end - frame + 8])[0] == 0:
            continue  # not a commit frame
        step = scratch / f"commit-{end}"
        step.mkdir()
        shutil.copyfile(db_file, step / "netra.sqlite3")
        (step / "netra.sqlite3-wal").write_bytes(wal[:end])
        snapshots.append(_read(step / "netra.sqlite3", f"WAL commit ending at byte {end}"))
    return snapshots


def secrets_in(copy: Path, extra: list[bytes] = ()) -> list[bytes]:
    """Every user-key secret the copy holds (and any the attacker brings): derived from data.key, and the
    old identity.key if one is left."""
    found = [hkdf(master, "user-keys") for master in extra]
    if (copy / "data.key").exists():
        found.append(hkdf(base64.b64decode((copy / "data.key").read_text()), "user-keys"))
    if (copy / "identity.key").exists():
        found.append(bytes.fromhex((copy / "identity.key").read_text().strip()))
    return found


def user_keys(user_ids: list[int], secrets: list[bytes]) -> dict[str, int]:
    return {
        hmac.new(secret, str(uid).encode(), hashlib.sha256).hexdigest()[:32]: uid
        for secret in secrets
        for uid in user_ids
    }


def findings(copy: Copy, candidates: list[int], extra_secrets: list[bytes] = ()) -> list[str]:
    """Each way the copy ties one of `candidates` to a stored draft, a receipt or a report."""
    keys = user_keys(candidates, secrets_in(copy.path, list(extra_secrets)))
    raw = copy.raw()
    out = [f"user key of {uid} in the files" for key, uid in keys.items() if key.encode() in raw]
    previous: Snapshot | None = None
    for snap in copy.snapshots:
        out += [f"{snap.label}: a draft row of {keys[k]}" for k in snap.drafts if k in keys]
        if "user_settings" in snap.tables:
            out.append(f"{snap.label}: a user_settings table")
        if previous is not None and snap.reports - previous.reports:
            changed = {
                k for k in snap.drafts.keys() | previous.drafts.keys() if snap.drafts.get(k) != previous.drafts.get(k)
            }
            out += [f"{snap.label}: a report appears as the draft of {keys[k]} changes" for k in changed if k in keys]
        previous = snap
    return out
