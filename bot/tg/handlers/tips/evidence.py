"""Turning a message with a photo, file or video into a cleaned evidence file (shared by /lapor and /status)."""

from __future__ import annotations

import asyncio
import weakref

from telegram import Message
from telegram.error import TelegramError

from bot.tips.evidence import MAX_FILE_BYTES, CleanFile, EvidenceError, clean_file, label_refusal

MEDIA_REFUSED = {"voice": "tip_voice_refused", "audio": "tip_voice_refused", "video_note": "tip_voice_refused"}
PLACE_REFUSED = ("location", "venue", "contact")
CLEANING_AT_ONCE = 2  # decoding a large image takes up to ~300 MB; more at once would only queue for the CPUs

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def refusal(message: Message) -> str | None:
    """The reply key for media we never take, whatever the step (they can identify the sender)."""
    for attr, key in MEDIA_REFUSED.items():
        if getattr(message, attr) is not None:
            return key
    if any(getattr(message, attr) is not None for attr in PLACE_REFUSED):
        return "tip_location_refused"
    return None


def has_file(message: Message) -> bool:
    return bool(message.photo or message.document or message.video or message.animation)


def _cleaning_slot() -> asyncio.Semaphore:
    """One semaphore per event loop: an asyncio.Semaphore is bound to the loop it first waits on."""
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(CLEANING_AT_ONCE)
    return slot


async def clean_in_thread(data: bytes, mime: str, as_photo: bool) -> CleanFile:
    """`clean_file` off the event loop, at most CLEANING_AT_ONCE at a time, so memory stays bounded."""
    async with _cleaning_slot():
        return await asyncio.to_thread(clean_file, data, mime, as_photo)


async def download_evidence(message: Message) -> CleanFile:
    """Download the message's file and clean it; EvidenceError (with the reply key) when it cannot be used."""
    if message.photo:
        media, mime, as_photo = message.photo[-1], "image/jpeg", True
    elif message.document:
        media, mime, as_photo = message.document, message.document.mime_type or "", False
    elif message.video:
        media, mime, as_photo = message.video, message.video.mime_type or "video/mp4", False
    elif message.animation:
        media, mime, as_photo = message.animation, message.animation.mime_type or "video/mp4", False
    else:
        raise EvidenceError("tip_evidence_expected")
    if (media.file_size or 0) > MAX_FILE_BYTES:
        raise EvidenceError("tip_file_too_big")
    if not as_photo and (key := label_refusal(mime)):
        raise EvidenceError(key)
    try:
        file = await media.get_file()
        if (file.file_size or 0) > MAX_FILE_BYTES:  # the message may not have said (file_size is optional)
            raise EvidenceError("tip_file_too_big")
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        raise EvidenceError("tip_file_too_big" if "too big" in str(exc).lower() else "tip_file_unreadable") from None
    if len(data) > MAX_FILE_BYTES:  # neither said, and a self-hosted Bot API server serves any size
        raise EvidenceError("tip_file_too_big")
    return await clean_in_thread(data, mime, as_photo)  # re-encoding takes CPU time and memory
