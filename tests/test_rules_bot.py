"""Editors keep the rules current from Telegram, through the fake Bot API: the role checks, an edit that
changes the next user's answer, refusals, rollback, retiring, a new rule, and `kb export`/`kb import`
while the bot runs."""

from __future__ import annotations

import asyncio
import re

import pytest
import yaml

from bot.cli import main as cli_main
from bot.qa.kb_files import dump_rules
from bot.tg import callbacks
from bot.tg.callbacks import RulesButton
from tests.botenv import running_bot
from tests.chat import Chat, button_of, buttons, typed

OWNER, REVIEWER, EDITOR, STRANGER, USER = 9001, 9002, 9003, 9004, 6301
RULE = "kampanye-hadir-pasif"
QUESTION = "pns boleh datang ke kampanye cuma nonton tanpa atribut?"
NEW_ANSWER = "Bersyarat, menurut teks uji yang baru: hadir pasif tetap berisiko."


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER}), knowledge_poll=0.1) as e:
        owner = Chat(e.fake, OWNER)
        await owner.say(f"/grant {EDITOR} editor")
        await owner.say(f"/grant {REVIEWER} reviewer")
        yield e


async def open_rule(editor: Chat, rule_id: str = RULE):
    [view] = await editor.say(f"/rules {rule_id}")
    assert f"<code>{rule_id}</code>" in view.html
    return view


async def edit_field(editor: Chat, field: str, text: str, rule_id: str = RULE):
    view = await open_rule(editor, rule_id)
    await editor.press(view, RulesButton("e", rule_id, field))
    return await editor.say(text)


async def save(editor: Chat, preview, note: str | None = None):
    [ask_note] = await editor.press(preview, RulesButton("s"))
    if note is None:
        [saved] = await editor.press(ask_note, RulesButton("n"))
    else:
        [saved] = await editor.say(note)
    return saved


async def test_rule_commands_for_each_role(env):
    owner, editor, reviewer, stranger = (Chat(env.fake, i) for i in (OWNER, EDITOR, REVIEWER, STRANGER))
    [unknown] = await stranger.say("/perintahngawur")
    for chat in (reviewer, stranger):
        for command in ("/rules", f"/rules {RULE}", f"/history {RULE}", f"/rollback {RULE} 1"):
            [refused] = await chat.say(command)
            if chat is stranger:
                assert refused.text == unknown.text, command
            else:  # staff are told which role the command needs
                assert "perlu peran editor" in refused.text, command
    for chat in (owner, editor):
        [topics] = await chat.say("/rules")
        active = len(env.app.bot_data["services"].engine.kb.rules)
        assert "Aturan per topik" in topics.text and f"{active} aktif" in topics.text
        [topic] = await chat.press(topics, RulesButton("t", "kampanye"))
        assert RULE in topic.text
        [view] = await chat.press(topic, RulesButton("o", RULE))
        assert "revisi 1" in view.text and "Dasar hukum" in view.text
        [history] = await chat.say(f"/history {RULE}")
        assert "r1" in history.text and "dibuat" in history.text
    [unknown_rule] = await editor.say("/rules aturan-tidak-ada")
    assert "Tidak ada aturan" in unknown_rule.text
    [help_] = await editor.say("/admin")
    assert "/rules" in help_.text and "/rollback" in help_.text
    view = await open_rule(editor)
    forged_buttons = (RulesButton("o", RULE), RulesButton("e", RULE, "answer"), RulesButton("s"),
                      RulesButton("v", RULE, "boleh"), RulesButton("t", "kampanye"))  # fmt: skip
    for forged in forged_buttons:
        assert "kedaluwarsa" in await stranger.press_for_alert(view, forged)
        assert "perlu peran editor" in await reviewer.press_for_alert(view, forged)
    s = env.app.bot_data["services"]
    assert [r.revision for r in await s.rules.history(RULE)] == [1]
    denied = [e for e in await s.admin.recent(100) if e.action == "denied"]
    assert {e.actor_id for e in denied} == {REVIEWER}  # staff by id; the stranger's attempts only counted
    assert sum(n for _day, permission, n in await s.admin.denied_counts() if permission == "rules") >= 5


async def test_an_edit_changes_the_answer_the_next_user_gets(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    [before] = await user.say(QUESTION)
    assert NEW_ANSWER not in before.text
    [preview] = await edit_field(editor, "short", NEW_ANSWER)  # the answer's first screen
    assert "Pratinjau" in preview.text and NEW_ANSWER in preview.text
    assert "Terjemahan Inggris" in preview.text  # the English text was not changed with it
    [not_yet] = await user.say(QUESTION)
    assert NEW_ANSWER not in not_yet.text  # nothing is saved before 💾
    saved = await save(editor, preview, note="menyesuaikan tafsir terbaru")
    assert "revisi 2" in saved.text
    [after] = await user.say(QUESTION)
    assert NEW_ANSWER in after.text
    [history] = await editor.say(f"/history {RULE}")
    assert "r2" in history.text and "jawaban" in history.text and "menyesuaikan tafsir terbaru" in history.text
    [audit] = await Chat(env.fake, OWNER).say("/audit")
    assert "rule.edit" in audit.text and RULE in audit.text


async def test_a_bad_edit_is_refused_with_the_reason_and_nothing_saved(env):
    editor = Chat(env.fake, EDITOR)
    [refused] = await edit_field(editor, "questions", "satu saja\ndua")
    assert "Tidak disimpan" in refused.text and "questions: perlu sedikitnya 5" in refused.text
    assert "related" not in refused.text  # links to the rule are not reported as a second problem
    [bad_basis] = await edit_field(editor, "basis", "pp-94-2021 tanpa pemisah")
    assert "sumber | pasal | kutipan" in bad_basis.text
    [unknown_source] = await editor.say("uu-99-2099 | Pasal 1 | kutipan")
    assert "sumber tidak dikenal" in unknown_source.text
    [cancelled] = await editor.say("/batal")
    assert "Dibatalkan" in cancelled.text
    s = env.app.bot_data["services"]
    assert [r.revision for r in await s.rules.history(RULE)] == [1]


async def test_verdict_and_basis_edits(env):
    editor = Chat(env.fake, EDITOR)
    view = await open_rule(editor)
    [prompt] = await editor.press(view, RulesButton("e", RULE, "verdict"))
    [preview] = await editor.press(prompt, RulesButton("v", RULE, "boleh"))
    assert "✅ BOLEH" in preview.text
    await save(editor, preview)
    s = env.app.bot_data["services"]
    assert s.engine.kb.rules[RULE].verdict == "boleh"
    view = await open_rule(editor)
    [prompt] = await editor.press(view, RulesButton("e", RULE, "basis"))
    current = prompt.text.split("Sekarang:")[1].split("Satu dasar")[0].strip()
    [preview] = await editor.say(current + "\npp-42-2004 | Pasal 11 | kutipan yang belum dicek")
    assert "elum dicocokkan" in preview.text and "1 dasar hukum baru" in preview.text
    await save(editor, preview)
    basis = s.engine.kb.rules[RULE].basis
    assert basis[-1].verified is False and all(b.verified for b in basis[:2])


async def test_rollback_restores_a_revision(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    [preview] = await edit_field(editor, "short", NEW_ANSWER)
    await save(editor, preview)
    [usage] = await editor.say(f"/rollback {RULE}")
    assert "/rollback" in usage.text
    [missing] = await editor.say(f"/rollback {RULE} 9")
    assert "tidak punya revisi 9" in missing.text
    [unknown] = await editor.say("/rollback aturan-tidak-ada 1")
    assert "Tidak ada aturan" in unknown.text
    [shown] = await editor.say(f"/rollback {RULE} 1")  # a preview first: nothing is saved yet
    assert "Pratinjau rollback" in shown.text and "jawaban singkat" in shown.text and NEW_ANSWER not in shown.text
    [before] = await user.say(QUESTION)
    assert NEW_ANSWER in before.text
    [done] = await editor.press(shown, RulesButton("k", RULE, "1"))
    assert "revisi 1" in done.text and "revisi 3" in done.text
    [answer] = await user.say(QUESTION)
    assert NEW_ANSWER not in answer.text and "BERSYARAT" in answer.text
    [again] = await editor.say(f"/rollback {RULE} 1")
    assert "Tidak ada yang berubah" in again.text


async def test_retire_and_restore(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    view = await open_rule(editor)
    [preview] = await editor.press(view, RulesButton("e", RULE, "retire"))
    assert "dipensiunkan" in preview.text
    [hint] = await editor.say("pensiunkan saja")  # text while a retirement waits for 💾
    assert "Simpan" in hint.text
    await save(editor, preview, note="contoh pensiun")
    [answer] = await user.say(QUESTION)
    assert RULE not in str(buttons(answer)) and "Hadir di kampanye hanya untuk mendengarkan" not in answer.text
    view = await open_rule(editor)
    assert "Dipensiunkan" in view.text
    [preview] = await editor.press(view, RulesButton("e", RULE, "restore"))
    await save(editor, preview)
    [answer] = await user.say(QUESTION)
    assert "Hadir di kampanye hanya untuk mendengarkan" in answer.text


async def test_a_new_rule_written_from_the_template(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    [topics] = await editor.say("/rules")
    [topic] = await editor.press(topics, RulesButton("t", "kampanye"))
    [template] = await editor.press(topic, RulesButton("a", "kampanye"))
    text = template.text.split("kirim kembali sebagai satu pesan.")[1]
    assert "id: kampanye-contoh-singkat" in text
    item = {
        "id": "kampanye-jadi-juru-foto", "verdict": "dilarang",
        "title": "Menjadi juru foto resmi tim kampanye calon",
        "questions": ["pns jadi fotografer kampanye caleg", "asn motret acara kampanye paslon untuk tim",
                      "boleh gak pns jadi juru foto tim sukses", "pns dibayar foto kampanye capres",
                      "dokumentasi kampanye oleh pegawai negeri"],
        "answer": "Dilarang. Menjadi juru foto tim kampanye berarti ikut sebagai pelaksana kampanye.",
        "basis": [{"source": "pp-94-2021", "article": "Pasal 5 huruf n angka 1", "quote": "ikut kampanye"}],
        "sanction": "Lihat PP 94/2021 tentang hukuman disiplin.",
        "en": {"title": "Being a campaign's photographer", "answer": "Not allowed.",
               "questions": ["can a civil servant photograph a campaign", "civil servant campaign photographer"]},
    }  # fmt: skip
    [duplicate] = await editor.say(yaml.safe_dump({**item, "id": RULE}, allow_unicode=True))
    assert "sudah dipakai" in duplicate.text
    [preview] = await editor.say(yaml.safe_dump(item, allow_unicode=True))
    assert "aturan baru" in preview.text and "Menjadi juru foto tim kampanye" in preview.text
    saved = await save(editor, preview)
    assert "revisi 1" in saved.text
    [answer] = await user.say("boleh gak pns jadi juru foto tim sukses")
    assert "Menjadi juru foto tim kampanye" in answer.text  # no short answer yet: the answer is the card
    [basis] = await user.press(answer, callbacks.Detail, part="b")
    assert "Belum dicocokkan dengan teks resmi: PP 94/2021" in basis.text  # an editor's quote is unchecked


async def test_export_edit_import_round_trip_while_the_bot_runs(env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(env.data_dir))
    if url := env.app.bot_data["services"].store.url:
        monkeypatch.setenv("DATABASE_URL", url)
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    [preview] = await edit_field(editor, "title", "Judul dari Telegram")
    await save(editor, preview)
    out = tmp_path / "export"
    assert await asyncio.to_thread(cli_main, ["kb", "export", str(out)]) == 0
    path = out / "rules" / "kampanye.yaml"
    data = yaml.safe_load(path.read_text())
    [rule] = [r for r in data["rules"] if r["id"] == RULE]
    assert rule["title"] == "Judul dari Telegram"  # the export has the edit
    assert await asyncio.to_thread(cli_main, ["kb", "validate"]) == 0

    rule["short"] = NEW_ANSWER
    broken = dump_rules([*data["rules"], {**rule, "id": "rusak", "verdict": "entahlah"}])
    path.write_text(broken)
    assert await asyncio.to_thread(cli_main, ["kb", "import", str(out)]) == 1
    assert "nothing changed" in capsys.readouterr().err
    [answer] = await user.say(QUESTION)
    assert NEW_ANSWER not in answer.text

    path.write_text(dump_rules(data["rules"]))
    assert await asyncio.to_thread(cli_main, ["kb", "import", str(out), "--note", "dari git"]) == 0
    assert f"1 changed ['{RULE}']" in capsys.readouterr().out
    s = env.app.bot_data["services"]
    await env.fake.wait_for(lambda: s.engine.kb.rules[RULE].short == NEW_ANSWER, timeout=5)
    [answer] = await user.say(QUESTION)
    assert NEW_ANSWER in answer.text
    [history] = await editor.say(f"/history {RULE}")
    assert "kb import" in history.text and "dari git" in history.text


async def test_unanswered_question_attached_to_any_rule(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    await user.say("pns boleh jadi juri lomba mewarnai capres")
    [listing] = await editor.say("/unanswered")
    [topics] = await editor.press(listing, callbacks.UnansweredButton, action="t")
    assert "pns boleh jadi juri lomba mewarnai capres" in topics.text
    [rules] = await editor.press(topics, callbacks.UnansweredButton, action="p")
    target = button_of(rules, callbacks.UnansweredButton, action="c").arg
    [confirmation] = await editor.press(rules, callbacks.UnansweredButton, action="c")
    [done] = await editor.press(confirmation, callbacks.UnansweredButton, action="a")
    assert "pns boleh jadi juri lomba mewarnai capres" not in done.text
    s = env.app.bot_data["services"]
    assert s.engine.matcher.match("pns boleh jadi juri lomba mewarnai capres").candidates[0].rule.id == target
    assert (await s.rules.current(target)).revision == 2


async def test_rule_screen_buttons(env):
    editor = Chat(env.fake, EDITOR)
    view = await open_rule(editor)
    [answer] = await editor.press(view, RulesButton("p", RULE))
    assert "Hadir di kampanye hanya untuk mendengarkan" in answer.text and "Apakah jawaban" not in answer.text
    [history] = await editor.press(view, RulesButton("h", RULE))
    assert "Riwayat" in history.text and "r1" in history.text
    [topic] = await editor.press(view, RulesButton("t", "kampanye"))
    [topics] = await editor.press(topic, RulesButton("T"))
    assert "Aturan per topik" in topics.text
    [view] = await editor.press(answer, RulesButton("o", RULE))
    [prompt] = await editor.press(view, RulesButton("e", RULE, "answer"))
    assert "Ubah Jawaban" in prompt.text and "Sekarang:" in prompt.text
    [cancelled] = await editor.press(prompt, RulesButton("x"))
    assert "Dibatalkan" in cancelled.text
    [question] = await editor.say(QUESTION)  # after cancelling, text is a question again
    assert "Hadir di kampanye hanya untuk mendengarkan" in question.text
    assert "kedaluwarsa" in await editor.press_for_alert(prompt, RulesButton("s"))  # an old button of a closed edit


async def test_an_edit_that_overflows_the_first_screen_is_warned_about(env):
    editor = Chat(env.fake, EDITOR)
    [preview] = await edit_field(editor, "short", "Bersyarat, sangat panjang. " * 30)
    assert "Layar pertama jawaban ini (id)" in preview.text and "lebih dari 700" in preview.text


async def test_unanswered_suggests_the_picked_rule_pages_keeps_numbers_and_takes_a_tidied_phrasing(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    [choices] = await user.say("pns caleg")  # a "did you mean" list
    opened = button_of(choices, callbacks.OpenRule)
    [answer] = await user.press(choices, opened)
    title = env.app.bot_data["services"].engine.kb.rules[opened.rule_id].title
    [listing] = await editor.say("/unanswered")
    assert f"dipilih pengguna dari daftar: {title}" in listing.text
    assert button_of(listing, callbacks.UnansweredButton, action="c").arg == opened.rule_id  # suggested first
    assert opened.rule_id not in listing.text  # titles, not ids

    user.tap(answer, button_of(answer, callbacks.Vote, sign="+"))  # 👍: the user's question found its answer
    assert (await user.wait_answers(2))[-1].params.get("text") == "Terima kasih atas masukan Anda."
    [listing] = await editor.say("/unanswered")
    assert "pns caleg" not in listing.text.lower()

    words = ("gelombang laut", "resep rendang", "harga cabai", "jadwal kereta", "cuaca besok", "skor bola", "kurs yen")
    for w in words:
        await user.say(f"{w} hari ini berapa ya kak")
    [listing] = await editor.say("/unanswered")
    assert "7 kelompok, 7 pertanyaan · halaman 1/2" in listing.text
    [page2] = await editor.press(listing, callbacks.UnansweredButton, action="l")
    assert "halaman 2/2" in page2.text and len(typed(page2, callbacks.UnansweredButton, action="x")) == 2
    [back] = await editor.press(page2, callbacks.UnansweredButton, action="l")
    first, second = typed(back, callbacks.UnansweredButton, action="x")[:2]
    number = re.findall(r"#(\d+) “", back.text)[1]
    [after] = await editor.press(back, first)
    assert f"#{number} “" in after.text and "6 kelompok" in after.text  # the other items keep their number

    [topics] = await editor.press(after, callbacks.UnansweredButton("t", second.question_id))
    [rules] = await editor.press(topics, callbacks.UnansweredButton("p", second.question_id, "kampanye"))
    [confirmation] = await editor.press(rules, callbacks.UnansweredButton("c", second.question_id, RULE))
    [prompt] = await editor.press(confirmation, callbacks.UnansweredButton, action="e")
    assert prompt.params["reply_markup"]["force_reply"] is True
    [taught] = await editor.say("pns boleh nonton kampanye tanpa atribut", reply_to=prompt.result)
    assert "Diajarkan ke" in taught.text
    s = env.app.bot_data["services"]
    rule = (await s.rules.current(RULE)).item
    assert "pns boleh nonton kampanye tanpa atribut" in rule["questions"]
    [listing] = await editor.say("/unanswered")
    assert "5 kelompok" in listing.text


async def test_a_thumbs_up_on_the_rule_picked_after_a_thumbs_down_is_thanked_and_resolves_the_question(env):
    user, editor = Chat(env.fake, USER), Chat(env.fake, EDITOR)
    [answer] = await user.say(QUESTION)
    [others] = await user.press(answer, callbacks.Vote, sign="-")
    picked = typed(others, callbacks.OpenRule)[0]
    [opened] = await user.press(others, picked)
    user.tap(opened, button_of(opened, callbacks.Vote, sign="+"))
    assert (await user.wait_answers(3))[-1].params.get("text") == "Terima kasih atas masukan Anda."
    [listing] = await editor.say("/unanswered")
    assert "Tidak ada" in listing.text
