"""Encryption at rest for tip reports and evidence: AES-256-GCM under one data key.

The key is derived from the master key (bot/privacy/keys.py); without it the database and evidence files reveal
nothing readable. Each value carries its own random nonce,
and an associated-data label binds it to its purpose, so a ciphertext cannot be moved to another column.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
NONCE_BYTES = 12


class CryptoError(Exception):
    """A bad key, or a value that was not encrypted with this key (tampered or foreign)."""


def parse_key(raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("DATA_KEY must be base64 of 32 random bytes") from None
    if len(key) != 32:
        raise CryptoError("DATA_KEY must be base64 of 32 random bytes")
    return key


class Vault:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, data: bytes, purpose: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return VERSION + nonce + self._aead.encrypt(nonce, data, purpose.encode())

    def open(self, blob: bytes, purpose: str) -> bytes:
        if len(blob) < 1 + NONCE_BYTES or blob[:1] != VERSION:
            raise CryptoError("not a sealed value")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, purpose.encode())
        except InvalidTag:
            raise CryptoError("cannot decrypt: wrong key or tampered value") from None

    def seal_json(self, value: Any, purpose: str) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), purpose)

    def open_json(self, blob: bytes, purpose: str) -> Any:
        return json.loads(self.open(blob, purpose))
