"""Receipt codes: the only key a reporter holds to follow up a tip.

A code is 20 characters from an alphabet without look-alikes (no 0/O, 1/I/L), written in four groups of
five: 31**20 is about 2**99. The database keeps only a locator (a keyed hash of the first group, so a
lookup need not try every report) and a slow salted scrypt hash of the whole code, so a copy of the
database does not reveal the codes and cannot be searched for them cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP_LEN = 4, 5
SALT_BYTES = 16
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~16 MiB and tens of ms per try
_LOOK_ALIKES = str.maketrans({"0": "O", "1": "I", "L": "I"})
_CHAR = "[2-9A-HJKMNP-Z]"  # the alphabet, any case (flag below)
_SEP = r"[\s\-_.]*"  # what `normalise` accepts between groups
# three or four groups: a code typed whole, or most of it
PATTERN = re.compile(rf"(?i)(?<![0-9A-Z]){_CHAR}{{5}}(?:{_SEP}{_CHAR}{{5}}){{2,3}}(?![0-9A-Z])")


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(chars[i : i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def normalise(text: str) -> str | None:
    """The canonical code for what a user typed (any case, spaces or dashes), or None if it cannot be one."""
    chars = re.sub(r"[\s\-_.]", "", text.upper())
    if len(chars) != GROUPS * GROUP_LEN:
        return None
    # 0/1/L were never issued: map them to O/I, which are not in the alphabet either, so they fail cleanly
    chars = chars.translate(_LOOK_ALIKES)
    if any(c not in ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def contains_code(text: str) -> bool:
    """Whether `text` holds something shaped like a receipt code, whole or most of it. Five-letter words
    in a row are not one (Indonesian has plenty without I, L or O): spaced-out or partial candidates need a
    digit, as all but about 1% of codes have."""
    for m in PATTERN.finditer(text):
        found = m.group(0)
        chars = re.sub(_SEP, "", found)
        if any(c.isdigit() for c in chars) or (len(chars) == GROUPS * GROUP_LEN and not re.search(r"\s", found)):
            return True
    return False


def locator(code: str, key: bytes) -> str:
    return hmac.new(key, code[:GROUP_LEN].encode(), hashlib.sha256).hexdigest()[:8]


def hash_code(code: str, salt: bytes | None = None) -> bytes:
    salt = salt or secrets.token_bytes(SALT_BYTES)
    return salt + hashlib.scrypt(code.encode(), salt=salt, **SCRYPT)


def verify(code: str, stored: bytes) -> bool:
    return hmac.compare_digest(hash_code(code, stored[:SALT_BYTES]), stored)
