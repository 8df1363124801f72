"""/lapor and /status end to end: the real Application against the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from PIL import Image

from bot.tg.app import configure_logging
from bot.tg.callbacks import FollowUp, TipButton
from bot.tips import receipts
from tests import pg
from tests.botenv import running_bot
from tests.chat import Chat, GroupChat, button_of, buttons, datas, find
from tests.tipchat import DESCRIPTION, fill_report, fill_until_evidence, jpeg_with_gps

ADMIN_CHAT = -100777


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_chat_id=ADMIN_CHAT, outbox_interval=0.1, retry_backoff=0.01) as e:
        yield e


def services(env):
    return env.app.bot_data["services"]


def code_in(receipt) -> str:
    [code] = [line.strip() for line in receipt.text.splitlines() if receipts.PATTERN.fullmatch(line.strip())]
    return code


async def send_and_confirm(chat: Chat, review) -> str:
    [receipt] = await chat.press(review, TipButton("send"))
    assert "Laporan diterima" in receipt.text and "LPR-" in receipt.text
    [after] = await chat.press(receipt, TipButton("saved"))
    assert "7 hari kerja" in after.text and "7 hari kalender" in after.text and "KASN" in after.text
    return code_in(receipt)


async def test_full_report_with_every_optional_step_taken(env):
    chat, admin = Chat(env.fake, 5001), GroupChat(env.fake, ADMIN_CHAT)
    intro, category = await chat.say("/lapor", count=2)
    assert "tidak menyimpan" in intro.text and "Langkah 1/7" in category.text
    assert TipButton("c", "lainnya").pack() in datas(category)
    [election] = await chat.press(category, TipButton("c", "hadir-kampanye"))
    assert "✅ Ikut kampanye" in election.text
    [who] = await chat.press(election, TipButton("e", "pemilu"))
    [province] = await chat.say("Camat Contoh, Kecamatan Contoh")
    assert len(find(province, TipButton, action="p")) == 39
    [regency] = await chat.say("Jawa Timur")  # typed instead of pressed
    [date] = await chat.say("Kota Malang")
    [description] = await chat.press(date, TipButton("d", "1"))
    [evidence] = await chat.say(DESCRIPTION)
    [photo_ack] = await chat.send_photo(jpeg_with_gps())
    assert "metadata" in photo_ack.text.lower() and "1/10" in photo_ack.text
    [pdf_ack] = await chat.send_document(b"%PDF-1.4 Author (Budi)", "application/pdf")
    assert "⚠️" in pdf_ack.text and "2/10" in pdf_ack.text
    [link_ack] = await chat.say("https://x.com/contoh/status/1 dan https://youtu.be/abc")
    assert "4/10" in link_ack.text
    [review] = await chat.press(link_ack, TipButton, action="done")
    shown = ("Ikut kampanye", "Pemilu", "Camat Contoh", "Kota Malang, Jawa Timur", "1 foto, 1 dokumen, 2 tautan")
    for expected in shown:
        assert expected in review.text
    assert "https://youtu.be/abc" in review.text
    del who, regency, description, evidence
    code = await send_and_confirm(chat, review)

    s = services(env)
    report_id = await s.tips.find(code)
    rows = await s.tips.store.evidence(report_id)
    assert sorted(r["kind"] for r in rows) == ["document", "link", "link", "photo"]
    [photo] = [r for r in rows if r["kind"] == "photo"]
    stored = await s.tips.files.read(photo["file"])
    img = Image.open(io.BytesIO(stored))
    assert not img.getexif() and b"Budi" not in stored  # the EXIF test: no GPS, no owner
    await admin.replies(1)
    [notice] = admin.messages
    assert "LPR-" in notice.text and "Ikut kampanye" in notice.text and "Kota Malang, Jawa Timur" in notice.text
    assert DESCRIPTION[:30] not in notice.text
    assert not env.fake.sent(method="forwardMessage")


async def test_report_with_every_optional_step_skipped(env):
    chat = Chat(env.fake, 5002)
    _intro, category = await chat.say("/lapor", count=2)
    [election] = await chat.press(category, TipButton("c", "lainnya"))
    [who] = await chat.press(election, TipButton("e", "tidak_tahu"))
    [province] = await chat.press(who, TipButton, action="skip")
    [regency] = await chat.press(province, TipButton("p", "ln"))
    [date] = await chat.press(regency, TipButton, action="skip")
    await chat.say("hari ini")
    [evidence] = await chat.say(DESCRIPTION)
    [review] = await chat.press(evidence, TipButton, action="done")
    assert "(tidak diisi)" in review.text and "Bukti:</b> tidak ada" in review.html
    del date
    code = await send_and_confirm(chat, review)
    view = await services(env).tips.view(await services(env).tips.find(code))
    assert view.category == "lainnya" and view.election == "tidak_tahu" and view.evidence_count == 0


async def test_edit_from_review_and_back_button(env):
    chat = Chat(env.fake, 5003)
    review = await fill_report(chat)
    [date] = await chat.press(review, TipButton("edit", "date"))
    assert "Kembali ke ringkasan" in str(buttons(date))
    [again] = await chat.say("1 Oktober 2026")
    assert "1 Oktober 2026" in again.text and "Periksa laporan" in again.text
    [description] = await chat.press(again, TipButton("edit", "description"))
    assert "Teks sekarang" in description.text and DESCRIPTION[:40] in description.text  # to copy and change
    [unchanged] = await chat.press(description, TipButton, action="back")
    assert "Periksa laporan" in unchanged.text
    alert = await chat.press_for_alert(description, button_of(description, TipButton, action="back"))
    assert "Tombol ini" in alert or "lain" in alert


async def test_cancel_deletes_the_draft_and_its_files(env):
    chat = Chat(env.fake, 5004)
    review = await fill_report(chat, evidence=False)
    [evidence] = await chat.press(review, TipButton("edit", "evidence"))
    await chat.send_photo(jpeg_with_gps())
    s = services(env)
    assert await s.tips.files.names()
    [confirm] = await chat.say("/batal")  # asks first: nothing is deleted yet
    assert "Hapus draf" in confirm.text and await s.tips.files.names()
    await chat.press(confirm, TipButton("resume"))  # "continue": the step again, the draft kept
    assert await s.tips.load_draft(s.user_keys.key(5004)) is not None
    [confirm] = await chat.say("/batal")
    [bye] = await chat.press(confirm, TipButton("discard"))
    assert "dibatalkan" in bye.text
    assert await s.tips.load_draft(s.user_keys.key(5004)) is None and not await s.tips.files.names()
    [nothing] = await chat.say("/batal")
    assert "Tidak ada laporan" in nothing.text
    alert = await chat.press_for_alert(review, TipButton("send"))
    assert "tidak ada" in alert
    del evidence


async def test_bad_answers_get_a_clear_reply_and_the_step_stays(env):
    chat = Chat(env.fake, 5005)
    _intro, category = await chat.say("/lapor", count=2)
    [hint] = await chat.say("media sosial")
    assert "tombol" in hint.text
    [election] = await chat.press(category, TipButton("c", "medsos"))
    [who] = await chat.press(election, TipButton("e", "pemilu"))
    [province] = await chat.press(who, TipButton, action="skip")
    [unknown] = await chat.say("Atlantis")
    assert "tidak saya kenali" in unknown.text
    [regency] = await chat.press(province, TipButton("p", "11"))
    await chat.say("Kota Banda Aceh")
    for typed, expected in [
        ("31/2/2024", "tidak ada di kalender"),
        ("1/1/2099", "belum terjadi"),
        ("besok", "belum terjadi"),
        ("kapan ya", "tidak bisa saya baca"),
        ("17/9/1990", "terlalu lama"),
    ]:
        [reply] = await chat.say(typed)
        assert expected in reply.text, typed
        assert "17/9/2024" in reply.html or "kemarin" in reply.text
    await chat.say("17 September 2024")
    [short] = await chat.say("PNS kampanye")
    assert "terlalu singkat" in short.text
    sticker = {"file_id": "S1", "file_unique_id": "s1", "type": "regular", "width": 1, "height": 1,
               "is_animated": False, "is_video": False}  # fmt: skip
    [sticker] = await chat.say(None, sticker=sticker)
    assert "teks" in sticker.text
    [voice] = await chat.say(None, voice={"file_id": "V1", "file_unique_id": "v1", "duration": 3})
    assert "suara" in voice.text
    [place] = await chat.say(None, location={"latitude": -6.2, "longitude": 106.8})
    assert "Lokasi" in place.text
    [early] = await chat.send_photo(jpeg_with_gps())
    assert "langkah 6" in early.text
    [evidence] = await chat.say(DESCRIPTION)
    [exe] = await chat.send_document(b"MZ", "application/x-msdownload")
    assert "tidak kami terima" in exe.text
    [big] = await chat.send_document(b"%PDF small", "application/pdf", size=25 * 1024 * 1024)
    assert "20 MB" in big.text
    [broken] = await chat.send_document(b"not really a jpeg", "image/jpeg")
    assert "tidak bisa dibaca" in broken.text
    [huge] = await chat.say("x" * 10_000)
    assert "Kirim foto, dokumen, atau tautan" in huge.text
    [review] = await chat.press(evidence, TipButton, action="done")
    assert "Bukti:</b> tidak ada" in review.html
    assert not [c for c in env.fake.calls if not c.ok and c.method != "getUpdates"]
    del regency


async def test_html_looking_answers_are_shown_as_text(env):
    chat = Chat(env.fake, 5006)
    _intro, category = await chat.say("/lapor", count=2)
    [election] = await chat.press(category, TipButton("c", "hadir-kampanye"))
    await chat.press(election, TipButton("e", "pemilu"))
    [province] = await chat.say("<b>Kadis</b> & <script>alert(1)</script>")
    [regency] = await chat.press(province, TipButton("p", "31"))
    [date] = await chat.press(regency, TipButton, action="skip")
    [description] = await chat.press(date, TipButton("d", "0"))
    [evidence] = await chat.say(DESCRIPTION + " <i>tag</i> &amp;")
    [review] = await chat.press(evidence, TipButton, action="done")
    assert "<b>Kadis</b> & <script>alert(1)</script>" in review.text
    assert "<i>tag</i> &amp;" in review.text
    del description


async def test_lapor_in_a_group_points_to_a_private_chat(env):
    group = GroupChat(env.fake, -100200, 5007, title="Pegawai Dinas")
    [reply] = await group.say("/lapor")
    [button] = buttons(reply)
    assert button["url"].endswith("?start=lapor") and "pribadi" in reply.text
    [warning] = await group.say("/status ABCDE-FGHJK-MNPQR-STUVW")
    assert "grup" in warning.text
    chat = Chat(env.fake, 5007)
    intro, _category = await chat.say("/start lapor", count=2)
    assert "tidak menyimpan" in intro.text


async def test_status_with_right_wrong_and_guessed_codes(env):
    chat = Chat(env.fake, 5008)
    code = await send_and_confirm(chat, await fill_report(chat))
    s = services(env)
    report_id = await s.tips.find(code)
    await s.tips.set_status(report_id, "diverifikasi", "Laporan sedang ditelusuri Bawaslu Kab. Sleman.")
    await s.tips.note(report_id, "catatan internal: pelapor mungkin staf", public=False)
    await s.tips.ask(report_id, "Apakah ada saksi lain?")
    [status] = await chat.say(f"/status {code.lower()}")
    assert "Diverifikasi" in status.text and "ditelusuri Bawaslu" in status.text and "saksi lain" in status.text
    assert "catatan internal" not in status.text
    [pasted] = await chat.say(code.replace("-", " "))
    assert "LPR-" in pasted.text

    [ask] = await chat.press(status, FollowUp("reply"))
    [saved] = await chat.say("Ada, rekan satu bidang juga melihat.")
    assert "tersimpan" in saved.text
    [ask_evidence] = await chat.press(status, FollowUp("evidence"))
    [ok] = await chat.send_photo(jpeg_with_gps())
    assert "tersimpan" in ok.text
    [done] = await chat.press(ok, FollowUp("done"))
    view = await s.tips.view(report_id)
    assert [e.kind for e in view.events][-2:] == ["reply", "evidence"] and view.evidence_count == 2
    del ask, ask_evidence, done

    [usage] = await chat.say("/status")
    assert "kode tanda terima" in usage.text
    for attempt in range(5):
        [wrong] = await chat.say(f"/status {receipts.new_code()}")
        assert ("tidak cocok" in wrong.text) if attempt < 4 else ("Terlalu banyak" in wrong.text)
    [blocked] = await chat.say(f"/status {code}")
    assert "Terlalu banyak" in blocked.text  # even the right code, until the window passes
    other = Chat(env.fake, 5009)
    [fine] = await other.say(f"/status {code}")
    assert "LPR-" in fine.text


async def test_forged_followup_button_without_a_session_opens_nothing(env):
    chat = Chat(env.fake, 5010)
    [usage] = await chat.say("/status")
    alert = await chat.press_for_alert(usage, FollowUp("reply"))
    assert "Sesi" in alert


async def test_daily_limit(tmp_path):
    async with running_bot(tmp_path / "data", tip_daily_limit=1) as env:
        chat = Chat(env.fake, 5011)
        await send_and_confirm(chat, await fill_report(chat, evidence=False))
        [limit] = await chat.say("/lapor")
        assert "batas harian" in limit.text


async def test_admin_notice_survives_a_429_and_5xx_storm(env, caplog):
    fake = env.fake
    for kind in ("429", "500", "drop", "502", "500", "500", "drop", "502", "500", "500", "500", "502"):
        fake.fail("sendMessage", kind, chat_id=ADMIN_CHAT)
    chat, admin = Chat(fake, 5012), GroupChat(fake, ADMIN_CHAT)
    with caplog.at_level(logging.INFO):
        await send_and_confirm(chat, await fill_report(chat, evidence=False))
        await admin.replies(1, timeout=60)
    failed = [c for c in fake.calls if c.method == "sendMessage" and not c.ok]
    assert len(failed) == 12
    assert len(admin.messages) == 1
    for _ in range(200):  # the bot deletes the notice just after Telegram accepted it
        if not (rows := await services(env).tips.store.notices()):
            break
        await asyncio.sleep(0.02)
    assert not rows  # nothing is kept of a delivered notice, not even when it went out


async def test_anonymity_nothing_identifying_in_any_file_or_log(tmp_path, caplog):
    reporters = [(7_700_000_001, "Wahyuningsih", "wahyu_pelapor_x"), (7_700_000_002, "Bonifasius", "boni_rahasia"),
                 (7_700_000_003, "Kristiantoro", None)]  # fmt: skip
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.INFO):
        configure_logging()
        async with running_bot(data_dir, admin_chat_id=ADMIN_CHAT, outbox_interval=0.1) as env:
            admin = GroupChat(env.fake, ADMIN_CHAT)
            for user_id, name, username in reporters:
                chat = Chat(env.fake, user_id, first_name=name, username=username)
                review = await fill_report(chat)
                [evidence] = await chat.press(review, TipButton("edit", "evidence"))
                [ack] = await chat.send_photo(jpeg_with_gps(name))
                [review] = await chat.press(ack, TipButton, action="done")
                code = await send_and_confirm(chat, review)
                [status] = await chat.say(f"/status {code}")
                await chat.press(status, FollowUp("reply"))
                await chat.say(f"tambahan dari saksi {user_id % 7}")
                await chat.say("/bahasa")
                del evidence
            await admin.replies(3)
    needles = []
    for user_id, name, username in reporters:
        needles += [str(user_id), name, name.lower(), *([username] if username else [])]
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    if pg.bots_on_postgres():  # the database is not in DATA_DIR: a dump of it is what gets copied
        files.append(pg.dump(data_dir, tmp_path / "pg_dump.sql"))
    assert len(files) >= 3  # the database (evidence included), the key, the lock
    for path in files:
        content = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in content, f"{needle} in {path.name}"
            assert needle.encode().hex().encode() not in content, f"{needle} (as hex) in {path.name}"
    for needle in needles:
        assert needle not in caplog.text
    for notice in admin.messages:
        assert not any(needle in notice.text for needle in needles)


async def test_lapor_with_an_open_draft_offers_to_resume_or_start_again(env):
    chat = Chat(env.fake, 5013)
    review = await fill_report(chat, evidence=False)
    [evidence] = await chat.press(review, TipButton("edit", "evidence"))
    f = env.fake.add_file(b"\x00\x00\x00\x18ftypmp42 fake video")
    [video_ack] = await chat.say(None, video={**f, "width": 4, "height": 4, "duration": 1, "mime_type": "video/mp4"})
    assert "⚠️" in video_ack.text and "1/10" in video_ack.text
    assert "🗑 1 video" in str(buttons(video_ack))  # one item, removed on its own
    [cleared] = await chat.press(video_ack, TipButton("rm", "1"))
    assert "Selesai (0)" in str(buttons(cleared))
    s = services(env)
    assert not await s.tips.files.names()
    assert "langkah lain" in await chat.press_for_alert(cleared, TipButton("rm", "1"))  # nothing left to remove
    [choice] = await chat.say("/lapor")
    assert "draf" in choice.text
    [resumed] = await chat.press(choice, TipButton("resume"))
    assert "Langkah 6/7" in resumed.text  # the step the draft was on
    [choice] = await chat.say("/lapor")
    [fresh] = await chat.press(choice, TipButton("new"))
    assert "Langkah 1/7" in fresh.text
    draft = await s.tips.load_draft(s.user_keys.key(5013))
    assert draft is not None and draft.step == "category" and draft.description is None
    del evidence


async def test_typed_answers_are_echoed_as_read_and_a_question_mid_form_is_told_how_to_leave(env):
    chat = Chat(env.fake, 5090)
    intro, category = await chat.say("/lapor", count=2)
    [told] = await chat.say("boleh gak pns like postingan caleg?")  # a question, while a button is awaited
    assert "masih terbuka" in told.text and "/batal" in told.text
    [election] = await chat.press(category, TipButton("c", "medsos"))
    await chat.press(election, TipButton("e", "pilkada"))
    [province] = await chat.say("Kepala Bidang Dinas Pendidikan Kab. Contoh")
    [regency] = await chat.say("jateng")  # typed, not pressed
    assert regency.text.startswith("✅ Jawa Tengah")
    [when] = await chat.say("Kab. Klaten")
    [described] = await chat.say("sabtu kemarin")
    assert described.text.startswith("✅ ") and "20" in described.text.split("\n")[0]
    del intro, province, when


async def test_the_page_after_sending_gives_the_formal_reports_deadline(env):
    chat = Chat(env.fake, 5091)
    review = await fill_report(chat)  # Pilkada, incident on 17/9/2024
    [receipt] = await chat.press(review, TipButton("send"))
    [after] = await chat.press(receipt, TipButton("saved"))
    assert "paling lambat 24 September 2024, dan batas itu sudah lewat" in after.text  # 7 calendar days


async def test_a_photos_caption_reaches_the_reviewer_and_the_export(env):
    chat = Chat(env.fake, 5092)
    await fill_until_evidence(chat, link=None)
    f = env.fake.add_file(jpeg_with_gps())
    [ack] = await chat.say(None, photo=[{**f, "width": 40, "height": 30}], caption="spanduk di balai desa\u202e")
    assert "1/10" in ack.text
    [review] = await chat.press(ack, TipButton, action="done")
    await send_and_confirm(chat, review)
    s = services(env)
    [row] = await s.tips.export()
    assert row["evidence_captions"] == "1. spanduk di balai desa"  # kept, without the invisible override
