"""What an editor sends cannot stall the bot (security review, finding 8): YAML anchors and aliases are
refused (the "billion laughs"), as is text over the size limit; problems quote values cut short; a refusal is
one short message; and a rule edit left waiting times out unsaved, with the editor told."""

from __future__ import annotations

import asyncio
import shutil
import time
import tracemalloc

import pytest
import yaml

from bot.editing.fields import MAX_TEXT, FieldError, Refused, apply, read_new_rule
from bot.qa.kb import MAX_SHOWN, Entry, assemble, check_entry, rule_item, shown
from bot.qa.kb_files import (
    ANCHORS_REFUSED,
    AnchorError,
    NoAnchorLoader,
    PythonNoAnchorLoader,
    load_knowledge,
    load_yaml,
    read_entries,
)
from bot.tg import callbacks
from bot.tg.handlers.staff import rule_edit
from tests.botenv import running_bot
from tests.chat import Chat
from tests.conftest import KNOWLEDGE

OWNER, EDITOR, USER = 9001, 9003, 6401
RULE = "kampanye-hadir-pasif"
QUESTION = "pns boleh datang ke kampanye cuma nonton tanpa atribut?"
NEW_ANSWER = "Bersyarat, menurut teks uji: hadir pasif tetap berisiko."
LOADERS = sorted({NoAnchorLoader, PythonNoAnchorLoader}, key=lambda c: c.__name__)


def billion_laughs(levels: int) -> str:
    """A new rule whose fields are aliases of a list nested `levels` deep: 9**levels strings once expanded
    (levels 9: 387 million), in a few hundred characters."""
    lines = ["id: kampanye-bom", 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    top = f"*l{levels - 1}"
    lines += [f"verdict: {top}", f"title: {top}", f"questions: {top}", f"answer: {top}", f"en: {top}"]
    lines.append(f"basis: [{{source: pp-94-2021, article: {top}, quote: {top}}}]")
    return "\n".join(lines) + "\n"


def nested(levels: int) -> list:
    """What the bomb loaded to before: one list object shared at every level, small in memory."""
    value: list = ["lol"] * 9
    for _ in range(levels - 1):
        value = [value] * 9
    return value


def measured(call):
    """`call()`'s result (or exception), seconds taken and peak bytes allocated meanwhile."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = call()
    except Exception as exc:
        result = exc
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


# ---------------------------------------------------------------- the YAML loader


@pytest.mark.parametrize("levels", [7, 9])
def test_billion_laughs_is_refused_at_once_in_little_memory(levels):
    text = billion_laughs(levels)
    assert len(text) < 800
    result, seconds, peak = measured(lambda: read_new_rule(text, "kampanye"))
    assert isinstance(result, Refused) and result.key == "rules_yaml_anchor", result
    assert result.values == {"line": 2}  # the first anchor
    assert seconds < 0.5 and peak < 2_000_000


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: *x\n", "- &x [1]\n", "a: &x {b: 1}\n", "base: &b {x: 1}\nc:\n  <<: *b\n", "&x a"],
)
def test_both_loaders_refuse_any_anchor_or_alias(loader, text):
    with pytest.raises(AnchorError) as caught:
        yaml.load(text, Loader=loader)
    assert caught.value.problem == ANCHORS_REFUSED and caught.value.problem_mark is not None


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_ampersands_and_asterisks_in_text_are_fine(loader):
    text = "a: Yosef & Ade, 2018 # & in a comment\nb: '*catatan'\nc: \"&amp; *x\"\nd: 2 * 3\n"
    assert yaml.load(text, Loader=loader) == {"a": "Yosef & Ade, 2018", "b": "*catatan", "c": "&amp; *x", "d": "2 * 3"}


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_values_python_cannot_build_are_yaml_errors(loader):
    for text in ("a: " + "9" * 5000, "a: " + "[" * 5000 + "]" * 5000):
        with pytest.raises(yaml.YAMLError):
            yaml.load(text, Loader=loader)
    with pytest.raises(FieldError, match="bukan YAML"):
        read_new_rule("id: x\nverdict: " + "9" * 5000, "kampanye")


def test_shipped_knowledge_has_no_anchors_and_loads_quickly():
    assert NoAnchorLoader.__name__ == ("CNoAnchorLoader" if yaml.__with_libyaml__ else "PythonNoAnchorLoader")
    for path in sorted(KNOWLEDGE.rglob("*.yaml")):
        load_yaml(path.read_text(encoding="utf-8"))  # raises AnchorError on any anchor or alias
    started = time.perf_counter()
    kb = load_knowledge(KNOWLEDGE)
    assert len(kb.rules) >= 60 and time.perf_counter() - started < 2.0


def test_knowledge_files_and_kb_import_refuse_anchors(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    path = root / "rules" / "kampanye.yaml"
    path.write_text(path.read_text().replace("rules:\n", "x: &bom [lol, lol]\nrules:\n", 1))
    entries, problems = read_entries(root, load_knowledge(KNOWLEDGE).topics)
    assert not [e for e in entries if e.where.endswith("kampanye.yaml")]
    [problem] = [p for p in problems if "kampanye.yaml" in p.file]
    assert f"not valid YAML (line 1): {ANCHORS_REFUSED}" in str(problem)
    kb = load_knowledge(root, strict=False)
    assert any(ANCHORS_REFUSED in p.message for p in kb.problems)


# ---------------------------------------------------------------- size, truncated values, robustness


def test_editor_text_over_the_limit_is_refused():
    with pytest.raises(Refused) as caught:
        read_new_rule("id: x\n#" + "x" * MAX_TEXT, "kampanye")
    assert caught.value.key == "rules_too_long" and caught.value.values["limit"] == MAX_TEXT
    item = rule_item(load_knowledge(KNOWLEDGE).rules[RULE])
    with pytest.raises(Refused):
        apply(item, "answer", "a" * (MAX_TEXT + 1))
    assert apply(item, "answer", "a" * MAX_TEXT)["answer"] == "a" * MAX_TEXT


def test_problems_quote_values_cut_short_however_large():
    kb = load_knowledge(KNOWLEDGE)
    top = nested(7)  # 4.8 million strings once expanded
    item = {"id": "kampanye-bom", "topic": "kampanye", "verdict": top, "title": top, "questions": top,
            "answer": top, "en": top, "basis": [{"source": "pp-94-2021", "article": top, "quote": top}]}  # fmt: skip
    result, seconds, peak = measured(lambda: assemble(kb.sources, kb.topics, [Entry("edit", item)]).problems)
    assert isinstance(result, list) and result, result
    assert seconds < 0.5 and peak < 2_000_000
    assert all(len(str(p)) < 200 for p in result), max(map(str, result), key=len)[:300]
    assert check_entry(kb.sources, kb.topics, Entry("edit", item)) == result
    assert len(shown("x" * 10_000)) == MAX_SHOWN and len(shown(nested(9))) <= MAX_SHOWN


def test_odd_values_are_problems_not_crashes():
    kb = load_knowledge(KNOWLEDGE)
    item = read_new_rule("id: kampanye-aneh\n1: satu\nbasis: 5\nen: {2: dua}\n", "kampanye")
    item["basis"] = [{"source": ["a", "list"], "article": "Pasal 1", 3: "x"}]
    problems = [str(p) for p in check_entry(kb.sources, kb.topics, Entry("edit", item))]
    assert any("unknown source ['a', 'list']" in p for p in problems)
    assert any(p.endswith("1: unknown field") for p in problems)


# ---------------------------------------------------------------- through the Bot API


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as e:
        await Chat(e.fake, OWNER).say(f"/grant {EDITOR} editor")
        yield e


async def new_rule_prompt(editor: Chat) -> None:
    [topics] = await editor.say("/rules")
    [topic] = await editor.press(topics, callbacks.RulesButton("t", "kampanye"))
    [template] = await editor.press(topic, callbacks.RulesButton("a", "kampanye"))
    assert "kampanye-contoh-singkat" in template.text


async def test_an_alias_bomb_gets_one_short_refusal_and_others_are_still_answered(env):
    editor, user = Chat(env.fake, EDITOR), Chat(env.fake, USER)
    await new_rule_prompt(editor)
    editor.send(billion_laughs(7))
    started = time.monotonic()
    [answer] = await user.say(QUESTION)
    waited = time.monotonic() - started
    [refused] = await editor.replies(1)
    assert "Hadir di kampanye" in answer.text and waited < 1.5, waited
    assert "Tidak disimpan" in refused.text and "anchor atau alias" in refused.text and "baris 2" in refused.text
    assert len(refused.text) < 400
    await asyncio.sleep(0.5)
    assert len(editor.messages) == editor.seen  # one message, not hundreds
    [again] = await editor.say("id: kampanye-bom\nverdict: entahlah\n")  # still in the flow, for a fixed text
    assert "Tidak disimpan" in again.text and "harus salah satu dari" in again.text
    s = env.app.bot_data["services"]
    assert await s.rules.current("kampanye-bom") is None


async def test_many_problems_or_too_much_text_still_come_back_as_one_short_message(env):
    editor = Chat(env.fake, EDITOR)
    await new_rule_prompt(editor)
    unknown = "".join(f"bidang-{n}: {'x' * 200}\n" for n in range(40))
    [refused] = await editor.say("id: kampanye-banyak-masalah\nverdict: " + "y" * 5000 + "\n" + unknown)
    assert refused.text.count("• ") == 11 and "alasan lain" in refused.text, refused.text
    assert len(refused.text) < 2500
    [too_long] = await editor.say("id: kampanye-panjang\ntitle: " + "x" * MAX_TEXT)
    assert "terlalu panjang" in too_long.text and str(MAX_TEXT) in too_long.text and len(too_long.text) < 300
    await asyncio.sleep(0.3)
    assert len(editor.messages) == editor.seen


async def test_an_edit_left_waiting_times_out_unsaved_and_the_editor_is_told(tmp_path, monkeypatch):
    monkeypatch.setattr(rule_edit, "TIMEOUT", 1.0)  # read at every step
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as env:
        s = env.app.bot_data["services"]
        await Chat(env.fake, OWNER).say(f"/grant {EDITOR} editor")
        editor = Chat(env.fake, EDITOR)
        [view] = await editor.say(f"/rules {RULE}")
        await editor.press(view, callbacks.RulesButton("e", RULE, "answer"))
        [preview] = await editor.say(NEW_ANSWER)
        assert "Pratinjau" in preview.text
        assert (await s.pending_edits.get(EDITOR))["step"] == rule_edit.CONFIRM
        await asyncio.sleep(1.2)
        assert "kedaluwarsa" in await editor.press_for_alert(preview, callbacks.RulesButton("s"))
        assert await s.pending_edits.get(EDITOR) is None
        [answer] = await editor.say(QUESTION)  # text is a question again, not a new answer
        assert NEW_ANSWER not in answer.text and "Hadir di kampanye" in answer.text

        [view] = await editor.say(f"/rules {RULE}")  # waiting for the text itself times out too
        await editor.press(view, callbacks.RulesButton("e", RULE, "title"))
        await asyncio.sleep(1.2)
        [timed_out] = await editor.say("Judul baru yang datang terlambat")
        assert "tidak disimpan" in timed_out.text and "/rules" in timed_out.text
        assert await s.pending_edits.get(EDITOR) is None
        assert [r.revision for r in await s.rules.history(RULE)] == [1]


def test_a_basis_line_reads_pasal_in_any_case():
    from bot.editing.fields import apply

    item = {"basis": []}
    typed = "PP-94-2021 | pasal 5 huruf n angka 1 | ikut kampanye\npp-94-2021 | PENJELASAN PASAL 5 | x"
    new = apply(item, "basis", typed)
    assert [b["article"] for b in new["basis"]] == ["Pasal 5 huruf n angka 1", "Penjelasan Pasal 5"]
    assert new["basis"][0]["source"] == "pp-94-2021"
