"""Rule revisions (bot/editing/rules.py), the editing formats (bot/editing/fields.py) and the YAML folder
(bot/qa/kb_files.py), as plain Python: no Telegram."""

from __future__ import annotations

import copy

import pytest

from bot.editing.fields import FieldError, apply, as_text, new_rule_template, read_new_rule
from bot.editing.rules import RuleError, RuleService, Unchanged, changed_keys
from bot.qa.kb import Entry, rule_item
from bot.qa.kb_files import load_knowledge, read_entries, write_knowledge
from bot.storage.database import Database
from tests.conftest import KNOWLEDGE

KB = load_knowledge(KNOWLEDGE)
RULE = "kampanye-hadir-pasif"


@pytest.fixture
async def rules(tmp_path):
    store = Database(tmp_path / "db.sqlite3")
    await store.open()
    service = RuleService(store, KB.sources, KB.topics)
    await service.open(KB.rules.values())
    yield service
    await store.close()


def test_the_shipped_files_are_in_the_exporters_layout(tmp_path):
    """So `kb export knowledge` shows only real changes in a diff."""
    write_knowledge(KB.rules.values(), KB.topics, KNOWLEDGE, tmp_path)
    for path in (KNOWLEDGE / "rules").glob("*.yaml"):
        assert (tmp_path / "rules" / path.name).read_text() == path.read_text(), path.name
    assert load_knowledge(tmp_path).rules == KB.rules


async def test_seeded_once_and_every_change_is_a_revision(rules):
    version, kb = await rules.knowledge()
    assert version == len(KB.rules) and kb.rules == KB.rules
    await rules.open(KB.rules.values())  # a second start does not seed again
    assert await rules.version() == version
    old = (await rules.current(RULE)).item
    rev = await rules.save({**old, "answer": "Jawaban baru."}, "9003", "uji", base=1)
    assert (rev.revision, rev.author, rev.note) == (2, "9003", "uji")
    assert (await rules.knowledge())[1].rules[RULE].answer == "Jawaban baru."
    assert await rules.differences(KB.rules.values()) == [RULE]  # what start-up warns about
    assert [r.revision for r in await rules.history(RULE)] == [2, 1]
    assert changed_keys(old, rev.item) == ["answer"]
    with pytest.raises(Unchanged):
        await rules.save(rev.item, "9003", None)
    back = await rules.rollback(RULE, 1, "9001")
    assert back.revision == 3 and back.item == old and "rollback" in back.note


async def test_a_change_that_breaks_the_schema_is_refused_whole(rules):
    old = (await rules.current(RULE)).item
    with pytest.raises(RuleError) as refused:
        await rules.save({**old, "questions": ["satu", "dua"], "verdict": "mungkin"}, "9003", None)
    assert any("questions" in r for r in refused.value.reasons) and any("verdict" in r for r in refused.value.reasons)
    with pytest.raises(RuleError, match="sudah diubah orang lain"):
        await rules.save({**old, "answer": "x y z"}, "9003", None, base=7)
    assert [r.revision for r in await rules.history(RULE)] == [1]


async def test_retired_rules_leave_service_and_links_to_them_are_dropped(rules):
    linked = next(r for r in KB.rules.values() if RULE in r.related)
    old = (await rules.current(RULE)).item
    await rules.save({**old, "retired": True}, "9003", "sudah tidak berlaku")
    _version, kb = await rules.knowledge()
    assert RULE not in kb.rules and kb.retired[RULE].retired
    assert RULE not in kb.rules[linked.id].related
    assert [r.id for r in await rules.all_rules()].count(RULE) == 1  # still exported, marked retired


async def test_import_is_all_or_nothing(rules):
    first, second = (rule_item(r) for r in list(KB.rules.values())[:2])
    good = {**first, "title": "Judul baru"}
    bad = {**second, "basis": [{"source": "tidak-ada", "article": "Pasal 1"}]}
    with pytest.raises(RuleError) as refused:
        await rules.import_entries([Entry("a.yaml", good), Entry("b.yaml", bad)], "kb import", None)
    assert "sumber tidak dikenal: 'tidak-ada'" in str(refused.value)
    assert (await rules.current(first["id"])).revision == 1
    new = {**copy.deepcopy(first), "id": "kampanye-aturan-baru", "related": []}
    summary = await rules.import_entries([Entry("a.yaml", good), Entry("c.yaml", new)], "kb import", "impor")
    assert summary.changed == (first["id"],) and summary.added == ("kampanye-aturan-baru",)
    assert summary.untouched == len(KB.rules) - 1


async def test_phrasings_taught_before_revisions_become_revisions(tmp_path):
    store = Database(tmp_path / "db.sqlite3")
    await store.open()
    await store.write(
        "INSERT INTO learned_phrasings (rule_id, text, added_by, added_at) VALUES (?, 'pns nyaleg gmn', 9003, 'x')",
        (RULE,),
    )
    service = RuleService(store, KB.sources, KB.topics)
    await service.open(KB.rules.values())
    assert "pns nyaleg gmn" in (await service.current(RULE)).item["questions"]
    tables = await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert "learned_phrasings" not in {row["name"] for row in tables}  # folded once: the table goes
    await store.close()


def test_basis_lines_keep_what_was_checked_and_mark_the_rest_unchecked():
    item = rule_item(KB.rules[RULE])
    text = as_text(item, "basis")
    assert as_text(item, "basis").count("\n") == len(item["basis"]) - 1
    unchanged = apply(item, "basis", text)
    assert unchanged["basis"] == item["basis"]
    edited = apply(item, "basis", text + "\npp-94-2021 | Pasal 5 huruf n | kutipan baru")
    assert edited["basis"][-1] == {"source": "pp-94-2021", "article": "Pasal 5 huruf n", "quote": "kutipan baru",
                                   "verified": False}  # fmt: skip
    with pytest.raises(FieldError, match=r"sumber \| pasal \| kutipan"):
        apply(item, "basis", "hanya satu kolom")


def test_field_formats():
    item = rule_item(KB.rules[RULE])
    assert apply(item, "questions", "- satu\n2. dua\n• tiga\n\n")["questions"] == ["satu", "dua", "tiga"]
    assert "caveat" not in apply(item, "caveat", " - ")
    assert apply(item, "verdict", "DILARANG")["verdict"] == "dilarang"
    assert apply(item, "en_answer", "New  answer.")["en"]["answer"] == "New answer."
    assert item["en"]["answer"] != "New answer."  # the original is not touched
    with pytest.raises(FieldError):
        apply(item, "verdict", "mungkin")
    with pytest.raises(FieldError):
        apply(item, "answer", "   ")


def test_a_new_rule_from_the_template():
    item = read_new_rule(new_rule_template("kampanye"), "kampanye")
    assert item["topic"] == "kampanye" and all(b["verified"] is False for b in item["basis"])
    with pytest.raises(FieldError, match="YAML"):
        read_new_rule("id: [tidak ditutup", "kampanye")
    with pytest.raises(FieldError):
        read_new_rule("hanya teks", "kampanye")


def test_import_folder_problems_are_reported(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "kampanye.yaml").write_text("rules: [unclosed\n")
    (tmp_path / "rules" / "bukan-topik.yaml").write_text("rules: []\n")
    entries, problems = read_entries(tmp_path, KB.topics)
    assert entries == [] and len(problems) == 2
    assert any("not valid YAML" in str(p) for p in problems) and any("not a topic" in str(p) for p in problems)
