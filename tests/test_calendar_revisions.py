"""The election calendar kept like the rules: knowledge/calendar.yaml seeds the database, an editor downloads
and uploads calendar.yaml in Telegram (/calendar), `kb export` and `kb import` do the same on the server, every
calendar is checked whole before it is saved, and the bot serves the newest revision."""

from __future__ import annotations

from datetime import date

from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat
from tests.conftest import KNOWLEDGE
from tests.test_calendar import on_day

OWNER, REVIEWER = 9301, 9302
SHIPPED = (KNOWLEDGE / "calendar.yaml").read_text(encoding="utf-8")
# a test election only: a re-run in DI Yogyakarta in 2031 (nothing like it is shipped)
RERUN = (
    SHIPPED.rstrip("\n")
    + """
  - id: pilkada-ulang-uji
    kind: pilkada
    name: Pemilihan ulang uji
    en: a test re-run
    region: "34"
    source:
      title: Keputusan KPU uji
      checked: false
      reports: [https://example.org/uji]
    stages:
      - {kind: campaign, name: Kampanye uji, en: test campaign, start: 2031-03-01, end: 2031-03-20}
      - {kind: voting, name: Pemungutan suara uji, en: test vote, start: 2031-03-24, end: 2031-03-24}
"""
)


async def test_an_editor_sees_downloads_and_replaces_the_calendar_and_a_bad_one_is_refused(tmp_path, monkeypatch):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as env:
        owner = Chat(env.fake, OWNER)
        await owner.say(f"/grant {REVIEWER} reviewer")
        [view] = await owner.say("/calendar")
        assert "revisi 1 oleh knowledge/" in view.text and "Pemilu 2024" in view.text
        assert "Masa kampanye: 28 November 2023 – 10 Februari 2024" in view.text
        assert "dari pemberitaan, teksnya belum diperiksa" in view.text
        owner.tap(view, callbacks.CalendarButton("get"))
        [file] = await owner.wait_sent("sendDocument")
        assert file.params["document"]["content"].decode() == SHIPPED  # as it was written, comments and all

        [prompt] = await owner.press(view, callbacks.CalendarButton("put"))
        assert "calendar.yaml" in prompt.text
        broken = SHIPPED.replace("start: 2023-11-28", "start: 2023-13-28")
        [refused] = await owner.send_document(broken.encode(), "application/x-yaml", name="calendar.yaml")
        assert "ditolak" in refused.text and "month must be in 1..12" in refused.text
        unknown = SHIPPED.replace("kind: campaign", "kind: kampanye", 1)
        [refused] = await owner.send_document(unknown.encode(), "application/x-yaml", name="calendar.yaml")
        assert "kind must be one of registration" in refused.text
        [refused] = await owner.send_document(b"a: &x 1\nb: *x\n", "application/x-yaml", name="calendar.yaml")
        assert "ditolak" in refused.text and "anchors" in refused.text
        [same] = await owner.send_document(SHIPPED.encode(), "application/x-yaml", name="calendar.yaml")
        assert "tidak ada yang berubah" in same.text
        await owner.press(view, callbacks.CalendarButton("put"))  # the unchanged file ended that upload
        [saved] = await owner.send_document(RERUN.encode(), "application/x-yaml", name="calendar.yaml")
        assert "revisi 2" in saved.text and "3 pemilihan" in saved.text
        [question] = await owner.say("boleh gak pns like postingan caleg?")  # no longer taken as an upload
        assert "DILARANG" in question.text

        on_day(monkeypatch, date(2031, 3, 5))
        [start] = await Chat(env.fake, 9303).say("/start")
        assert "Kampanye uji, Pemilihan ulang uji" in start.text  # served at once
        [view] = await owner.say("/calendar")
        assert f"revisi 2 oleh {OWNER}" in view.text
        reviewer = Chat(env.fake, REVIEWER)
        [denied] = await reviewer.say("/calendar")
        assert "perlu peran" in denied.text
        actions = [e.action for e in await env.app.bot_data["services"].admin.recent(20)]
        assert "calendar.import" in actions


def test_kb_export_writes_the_calendar_and_kb_import_takes_it_or_refuses_everything(tmp_path, monkeypatch):
    from bot.cli import main

    data = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    out = tmp_path / "out"
    assert main(["kb", "export", str(out)]) == 0
    assert (out / "calendar.yaml").read_text(encoding="utf-8") == SHIPPED
    (out / "calendar.yaml").write_text(RERUN.replace("start: 2031-03-24", "start: 2031-02-30"), encoding="utf-8")
    rule = out / "rules" / "kampanye.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("Dilarang.", "Dilarang!", 1), encoding="utf-8")
    assert main(["kb", "import", str(out)]) == 1  # the calendar is refused: nothing is imported, rules neither
    (out / "calendar.yaml").write_text(RERUN, encoding="utf-8")
    assert main(["kb", "import", str(out)]) == 0
    again = tmp_path / "again"
    assert main(["kb", "export", str(again)]) == 0
    assert (again / "calendar.yaml").read_text(encoding="utf-8") == RERUN
    assert "Dilarang!" in (again / "rules" / "kampanye.yaml").read_text(encoding="utf-8")
