"""Findings of the 2026-12 security review on the report flow, each through the real Application and the
fake Bot API: text of reporters never becomes a stored question, the receipt survives any failure until it
is confirmed, the form is cleared from the chat, one process per DATA_DIR, limits on follow-up evidence,
forged votes, the token kept out of the log, and the storage details behind them."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from datetime import date, timedelta

import pytest
import yaml

from bot.config import Settings, SettingsError
from bot.privacy.crypto import Vault
from bot.privacy.keys import LEGACY_SCHEME, SCHEME, KeyMismatch, load_keys, load_master
from bot.storage.database import Database
from bot.storage.questions import QuestionStore
from bot.storage.tips import TipStore
from bot.tg import callbacks
from bot.tg.app import build_application
from bot.tips import receipts
from tests import pg
from tests.botenv import TOKEN, running_bot
from tests.chat import Chat, button_of
from tests.fake_telegram import FakeTelegram
from tests.redis_server import shared_redis
from tests.test_tips_bot import code_in, send_and_confirm
from tests.test_tips_restart import BotProcess
from tests.tipchat import fill_report

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def questions(data_dir) -> list[str]:
    return [row[0] for row in await pg.fetch(data_dir, "SELECT query FROM questions")]


async def test_a_reply_after_a_restart_and_a_code_in_a_sentence_are_never_stored(tmp_path):
    data_dir = tmp_path / "data"
    async with running_bot(data_dir, outbox_interval=0.1) as env:
        chat = Chat(env.fake, 7001)
        code = await send_and_confirm(chat, await fill_report(chat))
        [status] = await chat.say(f"/status {code}")
        [prompt] = await chat.press(status, callbacks.FollowUp("reply"))
        assert prompt.params["reply_markup"]["force_reply"] is True  # the client quotes the prompt
        prompt_message = env.fake.message_of(prompt)
        [first] = await chat.say("Ada, rekan satu bidang juga melihat.")
        [second] = await chat.say("saya staf di sana sejak 2019 dan bisa bersaksi")  # goes on: still a reply
        assert "tersimpan" in first.text and "tersimpan" in second.text
        [closed] = await chat.press(second, callbacks.FollowUp("done"))
        s = env.app.bot_data["services"]
        view = await s.tips.view(await s.tips.find(code))
        assert [e.text for e in view.events if e.kind == "reply"][
            -1
        ] == "saya staf di sana sejak 2019 dan bisa bersaksi"
        del closed
        [status] = await chat.say(f"/status {code}")
        [prompt] = await chat.press(status, callbacks.FollowUp("reply"))
        prompt_message = env.fake.message_of(prompt)
    # a deploy: the follow-up session was in memory only (this process's; on PostgreSQL, Redis's, restarted too)
    forgotten = {"redis_url": shared_redis(f"{data_dir} redis restarted")} if pg.bots_on_postgres() else {}
    async with running_bot(data_dir, **forgotten) as env:
        chat = Chat(env.fake, 7001)
        reply = "Saya Sulistyowati, staf TU SMPN 3 Bantul, saya yang memotret spanduk itu."
        [lost] = await chat.say(reply, reply_to=prompt_message)
        assert "tidak" in lost.text and "tersimpan" in lost.text and "/status" in lost.text
        [hint] = await chat.say(f"kode saya {code} gimana statusnya?")
        assert "kode tanda terima" in hint.text
        [answer] = await chat.say("boleh gak pns like postingan caleg?")
        assert "LPR-" not in answer.text
    stored = await questions(data_dir)
    assert stored == ["boleh gak pns like postingan caleg?"]  # only the real question


async def test_the_receipt_survives_a_telegram_failure_and_a_restart_until_confirmed(tmp_path):
    data_dir = tmp_path / "data"
    async with running_bot(data_dir, retry_backoff=0.01) as env:
        chat = Chat(env.fake, 7002)
        review = await fill_report(chat)
        env.fake.fail("sendMessage", "500", times=50, chat_id=7002)
        env.fake.fail("editMessageReplyMarkup", "502", times=50)
        chat.tap(review, callbacks.TipButton("send"))
        tips = env.app.bot_data["services"].tips
        for _ in range(300):
            if await tips.store.count_reports(None) == 1:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # the receipt's retries run out
        assert not any(c.ok and "Laporan diterima" in (c.text or "") for c in env.fake.calls)  # never shown
        env.fake.faults.clear()
    async with running_bot(data_dir) as env:
        chat = Chat(env.fake, 7002)
        first, receipt = await chat.say("halo", count=2)  # any message shows the code again
        assert "Simpan dulu" in first.text and "LPR-" in receipt.text
        code = code_in(receipt)
        [after] = await chat.press(receipt, callbacks.TipButton("saved"))
        assert "7 hari kerja" in after.text
        [status] = await chat.say(f"/status {code}")
        assert "LPR-" in status.text
        [plain] = await chat.say("halo")
        assert "Simpan dulu" not in plain.text  # confirmed: nothing pending any more
        assert not env.app.user_data.get(7002, {}).get("receipt")  # and no id -> code map in memory


async def test_the_form_is_deleted_from_the_chat_once_the_code_is_saved(tmp_path):
    async with running_bot(tmp_path / "data") as env:
        chat = Chat(env.fake, 7003)
        review = await fill_report(chat)
        [receipt] = await chat.press(review, callbacks.TipButton("send"))
        first, again = await chat.say("halo", count=2)  # another copy of the code, before confirming
        assert "Simpan dulu" in first.text
        [after] = await chat.press(receipt, callbacks.TipButton("saved"))  # on the first copy
        [deletion] = env.fake.sent(method="deleteMessages")
        ids = deletion.params["message_ids"]
        last_copy = env.fake.message_of(again)["message_id"]
        assert ids == list(range(min(ids), last_copy + 1)) and len(ids) >= 15  # from /lapor to every copy
        assert "sudah saya hapus" in after.text and "7 hari kerja" in after.text


async def test_when_the_form_cannot_be_deleted_the_reporter_is_told_to_clear_the_chat(tmp_path):
    async with running_bot(tmp_path / "data", retry_backoff=0.01) as env:
        chat = Chat(env.fake, 7030)
        [receipt] = await chat.press(await fill_report(chat), callbacks.TipButton("send"))
        env.fake.fail("deleteMessages", "500", times=50)  # Telegram keeps refusing
        [after] = await chat.press(receipt, callbacks.TipButton("saved"))
        assert "hapus sendiri" in after.text and "7 hari kerja" in after.text  # told, never silence
        assert not await env.app.bot_data["services"].tips.pending_receipt(
            env.app.bot_data["services"].user_keys.key(7030)
        )


async def test_a_second_process_on_the_same_data_dir_is_refused(tmp_path):
    async with running_bot(tmp_path / "data"):
        with pytest.raises(SettingsError, match="another Netra process"):
            build_application(Settings(bot_token=TOKEN, data_dir=tmp_path / "data"))
    app = build_application(Settings(bot_token=TOKEN, data_dir=tmp_path / "data"))  # free again once stopped
    await app.post_shutdown(app)


async def test_follow_up_evidence_has_the_forms_limit_and_warns_about_metadata(tmp_path):
    async with running_bot(tmp_path / "data") as env:
        chat = Chat(env.fake, 7004)
        code = await send_and_confirm(chat, await fill_report(chat, evidence=False))
        [status] = await chat.say(f"/status {code}")
        [ask] = await chat.press(status, callbacks.FollowUp("evidence"))
        [pdf] = await chat.send_document(PDF, "application/pdf")
        assert "metadata" in pdf.text
        links = " ".join(f"https://contoh.example/{i}" for i in range(20))
        [saved] = await chat.say(links)
        assert "tersimpan" in saved.text
        [full] = await chat.send_document(PDF, "application/pdf")
        assert "batasnya" in full.text
        s = env.app.bot_data["services"]
        report_id = await s.tips.find(code)
        assert (await s.tips.store.evidence_count(report_id))[0] == 10
        del ask


async def test_votes_count_once_per_answered_question_and_forged_ones_are_refused(tmp_path):
    async with running_bot(tmp_path / "data") as env:
        chat = Chat(env.fake, 7005)
        [answer] = await chat.say("boleh gak pns like postingan caleg?")
        down = button_of(answer, callbacks.Vote, sign="-")
        chat.tap(answer, down)
        await env.fake.wait_for(lambda: any("Terima kasih" in (c.params.get("text") or "") for c in chat.answers()))
        assert "kedaluwarsa" in await chat.press_for_alert(answer, down)  # twice
        stranger = Chat(env.fake, 7006)
        later = callbacks.Vote("-", down.rule_id, down.question_id + 50)
        assert "kedaluwarsa" in await stranger.press_for_alert(answer, later)
        other_rule = next(r for r in env.app.bot_data["services"].engine.kb.rules if r != down.rule_id)
        other = callbacks.Vote("-", other_rule, down.question_id)
        assert "kedaluwarsa" in await stranger.press_for_alert(answer, other)
        [votes] = await env.app.bot_data["services"].questions.vote_counts("2000-01-01")  # one vote in all
        assert votes.up + votes.down == 1


async def test_a_rejected_token_never_reaches_the_log(tmp_path):
    fake = FakeTelegram("999999:the-real-one")  # answers 401 to our token, as Telegram does for a revoked one
    base = await fake.start()
    bot = BotProcess(base, tmp_path / "data", tmp_path / "bot.log")
    try:
        await bot.start()
        code = await asyncio.wait_for(bot.proc.wait(), timeout=60)
    finally:
        if bot.proc and bot.proc.returncode is None:
            bot.proc.kill()
        await fake.stop()
    log = (tmp_path / "bot.log").read_text()
    assert code == 2 and "BOT_TOKEN was rejected" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


# ---------------------------------------------------------------------- storage


@pytest.fixture
async def store(tmp_path):
    store = Database(tmp_path / "netra.sqlite3")
    await store.open()
    yield store
    await store.close()


async def test_the_commit_before_a_receipt_is_durable(store):
    async def synchronous() -> int:
        return (await store.db.one("PRAGMA synchronous"))["synchronous"]

    assert await synchronous() == 1  # NORMAL
    async with store.durable_transaction():
        assert await synchronous() == 2  # FULL
    assert await synchronous() == 1


async def test_reads_never_see_another_coroutines_open_transaction(store):
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with store.transaction() as db:
            await db.run(
                "INSERT INTO questions (asked_at, query, status, confidence, lang) "
                "VALUES ('2026-12-01', 'x', 'none', 0, 'id')"
            )
            inside.set()
            await release.wait()
            raise RuntimeError("rolled back")

    task = asyncio.create_task(writer())
    await inside.wait()
    assert await store.fetchall("SELECT * FROM questions") == []  # not yet committed, and never will be
    release.set()
    with pytest.raises(RuntimeError):
        await task
    assert await store.fetchall("SELECT * FROM questions") == []


async def test_a_notice_attempt_is_claimed_once(store):
    tips = TipStore(store)
    await store.write("INSERT INTO outbox (kind, created_on) VALUES ('new_report', '2026-12-01')")
    [_claimed] = await tips.claim_notices(100.0, 60)
    assert await tips.claim_notices(100.0, 60) == [] and (await tips.notices())[0]["attempts"] == 1


async def test_questions_and_votes_are_kept_for_the_retention_period_only(store):
    questions = QuestionStore(store)
    old = await questions.record_question("pertanyaan lama", "none", None, 0.0, "id")
    await store.write("UPDATE questions SET asked_at = '2020-01-01' WHERE id = ?", (old,))
    new = await questions.record_question("pertanyaan baru", "none", None, 0.0, "id")
    assert await questions.purge_questions(date.today() - timedelta(days=180)) == 1
    assert [q.query for q in await questions.open_questions("2000-01-01")] == ["pertanyaan baru"]  # both unanswered
    assert (await questions.get_question(new)).asked_at == date.today().isoformat()  # a day, not a moment


def old_database(path) -> sqlite3.Connection:
    """A database as the bot left it before the key check (schema version 5)."""
    from bot.storage.migrations import MIGRATIONS

    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    return db


def test_a_database_from_before_the_key_check_keeps_opening(tmp_path):
    master, _ = load_master(tmp_path, None)
    sealed = Vault(master).seal_json({"description": "laporan lama"}, "report")  # sealed as before
    db = old_database(tmp_path / "netra.sqlite3")
    insert = (
        "INSERT INTO reports (public_no, locator, code_hash, submitted_on, status, status_on, category, election, "
        "province, body) VALUES (?, 'x', x'00', '2026-11-01', 'baru', '2026-11-01', 'c', 'pemilu', '35', ?)"
    )
    db.execute(insert, ("LPR-2026-000001", sealed))
    db.commit()
    keys = load_keys(tmp_path, tmp_path / "netra.sqlite3", None)
    assert keys.scheme == LEGACY_SCHEME and keys.vault.open_json(sealed, "report") == {"description": "laporan lama"}
    db.execute("UPDATE reports SET body = NULL")  # purged: its receipt locator still needs the old key
    db.commit()
    db.close()
    assert load_keys(tmp_path, tmp_path / "netra.sqlite3", None).scheme == LEGACY_SCHEME
    with pytest.raises(KeyMismatch):  # and the wrong key is still told apart, from the sealed sample
        db = sqlite3.connect(tmp_path / "netra.sqlite3")
        db.execute("UPDATE reports SET body = ?", (sealed,))
        db.commit()
        db.close()
        load_keys(tmp_path / "other", tmp_path / "netra.sqlite3", None)
    assert load_keys(tmp_path / "fresh", tmp_path / "fresh" / "netra.sqlite3", None).scheme == SCHEME


def test_data_key_may_not_sit_in_data_dir_as_well(tmp_path):
    master, _ = load_master(tmp_path, None)  # zero configuration wrote data.key
    configured = base64.b64encode(master).decode()
    with pytest.raises(KeyMismatch, match=r"move data\.key out of DATA_DIR"):
        load_master(tmp_path, configured)
    (tmp_path / "data.key").unlink()
    assert load_master(tmp_path, configured) == (master, False)


async def test_an_existing_database_migrates_without_keeping_what_it_no_longer_may(tmp_path):
    path = tmp_path / "netra.sqlite3"
    db = old_database(path)
    db.executescript(
        """
        INSERT INTO user_settings VALUES ('8d51785299bf6a494e35ee92db405deb', 'en', '2026-12-01T19:22:17+00:00');
        INSERT INTO tip_drafts VALUES ('k', '2026-12-01T19:22:17+00:00', x'01');
        INSERT INTO questions (asked_at, query, status, confidence, lang)
            VALUES ('2026-12-01T19:22:17+00:00', 'q', 'none', 0, 'id');
        INSERT INTO questions (asked_at, query, status, confidence, lang)
            VALUES ('2026-12-01T19:22:20+00:00', 'kode saya AQ8D2-2S425-EQFDS-ZH6HB gimana?', 'none', 0, 'id');
        INSERT INTO votes (voted_at, rule_id, question_id, vote) VALUES ('2026-12-01T19:22:18+00:00', 'r', 1, -1);
        INSERT INTO votes (voted_at, rule_id, question_id, vote) VALUES ('2026-12-01T19:22:19+00:00', 'r', 1, -1);
        INSERT INTO outbox (kind, created_at, due_at, sent_at) VALUES ('new_report', '2026-12-01T19:22:17+00:00',
            '2026-12-01T19:22:17+00:00', '2026-12-01T19:22:18+00:00');
        INSERT INTO outbox (kind, created_at, due_at) VALUES ('new_report', '2026-12-01T19:22:17+00:00',
            '2026-12-01T19:22:17+00:00');
        INSERT INTO audit (at, actor_id, action, target) VALUES ('2026-12-01T19:49:22+00:00', 8123456789, 'denied',
            'stats');
        INSERT INTO audit (at, actor_id, action, target, after) VALUES ('2026-12-01T19:50:00+00:00', 9001,
            'tips.note', 'LPR-2026-000001', '"pelapor mungkin staf TU"');
        INSERT INTO audit (at, actor_id, action, target, after) VALUES ('2026-12-01T19:51:00+00:00', 9001,
            'tips.ask', 'LPR-2026-000001', '"siapa saksi lainnya?"');
        INSERT INTO audit (at, actor_id, action, after) VALUES ('2026-12-01T19:52:00+00:00', 9003,
            'unanswered.dismiss', '"kode saya AQ8D2-2S425-EQFDS-ZH6HB gimana?"');
        """
    )
    db.close()
    store = Database(path)
    await store.open()
    try:
        assert await QuestionStore(store).forget_questions(receipts.contains_code) == 1  # as the bot does at start-up
        await store.wipe()
        tables = {r["name"] for r in await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "user_settings" not in tables and "key_check" in tables
        assert [r["updated_on"] for r in await store.fetchall("SELECT updated_on FROM tip_drafts")] == ["2026-12-01"]
        assert [r["asked_at"] for r in await store.fetchall("SELECT asked_at FROM questions")] == ["2026-12-01"]
        assert len(await store.fetchall("SELECT * FROM votes")) == 1
        [notice] = await store.fetchall("SELECT * FROM outbox")
        assert notice["created_on"] == "2026-12-01" and "sent_at" not in dict(notice)
        audit = [dict(r) for r in await store.fetchall("SELECT * FROM audit")]
        assert [a["action"] for a in audit] == ["tips.note", "tips.ask", "unanswered.dismiss"]
        assert all(a["after"] is None for a in audit)
    finally:
        await store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("netra.sqlite3*"))
    for gone in (
        b"8d51785299bf6a494e35ee92db405deb",
        b"19:22:17",
        b"8123456789",
        b"pelapor mungkin",
        b"AQ8D2",
        b"saksi lainnya",
    ):
        assert gone not in raw  # zeroed by secure_delete, and the WAL truncated


def test_receipt_codes_are_recognised_in_every_spelling_the_bot_accepts_and_questions_are_not():
    code = "J57HN-8GD2G-BDS4V-MSAPM"
    for typed in (
        f"kode saya {code} gimana statusnya?",
        "kode saya J57HN - 8GD2G - BDS4V - MSAPM gimana?",
        "J57HN.8GD2G.BDS4V.MSAPM",
        "j57hn_8gd2g  bds4v\nmsapm",
        "kode J57HN-8GD2G-BDS4V itu benar?",  # most of a code
    ):
        assert receipts.contains_code(typed), typed
        assert receipts.normalise(typed) in (None, code)
    texts = []  # every question, phrasing and answer the project holds: none may look like a code

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    from tests.conftest import ROOT

    for path in [
        ROOT / "tests" / "data" / "heldout-questions.yaml",
        *sorted((ROOT / "knowledge" / "rules").glob("*.yaml")),
    ]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert len(texts) > 2000 and not [t for t in texts if receipts.contains_code(t)]


async def test_evidence_files_of_an_older_version_move_into_the_database(tmp_path):
    data_dir = tmp_path / "data"
    keys = load_keys(data_dir, data_dir / "netra.sqlite3", None)
    (data_dir / "evidence").mkdir()
    (data_dir / "evidence" / "ab12").write_bytes(keys.vault.seal(b"foto lama", "evidence-file"))
    async with running_bot(data_dir) as env:
        files = env.app.bot_data["services"].tips.files
        assert await files.names() == {"ab12"} and await files.read("ab12") == b"foto lama"
    assert not (data_dir / "evidence").exists()


@pg.SQLITE_ONLY
async def test_a_draft_opened_before_the_upgrade_is_resumed_and_the_old_secret_then_goes(tmp_path):
    import hashlib
    import hmac
    import os

    from bot.tips.model import Draft

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    master, _ = load_master(data_dir, None)
    old_secret = os.urandom(32)
    (data_dir / "identity.key").write_text(old_secret.hex())
    old_key = hmac.new(old_secret, b"7010", hashlib.sha256).hexdigest()[:32]
    draft = Draft(step="who", category="media-sosial", election="pilkada")
    db = old_database(data_dir / "netra.sqlite3")
    db.execute(
        "INSERT INTO tip_drafts VALUES (?, '2026-12-01T10:00:00+00:00', ?)",
        (old_key, Vault(master).seal_json(draft.to_dict(), "draft")),
    )
    db.commit()
    db.close()
    async with running_bot(data_dir) as env:
        chat = Chat(env.fake, 7010)
        [province] = await chat.say("Kepala Bidang Dinas Pendidikan Kab. Contoh")  # the form goes on
        assert "provinsi" in province.text.lower()
        assert (data_dir / "identity.key").exists()  # needed while that draft is open
        [confirm] = await chat.say("/batal")
        await chat.press(confirm, callbacks.TipButton("discard"))
        env.app.bot_data["services"].drafts.retire_legacy()  # as the hourly sweep does
        assert not (data_dir / "identity.key").exists()
    assert await questions(data_dir) == []  # the answer was never taken for a question


async def test_a_wipe_blocked_by_another_readers_transaction_holds_no_writer_and_is_retried(store):
    questions = QuestionStore(store)
    await questions.record_question("sebelum", "none", None, 0.0, "id")
    other = sqlite3.connect(store.path, isolation_level=None)  # an operator's sqlite3 shell, mid-query
    other.execute("BEGIN")
    other.execute("SELECT COUNT(*) FROM questions").fetchone()
    await questions.record_question("sesudah", "none", None, 0.0, "id")  # a frame the reader's snapshot predates
    try:
        wipe = asyncio.create_task(store.wipe())
        started = asyncio.get_running_loop().time()
        await questions.record_question("di tengah", "none", None, 0.0, "id")  # not held up by the retries
        assert asyncio.get_running_loop().time() - started < 0.5
        assert await wipe is False and store.wipe_pending
    finally:
        other.execute("COMMIT")
        other.close()
    assert await store.wipe() and not store.wipe_pending
    assert (store.path.parent / "netra.sqlite3-wal").stat().st_size == 0


async def test_a_status_session_is_forgotten_once_it_expires(tmp_path, monkeypatch):
    from bot.tg.handlers.tips import status

    async with running_bot(tmp_path / "data") as env:
        s = env.app.bot_data["services"]
        chat = Chat(env.fake, 7020)
        code = await send_and_confirm(chat, await fill_report(chat, evidence=False))
        monkeypatch.setattr(status, "SESSION_SECONDS", 0.05)
        await chat.say(f"/status {code}")
        assert (await s.status_sessions.get(7020))["report_id"]
        await asyncio.sleep(0.1)
        assert await s.status_sessions.get(7020) is None  # memory keeps no user -> report link
        assert not await s.ephemeral.scan("status:")
