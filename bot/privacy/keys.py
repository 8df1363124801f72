"""Every secret Netra uses, derived from one master key, and the check that it is the right one.

The master key is DATA_KEY (base64 of 32 bytes), kept apart from the data: then nothing secret is written
to DATA_DIR, and a copy of DATA_DIR opens nothing and names nobody. Without DATA_KEY it is created in
DATA_DIR/data.key (mode 0600), the zero-configuration default: a copy of DATA_DIR then also holds the key,
so it reveals the drafts still open (the bot says so at start-up).

Each purpose gets its own key by HKDF with a distinct label, so no key is ever used for two things. A
sealed check value in the database tells a wrong or changed DATA_KEY at start-up, before any data is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.privacy.crypto import CryptoError, Vault, parse_key
from bot.storage.keycheck import read_key_facts

KEY_FILE = "data.key"
LEGACY_IDENTITY_FILE = "identity.key"  # the old user-key secret: kept only while drafts keyed under it remain
CHECK_PURPOSE, CHECK_PLAINTEXT = "key-check", b"netra key check v1"
# scheme 1: databases from before the key check (the vault key was the master key itself); 2: HKDF for all
LEGACY_SCHEME, SCHEME = 1, 2
KEY_CHECK_MIGRATION = 6  # bot/storage/migrations.py: the schema version that added key_check


class KeyMismatch(Exception):
    """DATA_KEY (or data.key) does not open the data already in DATA_DIR."""


def hkdf(master: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"netra/{label}".encode()).derive(master)


class UserKeys:
    """A user's key for the rows that must find them again (an open draft): HMAC of the Telegram id."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def key(self, user_id: int) -> str:
        return hmac.new(self._secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Keys:
    vault: Vault
    users: UserKeys
    locator: bytes  # receipt locators (bot/tips/receipts.py)
    scheme: int
    in_data_dir: bool  # the master key sits in DATA_DIR: a copy of DATA_DIR holds it
    legacy_users: UserKeys | None = None  # identity.key of an older version, for the drafts opened under it
    legacy_path: Path | None = None


def load_master(data_dir: Path, configured: str | None) -> tuple[bytes, bool]:
    """(master key, whether it lives in DATA_DIR)."""
    path = data_dir / KEY_FILE
    if configured:
        master = parse_key(configured)
        if path.exists() and _same_key(path, master):
            raise KeyMismatch(
                f"DATA_KEY is set and {path} holds the same key, so a copy of DATA_DIR would hold it too: "
                "move data.key out of DATA_DIR (keep it with your secrets) and start again"
            )
        return master, False
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return parse_key(path.read_text()), True
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode())
    return key, True


def _same_key(path: Path, master: bytes) -> bool:
    try:
        return hmac.compare_digest(parse_key(path.read_text()), master)
    except CryptoError:
        return False


def derive(master: bytes, scheme: int, in_data_dir: bool) -> Keys:
    if scheme == LEGACY_SCHEME:
        vault = Vault(master)
        locator = hmac.new(master, b"receipt-locator", hashlib.sha256).digest()
    else:
        vault, locator = Vault(hkdf(master, "vault")), hkdf(master, "receipt-locator")
    return Keys(vault, UserKeys(hkdf(master, "user-keys")), locator, scheme, in_data_dir)


def load_keys(data_dir: Path, database: Path, configured: str | None, url: str | None = None) -> Keys:
    """The keys for DATA_DIR, checked against the data already there (the SQLite file, or the PostgreSQL
    database at `url`); KeyMismatch if they do not open it."""
    master, in_data_dir = load_master(data_dir, configured)
    scheme, check, sample = _stored_check(database, url)
    keys = derive(master, scheme, in_data_dir)
    try:
        if check is not None:
            if keys.vault.open(check, CHECK_PURPOSE) != CHECK_PLAINTEXT:
                raise CryptoError("wrong check value")
        elif sample is not None:
            keys.vault.open(*sample)
    except CryptoError:
        where = "DATA_KEY" if configured else f"{data_dir / KEY_FILE}"
        raise KeyMismatch(
            f"{where} does not open the data in {data_dir}: start with the key this data was written with "
            "(nothing was read or changed)"
        ) from None
    legacy = data_dir / LEGACY_IDENTITY_FILE
    if legacy.exists():  # drafts opened before the upgrade are still found; the file goes with the last one
        secret = bytes.fromhex(legacy.read_text().strip())
        keys = replace(keys, legacy_users=UserKeys(secret), legacy_path=legacy)
    return keys


def check_value(keys: Keys) -> bytes:
    return keys.vault.seal(CHECK_PLAINTEXT, CHECK_PURPOSE)


def _stored_check(database: Path, url: str | None) -> tuple[int, bytes | None, tuple[bytes, str] | None]:
    """(scheme, sealed check value, a sealed value to test the key on when there is no check value yet)."""
    facts = read_key_facts(database, url)
    if facts is None:
        return SCHEME, None, None
    if facts.check is not None:
        return facts.check[0], facts.check[1], None
    if not facts.has_reports_table or facts.schema_version >= KEY_CHECK_MIGRATION:
        return SCHEME, None, None  # nothing written under an older scheme
    # a database from before the key check: keep its scheme if it holds anything (even purged reports, whose
    # receipt locators were made with the old key)
    return (LEGACY_SCHEME if facts.holds_rows else SCHEME), None, facts.sample


class DraftKeys:
    """The key a user's draft is filed under: derived from the master key, or, for a draft opened before the
    upgrade, from the old identity.key until that draft is gone. `open_drafts` gives the keys of the drafts
    open now."""

    def __init__(self, keys: Keys, open_drafts: Callable[[], set[str]]) -> None:
        self.keys = keys
        self._open_drafts = open_drafts
        self._legacy: set[str] = set()  # draft keys present when identity.key was found

    def of(self, user_id: int) -> str:
        if self.keys.legacy_users:
            old = self.keys.legacy_users.key(user_id)
            if old in self._legacy and old in self._open_drafts():
                return old
        return self.keys.users.key(user_id)

    def retire_legacy(self, at_start: bool = False) -> None:
        """Delete the old identity.key once no draft opened under it remains: it could only help a copier."""
        if not self.keys.legacy_path:
            return
        if at_start:
            self._legacy = set(self._open_drafts())
        if not self._legacy & self._open_drafts():
            self.keys.legacy_path.unlink(missing_ok=True)
            self.keys = replace(self.keys, legacy_users=None, legacy_path=None)
