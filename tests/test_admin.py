"""Admins through the fake Bot API: roles checked on every command and button, tips handled by reviewers,
the audit trail, and the CSV/JSON export."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from bot.cli import main as cli_main
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat, button_of
from tests.tipchat import DESCRIPTION, fill_report, jpeg_with_gps

OWNER, REVIEWER, EDITOR, STRANGER = 9001, 9002, 9003, 9004


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as e:
        yield e


async def submit_report(env) -> tuple[Chat, str]:
    reporter = Chat(env.fake, 6001)
    review = await fill_report(reporter)
    [evidence] = await reporter.press(review, callbacks.TipButton("edit", "evidence"))
    [ack] = await reporter.send_photo(jpeg_with_gps())
    [review] = await reporter.press(ack, callbacks.TipButton, action="done")
    [receipt] = await reporter.press(review, callbacks.TipButton("send"))
    await reporter.press(receipt, callbacks.TipButton("saved"))
    del evidence
    return reporter, next(line for line in receipt.text.splitlines() if line.count("-") == 3)


async def test_roles_are_granted_by_owners_only_and_everything_is_audited(env):
    owner, stranger = Chat(env.fake, OWNER), Chat(env.fake, STRANGER)
    [refused] = await stranger.say(f"/grant {STRANGER} reviewer")
    [unknown] = await stranger.say("/perintahngawur")
    assert refused.text == unknown.text  # the same reply as for a command that does not exist
    [granted] = await owner.say(f"/grant {REVIEWER} reviewer")
    assert "diberikan" in granted.text
    await owner.say(f"/grant {EDITOR} editor")
    [again] = await owner.say(f"/grant {EDITOR} editor")
    assert "Tidak ada yang berubah" in again.text
    [usage] = await owner.say("/grant 12 superuser")
    assert "/grant" in usage.text
    [admins] = await owner.say("/admins")
    assert str(REVIEWER) in admins.text and "editor" in admins.text
    reviewer = Chat(env.fake, REVIEWER)
    [help_] = await reviewer.say("/admin")
    assert "/tips" in help_.text and "/grant" not in help_.text
    [reviewer_audit] = await reviewer.say("/audit")  # staff are told the role it needs; strangers learn nothing
    assert "perlu peran owner" in reviewer_audit.text and "reviewer" in reviewer_audit.text
    await owner.say(f"/revoke {EDITOR} editor")
    [audit] = await owner.say("/audit")
    for expected in ("denied", "grant", "revoke"):  # the reviewer's refused /audit: staff, audited by id
        assert expected in audit.text
    # a stranger's attempts are only counted: a curious reporter is never named next to a time
    assert str(STRANGER) not in audit.text and "bukan staf" in audit.text and "roles · 1×" in audit.text
    roles = env.app.bot_data["services"].admin
    assert await roles.roles(EDITOR) == set() and await roles.roles(REVIEWER) == {"reviewer"}


async def test_reviewer_handles_a_tip_and_the_reporter_sees_it(env):
    reporter, code = await submit_report(env)
    owner = Chat(env.fake, OWNER)
    await owner.say(f"/grant {REVIEWER} reviewer")
    await owner.say(f"/grant {EDITOR} editor")
    reviewer, editor, stranger = Chat(env.fake, REVIEWER), Chat(env.fake, EDITOR), Chat(env.fake, STRANGER)

    [listing] = await reviewer.say("/tips")
    assert "LPR-" in listing.text and "1 laporan" in listing.text
    [opened] = await reviewer.press(listing, callbacks.ReviewButton, action="o")
    assert DESCRIPTION[:40] in opened.text and "Kab. Sleman" in opened.text and "instagram.com" in opened.text
    [photo] = await reviewer.wait_sent("sendPhoto")
    assert b"Exif" not in photo.params["photo"]["content"][:200] and photo.params["photo"]["content"][:2] == b"\xff\xd8"
    assert not env.fake.sent(method="forwardMessage")

    [editor_reply] = await editor.say("/tips")
    assert "perlu peran reviewer" in editor_reply.text
    forged = await stranger.press_for_alert(listing, button_of(listing, callbacks.ReviewButton, action="o"))
    assert "kedaluwarsa" in forged
    assert not stranger.sent("sendPhoto") and not [c for c in stranger.messages if DESCRIPTION[:20] in (c.text or "")]

    public_no = next(w for w in listing.text.split() if w.startswith("LPR-"))
    await reviewer.say(f"/ubahstatus {public_no} diverifikasi Sedang ditelusuri Bawaslu Kab. Sleman")
    await reviewer.say(f"/catatan {public_no} kemungkinan terkait laporan lain")
    await reviewer.say(f"/tanyapelapor {public_no} Jam berapa kejadiannya?")
    [bad] = await reviewer.say("/ubahstatus LPR-1999-000001 selesai")
    assert "tidak ada" in bad.text
    [status] = await reporter.say(f"/status {code}")
    assert "Diverifikasi" in status.text and "ditelusuri Bawaslu" in status.text and "Jam berapa" in status.text
    assert "laporan lain" not in status.text

    [opened] = await reviewer.press(opened, callbacks.ReviewButton, action="s")  # a status button under the report
    assert "🔒" in opened.text and "laporan lain" in opened.text
    [confirm] = await reviewer.press(opened, callbacks.ReviewButton, action="s", b="selesai")  # closing asks first
    assert "Tutup laporan ini" in confirm.text
    [status] = await reporter.say(f"/status {code}")
    assert "Selesai" not in status.text.split("Riwayat")[0]
    [closed] = await reviewer.press(confirm, callbacks.ReviewButton, action="S")
    [status] = await reporter.say(f"/status {code}")
    assert "Selesai" in status.text.split("Riwayat")[0] and "🔒" in closed.text

    reviewer.send("/export")  # answered with a document, not a message
    [document] = await reviewer.wait_sent("sendDocument")
    rows = list(csv.DictReader(io.StringIO(document.params["document"]["content"].decode("utf-8-sig"))))
    assert rows[0]["public_no"] == public_no and rows[0]["description"] == DESCRIPTION
    assert "instagram.com" in rows[0]["links"] and "Jam berapa" in rows[0]["history"]
    audit = [e.action for e in await env.app.bot_data["services"].admin.recent(50)]
    assert {"tips.open", "tips.status", "tips.note", "tips.ask", "tips.export", "denied"} <= set(audit)


async def test_tips_export_command_line(tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    async with running_bot(data_dir) as env:
        await submit_report(env)
        url = env.app.bot_data["services"].store.url
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "laporan.json"
    assert await asyncio.to_thread(cli_main, ["tips", "export", str(out)]) == 0  # it runs its own event loop
    [row] = json.loads(out.read_text())
    assert row["description"] == DESCRIPTION and row["status"] == "baru" and row["province"] == "34"
    assert "1 report(s)" in capsys.readouterr().out
    assert await asyncio.to_thread(cli_main, ["tips", "export", str(tmp_path / "x.csv"), "--status", "selesai"]) == 0
    assert (tmp_path / "x.csv").read_text(encoding="utf-8-sig").strip() == "public_no"


async def test_unanswered_questions_are_grouped_and_taught_to_a_rule(env):
    owner, editor, stranger, user = (Chat(env.fake, i) for i in (OWNER, EDITOR, STRANGER, 6101))
    await owner.say(f"/grant {EDITOR} editor")
    [choices] = await user.say("pns caleg")
    assert "Maksud Anda" in choices.text or "maksud" in choices.text.lower()
    await user.say("PNS caleg?")
    await user.say("cara daftar CPNS")
    [listing] = await editor.say("/unanswered")
    assert "“pns caleg”" in listing.text.lower() or "pns caleg" in listing.text.lower()
    assert "2×" in listing.text and "cara daftar CPNS" in listing.text
    confirm = button_of(listing, callbacks.UnansweredButton, action="c")  # the largest group comes first
    forged = await stranger.press_for_alert(listing, confirm)
    assert "kedaluwarsa" in forged
    rule_id = confirm.arg
    [confirmation] = await editor.press(listing, confirm)
    assert "Ajarkan kalimat ini ke" in confirmation.text and "pns caleg" in confirmation.text.lower()
    [refreshed] = await editor.press(confirmation, callbacks.UnansweredButton, action="a")
    assert "pns caleg" not in refreshed.text.lower() and "cara daftar CPNS" in refreshed.text
    [answer] = await user.say("pns caleg")
    s = env.app.bot_data["services"]
    assert s.engine.matcher.match("pns caleg").status == "answer"
    assert s.engine.matcher.match("pns caleg").candidates[0].rule.id == rule_id
    assert "Apakah jawaban ini membantu" in answer.text
    [emptied] = await editor.press(refreshed, callbacks.UnansweredButton, action="x")
    assert "Tidak ada" in emptied.text
    actions = [e.action for e in await s.admin.recent(50)]
    assert "unanswered.attach" in actions and "unanswered.dismiss" in actions
    assert await s.admin.denied_counts()  # a stranger's refusal, counted without an id


async def test_stats_as_text_and_chart(env):
    await submit_report(env)
    user, owner, stranger = Chat(env.fake, 6201), Chat(env.fake, OWNER), Chat(env.fake, STRANGER)
    [answer] = await user.say("boleh gak pns like postingan caleg?")
    await user.press(answer, callbacks.Vote, sign="-")  # 👎: the other candidates come below the answer
    await user.say("cara daftar CPNS")
    [text] = await owner.say("/stats 7")
    assert "Pertanyaan:</b> 2" in text.html and "terjawab langsung 50%" in text.text
    assert "dengan keyakinan rendah" in text.text  # answers under 85% probability, counted apart
    assert "Paling sering tidak terjawab" in text.text and "cara daftar cpns" in text.text
    assert "Laporan:</b> 1" in text.html and "Baru: 1" in text.text and "Media sosial 1" in text.text
    assert "DI Yogyakarta 1" in text.text and "/0" not in text.text.split("Penilaian")[0]
    [chart] = await owner.wait_sent("sendPhoto")
    assert chart.params["photo"]["content"][:8] == b"\x89PNG\r\n\x1a\n"
    [usage] = await owner.say("/stats kemarin")
    assert "/stats" in usage.text
    [refused] = await stranger.say("/stats")
    assert "tidak saya kenal" in refused.text


async def test_staff_see_their_commands_in_their_own_menu_and_nobody_else_does(env):
    def menus(method: str, chat_id: int) -> list[list[str]]:
        found = []
        for call in env.fake.sent(method=method):
            scope = call.params.get("scope")
            scope = json.loads(scope) if isinstance(scope, str) else scope
            if scope and scope.get("chat_id") in (chat_id, str(chat_id)):
                commands = call.params.get("commands", "[]")
                commands = json.loads(commands) if isinstance(commands, str) else commands
                found.append([c["command"] for c in commands])
        return found

    [owner_menu] = menus("setMyCommands", OWNER)  # set at start-up
    assert {"tips", "rules", "grant", "audit", "lapor"} <= set(owner_menu)
    public = [c for c in env.fake.sent(method="setMyCommands") if not c.params.get("scope")]
    assert public and all("tips" not in str(c.params["commands"]) for c in public)
    owner = Chat(env.fake, OWNER)
    await owner.say(f"/grant {REVIEWER} reviewer")
    [reviewer_menu] = menus("setMyCommands", REVIEWER)
    assert "tips" in reviewer_menu and "rules" not in reviewer_menu and "grant" not in reviewer_menu
    await owner.say(f"/revoke {REVIEWER} reviewer")
    assert menus("deleteMyCommands", REVIEWER)  # back to the public menu


async def test_low_confidence_answers_are_counted_apart(tmp_path):
    from bot.storage.database import Database
    from bot.storage.questions import QuestionStore

    store = Database(tmp_path / "netra.sqlite3")
    await store.open()
    questions = QuestionStore(store)
    await questions.record_question("yakin", "answer", "medsos-like-unggahan", 0.97, "id")
    await questions.record_question("ragu", "answer", "kampanye-hadir-pasif", 0.76, "id")
    await questions.record_question("ragu", "answer", "kampanye-hadir-pasif", 0.80, "id")
    await questions.record_question("daftar", "ambiguous", "kampanye-hadir-pasif", 0.5, "id")
    count, top = await questions.low_confidence("2000-01-01", 0.85)
    await store.close()
    assert count == 2 and top == [("ragu", "kampanye-hadir-pasif", 2)]
