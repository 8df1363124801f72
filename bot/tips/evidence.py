"""Evidence files: images re-encoded without metadata, everything sealed on disk under a random name.

A photo's EXIF can hold GPS coordinates, the camera's serial number and the owner's name; re-encoding the
pixels with Pillow drops all of it (the orientation is applied first so the picture stays upright). PDFs
and videos cannot be cleaned this way; they are kept as sent, and the user is warned before sending.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.crypto import Vault

MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_PIXELS = 60_000_000
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
KEPT_AS_SENT = {"application/pdf", "video/mp4", "video/quicktime", "video/webm", "video/3gpp"}
PURPOSE = "evidence-file"


class EvidenceError(Exception):
    """The file cannot be used: unreadable, too large, or of a kind we do not accept. `key` names the reply."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    mime: str
    kind: str  # photo | document | video
    metadata_removed: bool


def accepted(mime: str) -> bool:
    return mime in IMAGE_FORMATS or mime in KEPT_AS_SENT


def strip_image(data: bytes) -> tuple[bytes, str]:
    """The picture alone: pixels re-encoded, no EXIF, XMP, ICC comments or text chunks."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise EvidenceError("tip_file_unreadable")
            fmt = img.format if img.format in IMAGE_FORMATS.values() else "JPEG"
            clean = ImageOps.exif_transpose(img)  # a copy, upright
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            clean.info.clear()  # EXIF, XMP, ICC, comments, PNG text: Pillow would write some of them back
            out = io.BytesIO()
            clean.save(out, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise EvidenceError("tip_file_unreadable") from None
    mime = {v: k for k, v in IMAGE_FORMATS.items()}[fmt]
    return out.getvalue(), mime


def clean_file(data: bytes, mime: str, as_photo: bool) -> CleanFile:
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceError("tip_file_too_big")
    if as_photo or mime in IMAGE_FORMATS:
        clean, clean_mime = strip_image(data)
        return CleanFile(clean, clean_mime, "photo", True)
    if mime in KEPT_AS_SENT:
        return CleanFile(data, mime, "video" if mime.startswith("video/") else "document", False)
    raise EvidenceError("tip_file_unsupported")


class EvidenceFiles:
    """Sealed files under DATA_DIR/evidence, named by random tokens that say nothing about their content."""

    def __init__(self, folder: Path, vault: Vault) -> None:
        self.folder = folder
        self.vault = vault

    def write(self, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        path = self.folder / name
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(self.vault.seal(data, PURPOSE))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        return name

    def read(self, name: str) -> bytes:
        return self.vault.open((self.folder / name).read_bytes(), PURPOSE)

    def delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def names(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {p.name for p in self.folder.iterdir() if p.is_file()}
