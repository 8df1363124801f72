"""The scenario quiz (/kuis): scenarios as data next to their rule, a private round through the fake Bot API
(each answer explained with its article, a score, the rules to reread), a group round (a time limit, the
tally, a leaderboard by first name), and the counts /stats shows: per scenario, never who answered."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import date

from bot.qa.kb import JUDGING, Entry, assemble
from bot.qa.kb_files import load_knowledge
from bot.quiz.game import QuizService, pick, questions
from bot.storage.database import Database
from bot.storage.ephemeral import MemoryStore
from bot.storage.quiz import QuizStore
from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat, GroupChat, button_of, typed
from tests.conftest import KNOWLEDGE

OWNER = 9001
KB = load_knowledge(KNOWLEDGE)
POOL = questions(KB)


def asked(call) -> str:
    """The scenario a quiz message asks (by its text, in either language)."""
    found = [q for q in POOL.values() if q.scenario.text in call.text or q.scenario.text_en in call.text]
    assert len(found) == 1, call.text
    return found[0].id


def wrong_for(answer: str) -> str:
    return next(v for v in JUDGING if v != answer)


# ---------------------------------------------------------------------------------------------- the data


def test_every_rule_that_judges_an_act_has_a_scenario_in_both_languages():
    judging = [r for r in KB.rules.values() if r.verdict in JUDGING]
    missing = [r.id for r in judging if not r.scenarios]
    assert not missing, f"rules without a quiz scenario: {missing}"
    for q in POOL.values():
        assert q.scenario.text_en and q.scenario.why_en and q.scenario.text != q.scenario.text_en, q.id


def test_no_scenario_asked_as_a_question_gets_another_rules_verdict(engine):
    """Scenarios read like what people ask: typed into the bot, each gets its own rule or a choice of rules,
    never a confident answer under another rule (the worst outcome, bot/qa/matcher.py)."""
    wrong = []
    for q in POOL.values():
        best = engine.ask(q.scenario.text).result.best
        if best is not None and best.rule.id != q.rule.id:
            wrong.append(f"{q.id} answered as {best.rule.id}")
    assert not wrong, wrong


def test_a_scenario_that_could_mislead_is_refused_with_its_reason():
    rule = next(r for r in KB.rules.values() if r.verdict == "info")
    base = {
        "id": "uji-kuis", "topic": rule.topic, "title": "Uji", "questions": [f"pertanyaan {i}" for i in range(5)],
        "answer": "Jawaban.", "basis": [{"source": "pp-94-2021", "article": "Pasal 5 huruf n"}],
        "en": {"title": "Test", "answer": "Answer.", "questions": ["q one", "q two"]},
    }  # fmt: skip
    good = {"text": "Pak Joko…", "why": "Karena…", "en": {"text": "Pak Joko…", "why": "Because…"}}
    cases = {
        "info": ({**base, "verdict": "info", "scenarios": [good]}, "scenario_without_verdict"),
        "no english": ({**base, "verdict": "boleh", "scenarios": [{"text": "a", "why": "b"}]}, "no_english_scenario"),
        "too long": ({**base, "verdict": "boleh", "scenarios": [{**good, "why": "x " * 300}]}, "too_long"),
        "not a list": ({**base, "verdict": "boleh", "scenarios": "Pak Joko"}, "not_scenarios"),
        "a verdict of its own": ({**base, "verdict": "boleh", "scenarios": [{**good, "verdict": "dilarang"}]},
                                 "unknown_field"),
    }  # fmt: skip
    for name, (item, key) in cases.items():
        kb = assemble(KB.sources, KB.topics, [Entry("edit", item)])
        assert key in [p.key for p in kb.problems], name
    fine = assemble(KB.sources, KB.topics, [Entry("edit", {**base, "verdict": "boleh", "scenarios": [good]})])
    assert not fine.problems and fine.rules["uji-kuis"].scenarios[0].why_en == "Because…"


def test_a_round_takes_the_verdicts_in_turn_and_never_two_scenarios_of_one_act():
    for seed in range(20):
        chosen = [POOL[q] for q in pick(POOL, 10, random.Random(seed))]
        assert len(chosen) == 10
        verdicts = Counter(q.answer for q in chosen)
        assert set(verdicts) == set(JUDGING) and max(verdicts.values()) <= 4, verdicts
        acts = [q.rule.act or q.rule.id for q in chosen]
        assert len(set(acts)) == len(acts)


async def test_a_group_answer_counts_once_and_a_scenario_is_revealed_once(tmp_path):
    store = Database(tmp_path / "quiz.sqlite3")
    await store.open()
    try:
        service = QuizService(MemoryStore(), QuizStore(store), lambda i: f"k{i}")
        rnd = await service.start(-100, POOL, "id", 3, starter=1, seconds=0.3)
        assert await service.start(-100, POOL, "id", 3, starter=2, seconds=0.3) is None  # one round per group
        answer = POOL[rnd.items[0]].answer
        assert await service.vote(-100, rnd.token, 0, 1, "Ani", answer) == "counted"
        assert await service.vote(-100, rnd.token, 0, 1, "Ani", wrong_for(answer)) == "again"
        assert await service.vote(-100, rnd.token, 0, 2, "Budi", wrong_for(answer)) == "counted"
        assert await service.vote(-100, "other", 0, 3, "Citra", answer) == "closed"
        await asyncio.sleep(0.35)
        assert await service.vote(-100, rnd.token, 0, 3, "Citra", answer) == "late"
        revealed, again = await asyncio.gather(*(service.reveal(-100, rnd.token, 0, POOL) for _ in range(2)))
        assert (revealed is None) != (again is None)  # the timer and a late press: one reveal
        shown = revealed or again
        assert shown.right == ["Ani"] and sum(shown.tally.values()) == 2 and shown.round.index == 1
        assert await service.stop(-100, 2) is None  # only whoever started it stops it
        assert (await service.stop(-100, 1)).leaderboard() == [("Ani", 1), ("Budi", 0)]
        [count] = await QuizStore(store).counts(time_day())
        assert (count.scenario, count.answered, count.wrong) == (rnd.items[0], 2, 1)
    finally:
        await store.close()


def time_day() -> date:
    return date.fromtimestamp(time.time())


# ---------------------------------------------------------------------------------------------- the bot


async def test_a_private_round_explains_each_answer_scores_it_and_names_the_rules_to_reread(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as env:
        user = Chat(env.fake, 7301, first_name="Ani")
        intro, question = await user.say("/kuis", count=2)
        assert "10 situasi" in intro.text and "Soal 1/10" in question.text
        missed = []
        for n in range(10):
            scenario = asked(question)
            answer = POOL[scenario].answer
            choice = answer if n % 3 else wrong_for(answer)  # four wrong: the 1st, 4th, 7th and 10th
            button = button_of(question, callbacks.QuizButton, choice=choice)
            user.tap(question, button)
            explained, following = await user.replies(2)
            rule = POOL[scenario].rule
            assert int(explained.params["message_id"]) == question.result["message_id"]  # edited in place
            assert ("✅ Benar" if choice == answer else "❌ Kurang tepat") in explained.text
            assert POOL[scenario].scenario.why in explained.text and f"/aturan {rule.id}" in explained.text
            cited = next((b for b in rule.basis if b.verified), rule.basis[0])  # a checked article where it has one
            assert f"{KB.sources[cited.source].short} {cited.article}" in explained.text
            if choice != answer:
                missed.append(rule.id)
            late = user.forge(explained, button.pack())  # the same button again: nothing counted twice
            await user.fake.wait_for(lambda q=late: any(c.params["callback_query_id"] == q for c in user.answers()))
            question = following
        assert "Skor Anda: <b>6/10</b>" in question.html
        assert [b.rule_id for b in typed(question, callbacks.OpenRule)] == missed[:3]
        again = button_of(question, callbacks.QuizButton, action="n")
        intro, first = await user.press(question, again, count=2)
        assert "Soal 1/10" in first.text

        english = Chat(env.fake, 7302, first_name="Jo", lang="en")
        intro, question = await english.say("/kuis 3", count=2)
        assert "3 everyday situations" in intro.text and "Question 1/3" in question.text
        assert "✅ ALLOWED" in str(question.params["reply_markup"])
        scenario = asked(question)
        assert POOL[scenario].scenario.text_en in question.text
        english.tap(question, button_of(question, callbacks.QuizButton, choice=POOL[scenario].answer))
        [explained, _next] = await english.replies(2)
        assert "✅ Right" in explained.text and POOL[scenario].scenario.why_en in explained.text
        [usage] = await english.say("/kuis banyak")
        assert "/kuis 5" in usage.text

        owner = Chat(env.fake, OWNER)
        [text] = await owner.say("/stats 1")
        assert "Kuis:</b> 11 jawaban" in text.html and f"• {missed[0]}#" in text.text
        charts = await owner.wait_sent("sendPhoto")  # the quiz chart (no questions were asked)
        assert all(c.params["photo"]["content"][:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    rows = await _quiz_rows(env)
    assert {tuple(r) for r in rows} and all(set(r) == {"day", "scenario", "answered", "wrong"} for r in rows)


async def _quiz_rows(env):
    s = env.app.bot_data["services"]
    await s.store.open()
    try:
        return [dict(r) for r in await s.store.fetchall("SELECT * FROM quiz_answers")]
    finally:
        await s.store.close()


async def test_a_group_round_reveals_each_scenario_with_the_tally_and_ends_with_a_leaderboard(tmp_path):
    async with running_bot(tmp_path / "data", quiz_seconds=1.5) as env:
        host = GroupChat(env.fake, -100777, 7401, first_name="Ani")
        budi = GroupChat(env.fake, -100777, 7402, first_name="Budi")
        citra = GroupChat(env.fake, -100777, 7403, first_name="Citra")
        intro, question = await host.say("/kuis 3", count=2)
        assert "3 situasi" in intro.text and "Soal 1/3" in question.text and "detik" in question.text
        budi.seen = len(budi.messages)
        [refused] = await budi.say("/kuis")  # one round per group at a time
        assert "sedang berjalan" in refused.text and "1/3" in refused.text
        host.seen = budi.seen = citra.seen = len(host.messages)
        for n in range(3):
            answer = POOL[asked(question)].answer
            host.tap(question, button_of(question, callbacks.QuizButton, choice=answer))
            budi.tap(
                question, button_of(question, callbacks.QuizButton, choice=answer if n == 0 else wrong_for(answer))
            )
            budi.tap(
                question, button_of(question, callbacks.QuizButton, choice=answer)
            )  # a change of mind: not counted
            await budi.wait_answers(2 * (n + 1))
            assert "sudah menjawab" in budi.answers()[-1].params["text"]
            revealed, question = await host.replies(2, timeout=10)
            assert int(revealed.params["message_id"]) != question.result["message_id"]
            assert "Jawabannya:" in revealed.text and "Jawaban grup:" in revealed.text
            assert "Benar: Ani" + (", Budi" if n == 0 else "") in revealed.text
            assert not revealed.params.get("reply_markup")
        assert "Papan skor" in question.text
        assert question.text.index("Ani: 3/3") < question.text.index("Budi: 1/3")
        assert "Citra" not in question.text
        intro, question = await host.say("/kuis 3", count=2)  # the next round may start
        budi.seen = len(budi.messages)
        [refused] = await budi.say("/kuis stop")
        assert "Hanya yang memulai" in refused.text
        host.seen = len(host.messages)
        stopped, board = await host.say("/kuis stop", count=2)
        assert "dihentikan" in stopped.text and "Tidak ada yang menjawab" in board.text
        late = host.forge(question, button_of(question, callbacks.QuizButton, choice="boleh").pack())
        await host.fake.wait_for(lambda: any(c.params["callback_query_id"] == late for c in host.answers()))
        assert "sudah ditutup" in host.answers()[-1].params["text"]
        await asyncio.sleep(2)  # the stopped round's timer finds nothing to reveal
        assert len(host.messages) == host.seen
