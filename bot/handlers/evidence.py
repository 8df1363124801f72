"""Turning a message with a photo, file or video into a cleaned evidence file (shared by /lapor and /status)."""

from __future__ import annotations

import asyncio

from telegram import Message
from telegram.error import TelegramError

from bot.tips.evidence import MAX_FILE_BYTES, CleanFile, EvidenceError, accepted, clean_file

MEDIA_REFUSED = {"voice": "tip_voice_refused", "audio": "tip_voice_refused", "video_note": "tip_voice_refused"}
PLACE_REFUSED = ("location", "venue", "contact")


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
    if not as_photo and not accepted(mime):
        raise EvidenceError("tip_file_unsupported")
    try:
        file = await media.get_file()
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        raise EvidenceError("tip_file_too_big" if "too big" in str(exc).lower() else "tip_file_unreadable") from None
    return await asyncio.to_thread(clean_file, data, mime, as_photo)  # re-encoding takes CPU time
