"""Driving the /lapor and /status flows through the fake Bot API, one user's chat at a time."""

from __future__ import annotations

import io

from PIL import Image

from tests.fake_telegram import Call, FakeTelegram


def buttons(call: Call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def data_of(call: Call, prefix: str) -> str:
    """The callback_data of the button under `call` that starts with `prefix`."""
    found = [b["callback_data"] for b in buttons(call) if b.get("callback_data", "").startswith(prefix)]
    assert found, f"no button {prefix!r} under: {call.text!r} {buttons(call)}"
    return found[0]


class Chat:
    """One user talking to the bot in a private chat; `seen` counts the bot's messages already read (those
    sent before this Chat was made count as read)."""

    def __init__(self, fake: FakeTelegram, user_id: int, first_name: str = "Budi", username: str | None = None):
        self.fake = fake
        self.user = fake.user(user_id, first_name=first_name, username=username)
        self.id = user_id
        self.seen = len(self._messages())
        self.alerts_seen = 0

    def _messages(self) -> list[Call]:
        return self.fake.messages_to(self.id)

    async def replies(self, count: int = 1, timeout: float = 15.0) -> list[Call]:
        await self.fake.wait_for(lambda: len(self._messages()) >= self.seen + count, timeout)
        new = self._messages()[self.seen : self.seen + count]
        self.seen += count
        return new

    async def say(self, text: str | None, count: int = 1, **extra) -> list[Call]:
        self.fake.send_text(self.user, text, **extra)
        return await self.replies(count)

    async def press(self, call: Call, prefix: str, count: int = 1) -> list[Call]:
        self.fake.press(self.user, self.fake.message_of(call), data_of(call, prefix))
        return await self.replies(count)

    def _alerts(self) -> list[Call]:
        return [
            c
            for c in self.fake.sent(method="answerCallbackQuery")
            if c.params.get("show_alert") and str(c.params.get("callback_query_id"))
        ]

    async def press_for_alert(self, call: Call, data: str) -> str:
        before = len(self._alerts())
        self.fake.press(self.user, self.fake.message_of(call), data)
        await self.fake.wait_for(lambda: len(self._alerts()) > before)
        return self._alerts()[-1].params["text"]

    async def send_photo(self, content: bytes, count: int = 1) -> list[Call]:
        self.fake.send_photo(self.user, content)
        return await self.replies(count)

    async def send_document(self, content: bytes, mime: str, size: int | None = None, count: int = 1) -> list[Call]:
        self.fake.send_document(self.user, content, mime, size=size)
        return await self.replies(count)


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
    [election] = await chat.press(category, "L:c:media-sosial")
    await chat.press(election, "L:e:pilkada")
    [province] = await chat.say(who)
    await chat.press(province, "L:p:34")
    await chat.say("Kab. Sleman")
    await chat.say("17/9/2024")
    [step] = await chat.say(description)
    if link:
        [step] = await chat.say(link)
    return step


async def fill_report(chat: Chat, *, evidence: bool = True) -> Call:
    """Walk the whole form with sensible answers; returns the review message."""
    step = await fill_until_evidence(chat, link="lihat https://instagram.com/p/contoh123" if evidence else None)
    [review] = await chat.press(step, "L:done")
    assert "Periksa laporan" in review.text
    return review
