"""Reading real messages: stories that touch several rules, follow-ups read with the question before,
"bukan itu", and "Bukan ini?" / 👎 leading to the other candidates. Through the fake Bot API."""

from __future__ import annotations

import pytest

from bot.qa import followups
from bot.qa.stories import clauses
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat, button_of, typed

STORY = (
    "Kemarin di desa kami ada pengajian rutin. Ternyata caleg DPRD datang dan ikut memberi sambutan, lalu "
    "kami semua difoto bersama. Terus foto itu diunggah panitia ke Facebook dan saya ditandai, bahkan ada "
    "teman guru yang komentar mendukung. Saya PNS guru SD, apakah saya melanggar netralitas? Apa yang harus "
    "saya lakukan sekarang? Saya takut kena sanksi karena tidak tahu aturannya, mohon penjelasannya."
)


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data") as bot_env:
        yield bot_env


def test_a_story_is_split_into_clauses():
    parts = clauses(STORY)
    assert "Ternyata caleg DPRD datang dan ikut memberi sambutan" in parts
    assert "kami semua difoto bersama" in parts  # "lalu" starts another event
    assert all(len(p.split()) >= 3 for p in parts)


def test_follow_ups_are_read_with_the_previous_question():
    previous = followups.Previous("pns boleh ikut kampanye?", ("kampanye-hadir-pasif",))
    assert followups.read("kalau PPPK?", previous).query == "pns boleh ikut kampanye? kalau PPPK?"
    assert followups.read("bukan itu", previous) == followups.Reading("not_this", "", ("kampanye-hadir-pasif",))
    clarified = followups.read("bukan itu min. maksud sy datang ke kampanye terbuka", previous)
    assert clarified.query == "datang ke kampanye terbuka" and clarified.exclude == ("kampanye-hadir-pasif",)
    assert followups.read("boleh gak pns like postingan caleg?", previous) is None
    assert followups.read("kalau PPPK?", None) is None
    for question in (  # questions of their own that merely start like a rejection
        "bukankah pns dilarang jadi tim sukses caleg",
        "salah satu keluarga saya caleg, boleh saya bantu kampanye?",
        "bukan pns tapi honorer, boleh kampanye?",
    ):
        assert followups.read(question, previous) is None, question


async def test_follow_up_memory_holds_the_question_asked_under_a_hashed_key():
    from bot.storage.ephemeral import MemoryStore

    store = MemoryStore()
    memory = followups.FollowUps(lambda chat_id: f"k{chat_id}", store)
    await memory.remember(1, "pns boleh ikut kampanye?", ("kampanye-hadir-pasif",))
    assert (await memory.previous(1)).question == "pns boleh ikut kampanye?"
    assert list(store._items) == ["last:k1"]  # keyed by the hash of the chat, not its id


def test_a_story_of_hundreds_of_clauses_is_cut(engine):
    from bot.qa.stories import MAX_CLAUSES, read_story

    flood = ". ".join(["pns ikut kampanye caleg"] * 400)
    assert len(read_story(engine.matcher, flood).clauses) == MAX_CLAUSES


def test_one_rule_in_service_is_matched_without_a_crash(engine):
    from bot.engine import with_knowledge
    from bot.qa.kb import KnowledgeBase

    rule = engine.kb.rules["kampanye-hadir-pasif"]
    small = with_knowledge(engine, KnowledgeBase(engine.kb.sources, engine.kb.topics, {rule.id: rule}))
    assert small.ask("pns boleh ikut kampanye caleg?").result.status in ("answer", "ambiguous", "none")


def test_an_edit_is_served_with_the_old_model_before_the_new_one_is_trained(engine):
    """What a replica does on a NOTIFY (bot/editing/serving.py): the edited text at once, with the model it
    has; retrained a moment later. A rule the old model never saw is still found by its words meanwhile."""
    import dataclasses

    from bot.engine import with_knowledge
    from bot.qa.kb import KnowledgeBase

    kb = engine.kb
    rule = kb.rules["kampanye-hadir-pasif"]
    edited = dataclasses.replace(rule, title="Menonton kampanye tanpa atribut")
    new_rule = dataclasses.replace(kb.rules["medsos-like-unggahan"], id="uji-aturan-baru")
    changed = KnowledgeBase(kb.sources, kb.topics, {**kb.rules, rule.id: edited, new_rule.id: new_rule})
    quick = with_knowledge(engine, changed, retrain=False)
    assert quick.matcher.model is engine.matcher.model  # nothing trained
    assert quick.kb.rules[rule.id].title == "Menonton kampanye tanpa atribut"
    assert "uji-aturan-baru" not in quick.matcher.model.labels
    assert quick.ask(rule.id).result.candidates[0].rule.title == "Menonton kampanye tanpa atribut"
    assert quick.ask("boleh gak pns like postingan caleg?").result.status in ("answer", "ambiguous")
    full = with_knowledge(quick, changed)
    assert "uji-aturan-baru" in full.matcher.model.labels


async def test_the_previous_question_is_forgotten_after_a_few_minutes():
    from bot.storage.ephemeral import MemoryStore

    now = [0.0]
    memory = followups.FollowUps(lambda chat_id: f"k{chat_id}", MemoryStore(clock=lambda: now[0]))
    await memory.remember(5, "pns boleh ikut kampanye?", ("kampanye-hadir-pasif",))
    assert (await memory.previous(5)).question == "pns boleh ikut kampanye?"
    now[0] = followups.REMEMBER_SECONDS + 1
    assert await memory.previous(5) is None


async def test_a_story_lists_the_rules_it_touches_with_a_button_each(env):
    chat = Chat(env.fake, 4101)
    [reply] = await chat.say(STORY)
    assert "Cerita Anda menyentuh" in reply.text
    opened = typed(reply, callbacks.OpenRule)
    assert len(opened) >= 2 and len({b.rule_id for b in opened}) == len(opened)
    [rule] = await chat.press(reply, opened[0])
    assert rule.method == "sendMessage" and "Dasar hukum" in rule.text  # below the list, which stays


async def test_a_follow_up_is_answered_for_the_question_before_it(env):
    chat = Chat(env.fake, 4102)
    [first] = await chat.say("pns boleh datang ke kampanye cuma nonton tanpa atribut?")
    assert typed(first, callbacks.Others)
    [follow] = await chat.say("kalau PPPK?")
    assert typed(follow, callbacks.Vote) or typed(follow, callbacks.OpenRule)  # answered or offered, not lost
    services = env.app.bot_data["services"]
    asked = sum(n for _day, _status, n in await services.questions.per_day("2000-01-01"))
    record = (
        await services.questions.get_question(button_of(follow, callbacks.Others).question_id)
        if typed(follow, callbacks.Others)
        else None
    )
    assert asked == 2
    if record is not None:  # what was matched is stored: the question before, then the fragment
        assert record.query == "pns boleh datang ke kampanye cuma nonton tanpa atribut? kalau PPPK?"


async def test_bukan_itu_offers_the_other_candidates(env):
    chat = Chat(env.fake, 4103)
    [first] = await chat.say("pns boleh datang ke kampanye cuma nonton tanpa atribut?")
    answered = button_of(first, callbacks.Others).rule_id
    [others] = await chat.say("bukan itu")
    offered = typed(others, callbacks.OpenRule)
    assert offered and answered not in {b.rule_id for b in offered}


async def test_not_this_and_thumbs_down_lead_to_the_next_candidates(env):
    chat = Chat(env.fake, 4104)
    [first] = await chat.say("pns boleh datang ke kampanye cuma nonton tanpa atribut?")
    not_this = button_of(first, callbacks.Others)
    [others] = await chat.press(first, not_this)
    assert "kata lain" in others.text
    assert not_this.rule_id not in {b.rule_id for b in typed(others, callbacks.OpenRule)}
    [below] = await chat.press(first, callbacks.Vote, sign="-")
    assert "kata lain" in below.text and typed(below, callbacks.OpenRule)


async def test_not_this_only_works_for_the_answer_it_was_under(env):
    asker, prober = Chat(env.fake, 4106), Chat(env.fake, 4107)
    [answer] = await asker.say("pns boleh datang ke kampanye cuma nonton tanpa atribut?")
    button = button_of(answer, callbacks.Others)
    [mine] = await prober.say("boleh gak pns like postingan caleg?")
    forged = callbacks.Others("medsos-like-unggahan", button.question_id)  # someone else's question
    assert "kedaluwarsa" in (await prober.press_for_alert(mine, forged)).lower()
    assert len(prober.messages) == 1  # nothing listed for another user's question


async def test_a_rule_opened_from_topics_has_no_not_this_button(env):
    chat = Chat(env.fake, 4105)
    [answer] = await chat.say("/aturan kampanye-hadir-pasif")
    assert not typed(answer, callbacks.Others)
