"""What reviewers send towards a reporter, and what they get back: no clickable links relayed to reporters,
a fixed warning under every question, no note or question text in the audit, and every evidence file
delivered even when one of them cannot be."""

from __future__ import annotations

import pytest

from bot.tg import callbacks
from bot.tips import receipts
from tests import pg
from tests.botenv import running_bot
from tests.chat import Chat
from tests.test_evidence_checks import MINIMAL_PDF, image_bytes
from tests.tipchat import fill_report, jpeg_with_gps

OWNER, REVIEWER = 9201, 9202
WARNING_ID = "Petugas tidak akan pernah meminta identitas Anda, atau meminta Anda membuka tautan atau bot lain."
WARNING_EN = "Handlers will never ask for your identity, or ask you to open a link or another bot."


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER}), retry_backoff=0.01) as e:
        yield e


async def reported(env, user_id: int, files: list[tuple[bytes, str]] = ()) -> tuple[Chat, str, str]:
    """A submitted report (with these documents as evidence): the reporter, their code, the public number."""
    chat = Chat(env.fake, user_id)
    review = await fill_report(chat, evidence=False)
    if files:
        [last] = await chat.press(review, callbacks.TipButton("edit", "evidence"))
        for content, mime in files:
            [last] = await chat.send_document(content, mime)
        [review] = await chat.press(last, callbacks.TipButton, action="done")
    [receipt] = await chat.press(review, callbacks.TipButton("send"))
    [code] = [line.strip() for line in receipt.text.splitlines() if receipts.PATTERN.fullmatch(line.strip())]
    [public_no] = [w for w in receipt.text.split() if w.startswith("LPR-")]
    await chat.press(receipt, callbacks.TipButton("saved"))
    return chat, code, public_no.strip(".,:")


async def a_reviewer(env) -> Chat:
    await Chat(env.fake, OWNER).say(f"/grant {REVIEWER} reviewer")
    return Chat(env.fake, REVIEWER)


async def test_links_and_mentions_for_the_reporter_are_refused_and_nothing_is_stored(env):
    reporter, code, public_no = await reported(env, 8001)
    s = env.app.bot_data["services"]
    report_id = await s.tips.find(code)
    before = (await s.tips.view(report_id, public_only=False)).events
    reviewer = await a_reviewer(env)
    for text in (
        "Mohon kirim bukti asli lewat t.me/netra_bukti_bot?start=LPR1 atau hubungi @petugas_bawaslu_x",
        "Atau hubungi @petugas_bawaslu_x saja",
        "Kirim ke https://contoh.id/unggah ya",
        "Lengkapi formulir di contoh.com",
        "Buka ｔ．ｍｅ/netra_bukti_bot",  # full-width look-alike
    ):
        [refused] = await reviewer.say(f"/tanyapelapor {public_no} {text}")
        assert "Tidak disimpan" in refused.text and len(refused.text.splitlines()) == 1, text
    [refused] = await reviewer.say(f"/ubahstatus {public_no} diverifikasi Kirim bukti lain lewat bit.ly/abc")
    assert "Tidak disimpan" in refused.text

    view = await s.tips.view(report_id, public_only=False)
    assert view.status == "baru" and view.events == before
    [status] = await reporter.say(f"/status {code}")
    for absent in ("t.me", "@petugas", "contoh", "bit.ly", "❓", WARNING_ID):
        assert absent not in status.text


async def test_a_plain_question_reaches_the_reporter_with_the_fixed_warning(env):
    reporter, code, public_no = await reported(env, 8002)
    reviewer = await a_reviewer(env)
    [saved] = await reviewer.say(f"/tanyapelapor {public_no} Jam berapa kejadiannya, kira-kira?")
    assert "Pertanyaan disimpan" in saved.text
    await reviewer.say(f"/ubahstatus {public_no} diverifikasi Sedang ditelusuri Bawaslu Kab. Sleman")
    [status] = await reporter.say(f"/status {code}")
    lines = status.text.splitlines()
    asked = next(i for i, line in enumerate(lines) if "Jam berapa kejadiannya" in line)
    assert WARNING_ID in lines[asked + 1] and status.text.count(WARNING_ID) == 1
    assert "ditelusuri Bawaslu" in status.text

    reporter.user["language_code"] = "en"
    [status_en] = await reporter.say(f"/status {code}")
    assert WARNING_EN in status_en.text and WARNING_ID not in status_en.text


async def test_the_audit_records_that_a_note_or_question_was_written_but_not_its_text(env):
    _reporter, _code, public_no = await reported(env, 8003)
    reviewer = await a_reviewer(env)
    await reviewer.say(f"/catatan {public_no} Pelapor kemungkinan Bu Sulis dari TU")
    await reviewer.say(f"/tanyapelapor {public_no} Apakah Ibu yang duduk di meja dekat jendela?")
    await reviewer.say(f"/ubahstatus {public_no} diverifikasi Sedang ditelusuri Bawaslu Kab. Sleman")
    rows = await pg.fetch(env.data_dir, "SELECT action, target, before, after FROM audit")
    assert ("tips.note", public_no) in [r[:2] for r in rows] and ("tips.ask", public_no) in [r[:2] for r in rows]
    written = " ".join(str(value) for row in rows for value in row)
    for word in ("Sulis", "TU", "meja", "jendela", "ditelusuri", "Sleman"):
        assert word not in written, word


async def test_every_evidence_item_reaches_the_reviewer(env):
    wide = image_bytes("PNG", (9000, 1200), mode="L")  # width + height over sendPhoto's 10000
    _reporter, _code, public_no = await reported(
        env, 8004, [(wide, "image/png"), (jpeg_with_gps(), "image/jpeg"), (MINIMAL_PDF, "application/pdf")]
    )
    reviewer = await a_reviewer(env)
    [listing] = await reviewer.say("/tips")

    def delivered() -> list[str]:
        return [
            c.params["caption"] for c in env.fake.calls if c.ok and c.method in ("sendPhoto", "sendDocument")
            and str(c.params.get("chat_id")) == str(REVIEWER)
        ]  # fmt: skip

    await reviewer.press(listing, callbacks.ReviewButton, action="o")
    await env.fake.wait_for(lambda: len(delivered()) == 3)
    [photo] = reviewer.sent("sendPhoto")
    assert photo.params["caption"] == f"{public_no}-bukti-2"
    documents = [c.params["document"]["filename"] for c in reviewer.sent("sendDocument")]
    assert documents == [f"{public_no}-bukti-1.png", f"{public_no}-bukti-3.pdf"]
    assert not [c for c in env.fake.calls if c.method == "sendPhoto" and not c.ok]  # never tried as a photo

    env.fake.fail("sendDocument", "400")  # the first file fails for good; the others still arrive
    [_opened, failed] = await reviewer.press(listing, callbacks.ReviewButton, action="o", count=2)
    assert f"{public_no}-bukti-1" in failed.text and "gagal dikirim" in failed.text
    assert len(failed.text.splitlines()) == 1
    await env.fake.wait_for(lambda: len(delivered()) == 5)
    assert delivered()[3:] == [f"{public_no}-bukti-2", f"{public_no}-bukti-3"]

    env.fake.fail("sendPhoto", "400")  # a photo Telegram will not take is sent as a document
    await reviewer.press(listing, callbacks.ReviewButton, action="o")
    await env.fake.wait_for(lambda: len(delivered()) == 8)
    assert reviewer.sent("sendDocument")[-2].params["caption"] == f"{public_no}-bukti-2"
