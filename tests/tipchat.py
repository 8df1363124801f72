"""The report flow's test helpers: walking the /lapor form with sensible answers, and a photo whose metadata
names its owner. Talking to the bot itself is tests/chat.py."""

from __future__ import annotations

import io

from PIL import Image

from bot.tg import callbacks
from tests.chat import Chat
from tests.fake_telegram import Call


def jpeg_with_gps(owner: str = "Budi Santoso") -> bytes:
    """A JPEG whose EXIF names its owner and holds GPS coordinates (Jakarta)."""
    img = Image.new("RGB", (64, 48), (180, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x013B] = owner  # Artist
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


DESCRIPTION = (
    "Kepala bidang di dinas kami mengunggah foto bersama pasangan calon bupati di Instagram pribadinya "
    "lengkap dengan pose dua jari dan ajakan memilih, lalu membagikannya ke grup WhatsApp pegawai."
)


async def fill_until_evidence(
    chat: Chat,
    who: str = "Kepala Bidang Dinas Pendidikan Kab. Contoh",
    description: str = DESCRIPTION,
    link: str | None = "lihat https://instagram.com/p/contoh123",
) -> Call:
    """Walk the form with sensible answers up to the evidence step; returns its last message."""
    intro, category = await chat.say("/lapor", count=2)
    assert "tidak menyimpan" in intro.text
    [election] = await chat.press(category, callbacks.TipButton("c", "medsos"))
    await chat.press(election, callbacks.TipButton("e", "pilkada"))
    [province] = await chat.say(who)
    await chat.press(province, callbacks.TipButton("p", "34"))
    await chat.say("Kab. Sleman")
    await chat.say("17/9/2024")
    [step] = await chat.say(description)
    if link:
        [step] = await chat.say(link)
    return step


async def fill_report(chat: Chat, *, evidence: bool = True) -> Call:
    """Walk the whole form with sensible answers; returns the review message."""
    step = await fill_until_evidence(chat, link="lihat https://instagram.com/p/contoh123" if evidence else None)
    [review] = await chat.press(step, callbacks.TipButton, action="done")
    assert "Periksa laporan" in review.text
    return review
