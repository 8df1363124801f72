"""The attacker who copies DATA_DIR: live, after `kill -9` and after a clean stop, with every key the copy
holds. After a reporter has confirmed saving the receipt, nothing in the copy ties their Telegram id (or
any id near it) to the report: no draft row in the database file or in any commit left in the WAL, no
commit where a report appears as a draft changes, no user key anywhere in the bytes, no leftover of the
sealed draft bodies, and no time of day."""

from __future__ import annotations

import base64
import os
import re
import stat

import pytest

from bot.config import Settings, SettingsError
from bot.tg import callbacks
from bot.tg.app import build_application
from tests import pg
from tests.botenv import TOKEN, running_bot
from tests.chat import Chat, GroupChat
from tests.fake_telegram import FakeTelegram
from tests.forensics import findings, seize
from tests.test_tips_restart import ADMIN_CHAT, BotProcess, identifying_bytes
from tests.tipchat import DESCRIPTION, fill_report, jpeg_with_gps

pytestmark = pg.SQLITE_ONLY  # a copy of the SQLite file and its WAL; PostgreSQL's copy: README, Privacy

A, B, C = 8123456789, 5550001234, 6000000042  # two reporters, and someone who only asks and picks English
NEAR = 300  # ids tried on each side of each reporter's


def candidates() -> list[int]:
    return [uid for center in (A, B) for uid in range(center - NEAR, center + NEAR + 1)] + [C]


async def test_a_copy_of_data_dir_ties_no_account_to_a_sent_report(tmp_path):
    fake = FakeTelegram(TOKEN)
    base = await fake.start()
    data_dir = tmp_path / "data"
    bot = BotProcess(base, data_dir, tmp_path / "bot.log")
    await bot.start()
    try:
        a, b, c = Chat(fake, A, "Sulistyowati", "sulis_rahasia_77"), Chat(fake, B, "Bambang"), Chat(fake, C, "Citra")
        admin = GroupChat(fake, ADMIN_CHAT)
        [answer] = await c.say("boleh gak pns like postingan caleg?")
        [pick] = await c.say("/bahasa")
        await c.press(pick, callbacks.Language("en"))
        del answer

        [evidence_step] = await a.press(await fill_report(a), callbacks.TipButton("edit", "evidence"))
        [ack] = await a.send_photo(jpeg_with_gps("Sulistyowati"))
        [review_a] = await a.press(ack, callbacks.TipButton, action="done")
        assert "1 foto" in review_a.text
        del evidence_step
        review_b = await fill_report(b)  # B's draft is open while A sends
        open_drafts = seize(data_dir, tmp_path / "while-drafting")
        bodies = [body for snap in open_drafts.snapshots for body in snap.drafts.values()]
        assert len({k for snap in open_drafts.snapshots for k in snap.drafts}) == 2  # honest: open drafts exist

        [receipt_a] = await a.press(review_a, callbacks.TipButton("send"))
        sent_unconfirmed = seize(data_dir, tmp_path / "before-confirming")
        # until the code is confirmed its row is linkable with the keys; without them it names nobody
        assert findings(sent_unconfirmed, candidates())
        (sent_unconfirmed.path / "data.key").unlink()
        assert not findings(sent_unconfirmed, candidates())
        [after_a] = await a.press(receipt_a, callbacks.TipButton("saved"))
        assert "hapus" in after_a.text
        [receipt_b] = await b.press(review_b, callbacks.TipButton("send"))
        await b.press(receipt_b, callbacks.TipButton("saved"))
        await admin.replies(2, timeout=30)
        codes = [next(ln.strip() for ln in r.text.splitlines() if ln.count("-") == 3) for r in (receipt_a, receipt_b)]
        for _ in range(20):  # a few more questions after the reports, as a live server would see
            await c.say("apakah pns boleh jadi anggota partai?")

        copies = {"live": seize(data_dir, tmp_path / "live")}
        await bot.kill9()
        copies["after kill -9"] = seize(data_dir, tmp_path / "kill9")
        await bot.start()
        [status] = await a.say(f"/status {codes[0]}")
        assert "LPR-" in status.text
        assert await bot.stop() == 0
        copies["after a clean stop"] = seize(data_dir, tmp_path / "clean")
    finally:
        if bot.proc and bot.proc.returncode is None:
            bot.proc.kill()
        await fake.stop()

    for name, copy in copies.items():
        assert not findings(copy, candidates()), name
        raw = copy.raw()
        for body in bodies:  # no leftover of any sealed draft body, whole or in part
            for i in range(0, len(body) - 32, 32):
                assert body[i : i + 32] not in raw, f"{name}: part of a deleted draft body"
        for needle in [*identifying_bytes(), DESCRIPTION[:30].encode(), *(code.encode() for code in codes)]:
            assert needle not in raw, f"{name}: {needle!r}"
        for path in copy.path.rglob("*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path.name} is readable by others ({oct(mode)})"
        # evidence lives sealed in the database: no file whose change or birth time marks an upload
        assert not (copy.path / "evidence").exists()
    assert not (data_dir / "identity.key").exists()
    log = (tmp_path / "bot.log").read_text()
    assert "Traceback" not in log and TOKEN not in log
    assert not re.search(r"\d\d:\d\d:\d\d", log), "a time of day in the log"
    assert "data.key" in log  # the one-line warning that a copy of DATA_DIR reveals open drafts


async def test_with_data_key_set_nothing_secret_is_written_and_a_wrong_key_refuses_to_start(tmp_path):
    master = os.urandom(32)
    key = base64.b64encode(master).decode()
    data_dir = tmp_path / "data"
    async with running_bot(data_dir, data_key=key, outbox_interval=0.1) as env:
        chat = Chat(env.fake, A)
        review = await fill_report(chat)
        [receipt] = await chat.press(review, callbacks.TipButton("send"))
        draft_open = seize(data_dir, tmp_path / "pending")
    assert not (data_dir / "data.key").exists() and not (data_dir / "identity.key").exists()
    # without DATA_KEY even the unconfirmed receipt's row names nobody; with it, it does (until confirmed)
    assert not findings(draft_open, candidates())
    assert findings(draft_open, candidates(), extra_secrets=[master])
    raw = draft_open.raw()
    assert master not in raw and key.encode() not in raw

    before = (data_dir / "netra.sqlite3").read_bytes()
    wrong = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(SettingsError, match="does not open the data"):
        build_application(Settings(bot_token=TOKEN, data_dir=data_dir, data_key=wrong))
    assert (data_dir / "netra.sqlite3").read_bytes() == before  # nothing read, nothing deleted
    async with running_bot(data_dir, data_key=key) as env:  # the right key still opens everything
        chat = Chat(env.fake, A)
        saved_first, again = await chat.say("halo", count=2)  # the receipt is shown until it is confirmed
        assert "Simpan dulu" in saved_first.text and receipt.text == again.text
