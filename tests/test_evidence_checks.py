"""Evidence is judged by its content, not its label: a GPS photo sent as "PDF" is cleaned, TIFFs and fake
PDFs are refused, real PDFs and videos are kept; large images are decoded cheaply, a few at a time."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import pytest
from PIL import Image

import bot.tg.handlers.tips.evidence as handler_evidence
from bot.tg import callbacks
from bot.tips import receipts
from bot.tips.evidence import EvidenceError, check_content, clean_file, sniff, strip_image
from tests.botenv import running_bot
from tests.chat import Chat
from tests.fake_telegram import Call
from tests.tipchat import fill_report, jpeg_with_gps

OWNER, REVIEWER = 9101, 9102

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free"
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08free"


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER}), retry_backoff=0.01) as e:
        yield e


async def at_evidence_step(env, user_id: int) -> tuple[Chat, Call]:
    """A reporter who filled in the form and went back to the evidence step from the summary (and that step)."""
    chat = Chat(env.fake, user_id)
    review = await fill_report(chat, evidence=False)
    [step] = await chat.press(review, callbacks.TipButton("edit", "evidence"))
    return chat, step


async def submit(chat: Chat, last) -> str:
    [review] = await chat.press(last, callbacks.TipButton, action="done")
    [receipt] = await chat.press(review, callbacks.TipButton("send"))
    [code] = [line.strip() for line in receipt.text.splitlines() if receipts.PATTERN.fullmatch(line.strip())]
    await chat.press(receipt, callbacks.TipButton("saved"))
    return code


async def stored_evidence(env, code: str) -> list[tuple[dict, bytes | None]]:
    """The report's evidence rows as stored, each with its file decrypted."""
    s = env.app.bot_data["services"]
    rows = await s.tips.store.evidence(await s.tips.find(code))
    return [(dict(r), await s.tips.files.read(r["file"]) if r["file"] else None) for r in rows]


# ---------------------------------------------------------------------- through the Bot API


async def test_gps_photo_sent_as_a_pdf_is_cleaned_before_storage_and_review(env):
    chat, _ = await at_evidence_step(env, 7001)
    [ack] = await chat.send_document(jpeg_with_gps("Budi Santoso"), "application/pdf")
    assert "sudah dihapus" in ack.text and "⚠️" not in ack.text  # handled as the photo it is
    code = await submit(chat, ack)

    [(row, data)] = [(r, d) for r, d in await stored_evidence(env, code) if r["kind"] != "link"]
    assert row["kind"] == "photo" and row["mime"] == "image/jpeg"
    assert data[:2] == b"\xff\xd8" and b"Exif" not in data and b"Budi" not in data and b"ExampleCam" not in data
    assert not Image.open(io.BytesIO(data)).getexif()

    owner, reviewer = Chat(env.fake, OWNER), Chat(env.fake, REVIEWER)
    await owner.say(f"/grant {REVIEWER} reviewer")
    [listing] = await reviewer.say("/tips")
    await reviewer.press(listing, callbacks.ReviewButton, action="o")
    [photo] = await reviewer.wait_sent("sendPhoto")
    upload = photo.params["photo"]
    assert upload["filename"].endswith(".jpg") and b"Exif" not in upload["content"] and b"Budi" not in upload["content"]
    assert not reviewer.sent("sendDocument")


async def test_other_image_formats_and_fake_pdfs_or_videos_are_refused(env):
    chat, step = await at_evidence_step(env, 7002)
    downloads = len(env.fake.sent(method="getFile"))
    [tiff_label] = await chat.send_document(image_bytes("TIFF"), "image/tiff")
    assert "JPG, PNG, dan WEBP" in tiff_label.text
    assert len(env.fake.sent(method="getFile")) == downloads  # refused by its label, nothing downloaded
    for content, mime in ((image_bytes("TIFF"), "image/jpeg"), (image_bytes("BMP"), "image/png"), (HEIC, "video/mp4")):
        [refused] = await chat.send_document(content, mime)
        assert "JPG, PNG, dan WEBP" in refused.text, mime
    for content, mime in ((b"Bukan PDF, hanya teks biasa.", "application/pdf"), (b"\x00" * 64, "video/mp4")):
        [mismatch] = await chat.send_document(content, mime)
        assert "tidak cocok dengan jenisnya" in mismatch.text, mime
    [review] = await chat.press(step, callbacks.TipButton, action="done")
    assert "Bukti:</b> tidak ada" in review.html


async def test_real_pdf_and_videos_are_kept_as_sent(env):
    chat, _ = await at_evidence_step(env, 7003)
    for content, mime in ((MINIMAL_PDF, "application/pdf"), (MP4, "video/mp4"), (WEBM, "video/webm")):
        [ack] = await chat.send_document(content, mime)
        assert "⚠️" in ack.text, mime  # the warning that metadata stays
    code = await submit(chat, ack)
    kept = sorted((r["kind"], r["mime"], d) for r, d in await stored_evidence(env, code))
    assert kept == [
        ("document", "application/pdf", MINIMAL_PDF),
        ("video", "video/mp4", MP4),
        ("video", "video/webm", WEBM),
    ]


async def test_a_file_without_a_size_is_still_held_to_20_mb(env):
    chat, _ = await at_evidence_step(env, 7004)
    f = env.fake.add_file(b"%PDF-" + b"\0" * (20 * 1024 * 1024))
    del f["file_size"]  # optional in the Bot API
    [big] = await chat.say(None, document={**f, "mime_type": "application/pdf", "file_name": "besar.pdf"})
    assert "20 MB" in big.text


# ---------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("WEBP"), "image/webp"),
        (MINIMAL_PDF, "application/pdf"),
        (MP4, "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video/quicktime"),
        (WEBM, "video/webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", "video/x-matroska"),
        (HEIC, "image/heif"),
        (image_bytes("TIFF"), "image/tiff"),
        (image_bytes("GIF", mode="P"), "image/gif"),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_content_is_recognised_by_its_magic(data, mime):
    assert sniff(data) == mime


@pytest.mark.parametrize(
    ("data", "label", "key"),
    [
        (image_bytes("TIFF"), "image/jpeg", "tip_image_format"),
        (HEIC, "video/quicktime", "tip_image_format"),
        (b"<html>not a pdf</html>", "application/pdf", "tip_file_mismatch"),
        (b"RIFF\x00\x00\x00\x00AVI ", "video/mp4", "tip_file_mismatch"),
        (b"garbage", "image/png", "tip_file_unreadable"),
        (b"garbage", "application/zip", "tip_file_unsupported"),
    ],
)
def test_content_that_does_not_fit_is_refused(data, label, key):
    with pytest.raises(EvidenceError) as err:
        check_content(data, label)
    assert err.value.key == key


def test_an_image_labelled_as_a_document_is_cleaned():
    clean = clean_file(jpeg_with_gps(), "application/pdf", as_photo=False)
    assert clean.kind == "photo" and clean.mime == "image/jpeg" and clean.metadata_removed and b"Exif" not in clean.data


def test_large_jpegs_are_decoded_at_a_reduced_scale_and_huge_images_refused():
    clean, mime = strip_image(image_bytes("JPEG", (6000, 4000)))  # 24 MP
    assert mime == "image/jpeg" and Image.open(io.BytesIO(clean)).size == (3000, 2000)
    small, _ = strip_image(image_bytes("JPEG", (4000, 3000)))  # 12 MP: kept at full size
    assert Image.open(io.BytesIO(small)).size == (4000, 3000)
    with pytest.raises(EvidenceError) as err:
        strip_image(image_bytes("PNG", (8000, 6000), mode="1"))  # 48 MP, a tiny file
    assert err.value.key == "tip_image_too_large"


async def test_at_most_two_files_are_cleaned_at_once(monkeypatch):
    running, peak, lock = 0, 0, threading.Lock()

    def slow_clean(data, mime, as_photo):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return clean_file(data, mime, as_photo)

    monkeypatch.setattr(handler_evidence, "clean_file", slow_clean)
    done = await asyncio.gather(*(handler_evidence.clean_in_thread(MINIMAL_PDF, "application/pdf", False)
                                  for _ in range(6)))  # fmt: skip
    assert len(done) == 6 and peak == handler_evidence.CLEANING_AT_ONCE == 2
