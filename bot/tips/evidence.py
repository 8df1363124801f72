"""Evidence files: images re-encoded without metadata, everything sealed in the database under a random name.

A photo's EXIF can hold GPS coordinates, the camera's serial number and the owner's name; re-encoding the
pixels with Pillow drops all of it (the orientation is applied first so the picture stays upright). PDFs
and videos cannot be cleaned this way; they are kept as sent, and the user is warned before sending.

What a file is comes from its first bytes, never from the label the client put on it: a JPEG sent as
"application/pdf" would otherwise be kept with its GPS. Such a file is handled as the image it is.
Only JPEG, PNG and WebP are decoded at all, so the rest of Pillow's parsers are never reached.
"""

from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.privacy.crypto import Vault
from bot.storage.tips import TipStore

MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_PIXELS = 40_000_000  # an RGBA image this size already takes 160 MB to decode
JPEG_DRAFT_PIXELS = 16_000_000  # larger JPEGs are decoded at 1/2, 1/4 or 1/8 scale (libjpeg does it cheaply)
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
KEPT_AS_SENT = {"application/pdf", "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/3gpp"}
PURPOSE = "evidence-file"

# ISO base media brands that are still pictures (HEIC/HEIF/AVIF), not videos: refused, never kept as sent.
_STILL_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
# Image formats we recognise only to refuse them with the right reason.
_OTHER_IMAGES = (
    (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"), (b"\x00\x00\x01\x00", "image/x-icon"), (b"\x00\x00\x02\x00", "image/x-icon"),
    (b"8BPS", "image/vnd.adobe.photoshop"), (b"\xff\x0a", "image/jxl"), (b"\x00\x00\x00\x0cJXL ", "image/jxl"),
    (b"\x00\x00\x00\x0cjP  ", "image/jp2"), (b"qoif", "image/qoi"),
)  # fmt: skip


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


def label_refusal(mime: str) -> str | None:
    """The reply key for a label we refuse before downloading anything (an .exe, a TIFF), else None."""
    if accepted(mime):
        return None
    return "tip_image_format" if mime.startswith("image/") else "tip_file_unsupported"


def sniff(data: bytes) -> str | None:
    """The MIME type the content itself shows (magic bytes), or None when it is nothing we recognise."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":  # ISO base media (MP4, MOV, 3GP), or HEIF/AVIF pictures
        brand = head[8:12]
        if brand in _STILL_BRANDS:
            return "image/heif"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/3gpp" if brand.startswith(b"3g") else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM or Matroska
        return "video/webm" if b"webm" in data[:64] else "video/x-matroska"
    return next((mime for magic, mime in _OTHER_IMAGES if head.startswith(magic)), None)


def check_content(data: bytes, mime: str, as_photo: bool = False) -> str:
    """The MIME type to store the file under, judged by its content; EvidenceError when it cannot be used.

    A JPEG/PNG/WebP is an image whatever its label (so it is re-encoded and loses its GPS); a "PDF" or
    "video" whose bytes are not one is refused."""
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceError("tip_file_too_big")
    found = sniff(data)
    if found in IMAGE_FORMATS or found in KEPT_AS_SENT:
        return found
    if found is not None:  # TIFF, BMP, GIF, HEIC…: a picture, but not one we decode
        raise EvidenceError("tip_image_format")
    if as_photo or mime.startswith("image/"):
        raise EvidenceError("tip_file_unreadable")
    if mime in KEPT_AS_SENT:
        raise EvidenceError("tip_file_mismatch")
    raise EvidenceError("tip_file_unsupported")


def _draft_scale(pixels: int) -> int:
    """The smallest JPEG decoding scale (1, 2, 4, 8) that brings `pixels` under JPEG_DRAFT_PIXELS."""
    return next((s for s in (1, 2, 4) if pixels / (s * s) <= JPEG_DRAFT_PIXELS), 8)


def strip_image(data: bytes) -> tuple[bytes, str]:
    """The picture alone: pixels re-encoded, no EXIF, XMP, ICC comments or text chunks."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS.values())) as img:
            if img.width * img.height > MAX_PIXELS:
                raise EvidenceError("tip_image_too_large")
            fmt = img.format if img.format in IMAGE_FORMATS.values() else "JPEG"  # MPO (phone JPEGs) too
            if fmt == "JPEG" and (scale := _draft_scale(img.width * img.height)) > 1:
                img.draft(img.mode, (img.width // scale, img.height // scale))
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # upright, without keeping a second full-size copy
            clean: Image.Image = img
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
    """The file as it will be stored: images re-encoded, PDFs and videos kept once their content checks out."""
    found = check_content(data, mime, as_photo)
    if found in IMAGE_FORMATS:
        clean, clean_mime = strip_image(data)
        return CleanFile(clean, clean_mime, "photo", True)
    return CleanFile(data, found, "video" if found.startswith("video/") else "document", False)


class EvidenceFiles:
    """Sealed evidence, named by random tokens that say nothing about their content. Kept in the database,
    not as files: a file's change and birth times cannot be reset, and would say when it was uploaded."""

    def __init__(self, store: TipStore, vault: Vault) -> None:
        self.store = store
        self.vault = vault

    async def write(self, data: bytes) -> str:
        name = secrets.token_hex(16)
        await self.store.put_file(name, await asyncio.to_thread(self.vault.seal, data, PURPOSE))
        return name

    async def read(self, name: str) -> bytes:
        sealed = await self.store.file(name)
        if sealed is None:
            raise FileNotFoundError(name)
        return await asyncio.to_thread(self.vault.open, sealed, PURPOSE)

    async def delete(self, names: list[str]) -> None:
        await self.store.delete_files(names)

    async def names(self) -> set[str]:
        return await self.store.file_names()

    async def take_in(self, folder: Path) -> int:
        """Files an older version kept under DATA_DIR/evidence move into the database (they are sealed
        already), and the folder goes."""
        if not folder.is_dir():
            return 0
        moved = 0
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.endswith(".tmp"):
                await self.store.put_file(path.name, path.read_bytes())
                moved += 1
            path.unlink()
        folder.rmdir()
        return moved
