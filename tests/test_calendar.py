"""The election calendar (knowledge/calendar.yaml, bot/qa/calendar.py): the shipped 2024 schedules load with
their sources, a day is placed in its stage, and a bad or hostile file is refused with a line per problem."""

from __future__ import annotations

from datetime import date

import pytest

from bot.qa.calendar import load_calendar, read_calendar
from bot.tips.form import load_provinces
from tests.botenv import running_bot
from tests.chat import Chat, GroupChat
from tests.conftest import KNOWLEDGE

PROVINCES = set(load_provinces(KNOWLEDGE))


@pytest.fixture(scope="module")
def calendar():
    return load_calendar(KNOWLEDGE, PROVINCES)


def test_the_shipped_calendar_is_the_2024_pemilu_and_pilkada_with_their_sources(calendar):
    assert calendar.problems == ()
    assert [e.id for e in calendar.elections] == ["pemilu-2024", "pilkada-2024"]
    for election in calendar.elections:
        assert election.source.title.startswith("PKPU") and election.region is None
        assert not election.source.checked and election.source.reports  # read from reports, and says so
        assert [s.kind for s in election.stages if s.kind == "voting"] == ["voting"]
    assert max(e.end for e in calendar.elections) < date(2025, 1, 1)  # nothing made up for later elections


@pytest.mark.parametrize(
    ("day", "stages"),
    [
        ("2023-10-01", ["Pencalonan anggota DPR, DPRD provinsi dan DPRD kabupaten/kota"]),
        ("2024-01-15", ["Masa kampanye"]),
        ("2024-02-12", ["Masa tenang"]),
        ("2024-02-14", ["Pemungutan suara", "Penghitungan dan rekapitulasi suara"]),
        ("2024-09-22", ["Penetapan pasangan calon"]),
        ("2024-11-25", ["Masa tenang"]),
        ("2025-06-01", []),
        ("2026-12-02", []),
    ],
)
def test_a_day_falls_in_its_stages(calendar, day, stages):
    assert [s.name for _e, s in calendar.on(date.fromisoformat(day))] == stages


def test_bakal_calon_before_the_determination_calon_after_and_which_election_a_day_belongs_to(calendar):
    pemilu, pilkada = calendar.elections

    def passed(election, day):
        return [done for _stage, done in election.determinations(day)]

    assert passed(pemilu, date(2023, 10, 1)) == [False, False]  # someone seeking a nomination is a bakal calon
    assert passed(pemilu, date(2023, 11, 5)) == [True, False]  # the DPR lists are set, the tickets not yet
    assert passed(pemilu, date(2023, 11, 13)) == [True, True]
    assert passed(pilkada, date(2024, 9, 21)) == [False] and passed(pilkada, date(2024, 10, 1)) == [True]
    assert passed(pilkada, date(2026, 1, 1)) == []  # outside the election: nothing said
    assert calendar.election_of(date(2024, 1, 15)) is pemilu
    assert calendar.election_of(date(2024, 10, 1)) is pilkada
    assert calendar.election_of(date(2024, 6, 1)) is None  # between the two: the reporter says which
    assert [(e.id, s.kind) for e, s in calendar.starting(date(2024, 9, 25))] == [("pilkada-2024", "campaign")]


STAGE = {"kind": "voting", "name": "Pemungutan suara", "en": "voting day", "start": "2029-02-14", "end": "2029-02-14"}
SOURCE = {"title": "PKPU x/2027", "checked": True}


def election(**changes) -> dict:
    return {"id": "pemilu-2029", "kind": "pemilu", "name": "Pemilu 2029", "en": "the 2029 election",
            "source": SOURCE, "stages": [STAGE], **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (election(kind="referendum"), "kind must be one of pemilu, pilkada"),
        (election(id="Pemilu 2029"), "id must be lowercase"),
        (election(region="99"), "region 99 is not a province code"),
        (election(source={"title": "PKPU x/2027", "checked": False}), "needs the reports the dates come from"),
        (election(source={"title": "PKPU x/2027", "checked": False, "reports": ["http://x"]}), "https://"),
        (election(source={"checked": True}), "needs the title of the decision"),
        (election(stages=[{**STAGE, "start": "2029-02-30"}]), "start and end must be dates"),
        (election(stages=[{**STAGE, "end": "2029-02-01"}]), "ends before it starts"),
        (election(stages=[{**STAGE, "kind": "party"}]), "kind must be one of registration"),
        (election(stages=[{**STAGE, "kind": "campaign"}]), "has no voting stage"),
        (election(stages=[{**STAGE, "start": "2029-03-01", "end": "2029-03-01"}, STAGE]), "keep them in order"),
        (election(stages=[]), "needs its stages"),
        (election(notes="x"), "unknown field(s): notes"),
        ("a string", "must be a mapping"),
    ],
)
def test_a_bad_election_is_refused_with_its_problem(item, problem):
    result = read_calendar({"elections": [item]}, PROVINCES)
    assert result.elections == () and any(problem in p for p in result.problems), result.problems


def test_a_good_election_and_a_twice_used_id(tmp_path):
    assert len(read_calendar({"elections": [election()]}, PROVINCES).elections) == 1
    twice = read_calendar({"elections": [election(), election()]}, PROVINCES)
    assert len(twice.elections) == 1 and "used twice" in twice.problems[0]


@pytest.mark.parametrize(
    "text",
    ["elections: [&a {id: x}, *a]", "elections: {not: a list}", "elections: [", "- just a list", ""],
)
def test_hostile_or_broken_yaml_gets_a_one_line_problem(tmp_path, text):
    (tmp_path / "calendar.yaml").write_text(text)
    result = load_calendar(tmp_path, PROVINCES)
    assert result.elections == () and len(result.problems) == 1 and "\n" not in result.problems[0]


def test_no_file_is_no_calendar(tmp_path):
    assert load_calendar(tmp_path) == load_calendar(tmp_path)
    assert load_calendar(tmp_path).elections == () and load_calendar(tmp_path).problems == ()


# ---------------------------------------------------------------------- in the bot


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot:
        yield bot


def on_day(monkeypatch, day: date) -> None:
    """The bot's today (WIB) as it was on `day`: the 2024 schedules are past, and none is set for later."""
    from bot.tg import common
    from bot.tg.handlers.public import general

    for module in (common, general):
        monkeypatch.setattr(module, "today_wib", lambda: day)


async def test_today_no_stage_is_shown_on_start_nor_under_an_answer(env):
    [start] = await Chat(env.fake, 9101).say("/start")
    assert "📅" not in start.text
    [answer] = await Chat(env.fake, 9102).say("boleh gak pns like postingan caleg?")
    assert "DILARANG" in answer.text and "📅" not in answer.text


async def test_in_the_campaign_start_names_the_stage_and_the_like_answer_says_calon(env, monkeypatch):
    on_day(monkeypatch, date(2024, 1, 15))
    [start] = await Chat(env.fake, 9103).say("/start")
    assert "📅 Saat ini: Masa kampanye, Pemilu 2024 (28 November 2023 – 10 Februari 2024)." in start.text
    [answer] = await Chat(env.fake, 9104).say("boleh gak pns like postingan caleg?")
    assert "Hari ini tahap Masa kampanye, Pemilu 2024" in answer.text
    assert "3 November 2023 (sudah)" in answer.text and "13 November 2023 (sudah)" in answer.text
    [allowed] = await Chat(env.fake, 9105).say("bolehkah pns menggunakan hak pilih?")
    assert "📅" not in allowed.text  # an answer that does not turn on the stage says nothing of it


async def test_between_the_two_pemilu_determinations_and_in_english(env, monkeypatch):
    on_day(monkeypatch, date(2023, 11, 5))
    chat = Chat(env.fake, 9106, lang="en")
    [answer] = await chat.say("can a civil servant like a candidate's post?")
    assert "3 November 2023 (done)" in answer.text and "13 November 2023 (not yet)" in answer.text
    assert "bakal calon" in answer.text


async def test_a_reporter_who_did_not_know_the_election_gets_the_deadline_of_the_one_that_day_was_in(tmp_path):
    from bot.privacy.crypto import Vault
    from bot.privacy.keys import load_master
    from bot.storage.database import Database
    from bot.storage.tips import TipStore
    from bot.tips.evidence import EvidenceFiles
    from bot.tips.model import Draft
    from bot.tips.service import TipService

    store = Database(tmp_path / "netra.sqlite3")
    await store.open()
    try:
        vault = Vault(load_master(tmp_path, None)[0])
        tips = TipStore(store)
        service = TipService(tips, vault, EvidenceFiles(tips, vault), b"k" * 32, calendar=load_calendar(KNOWLEDGE))

        def draft(day: str, election: str = "tidak_tahu") -> Draft:
            return Draft(step="review", category="medsos", election=election, province="35", incident_date=day,
                         description="x" * 40)  # fmt: skip

        in_pilkada = await service.submit("a", draft("2024-10-01"))
        assert (in_pilkada.election, in_pilkada.formal_due) == ("pilkada", "2024-10-08")  # 7 days
        in_pemilu = await service.submit("b", draft("2024-01-15"))
        assert (in_pemilu.election, in_pemilu.formal_due) == ("pemilu", "2024-01-24")  # 7 working days
        between = await service.submit("c", draft("2024-06-01"))
        assert between.formal_due is None  # no election that day: no deadline made up
        said = await service.submit("d", draft("2024-10-01", election="pemilu"))
        assert said.election == "pemilu"  # what the reporter said wins over the calendar
    finally:
        await store.close()


def test_reminders_name_kinds_of_stage_and_rules_that_exist():
    rules = {"medsos-like-unggahan"}
    good = read_calendar({"elections": [], "reminders": {"campaign": ["medsos-like-unggahan"]}}, PROVINCES, rules)
    assert good.problems == () and good.reminders == {"campaign": ("medsos-like-unggahan",)}
    bad = read_calendar({"elections": [], "reminders": {"party": [], "quiet": ["no-such-rule"]}}, PROVINCES, rules)
    assert len(bad.problems) == 2 and "party is not a kind of stage" in bad.problems[0]
    assert "no such rule: no-such-rule" in bad.problems[1]


async def test_the_morning_a_stage_starts_the_broadcast_chat_is_told_what_to_keep_in_mind(tmp_path):
    from bot.tg import jobs
    from bot.tg.context import BotContext

    async with running_bot(tmp_path / "data", broadcast_chat_id=-100555, retry_backoff=0.01) as env:
        assert env.app.job_queue.get_jobs_by_name("stages")  # daily, at 07:00 WIB
        channel = GroupChat(env.fake, -100555)
        await jobs.announce_stages(BotContext(env.app), today=date(2024, 6, 1))  # no stage starts that day
        await jobs.announce_stages(BotContext(env.app), today=date(2024, 9, 25))
        [reminder] = await channel.replies(1)
        assert (
            "Mulai hari ini: Masa kampanye</b>, Pilkada serentak 2024 (25 September 2024 – 23 November 2024)"
            in (reminder.params["text"])
        )
        assert "⚠️ BERSYARAT · Hadir di kampanye hanya untuk mendengarkan" in reminder.text
        assert "/aturan kampanye-hadir-pasif" in reminder.text and "/lapor" in reminder.text
        env.fake.fail("sendMessage", "500", times=100, chat_id=-100555)  # a channel Telegram keeps refusing
        await jobs.announce_stages(BotContext(env.app), today=date(2024, 9, 25))  # logged, not raised
        assert len(channel.messages) == 1
