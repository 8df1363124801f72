"""The knowledge base schema check (`python main.py kb validate`), on the shipped files and broken ones."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.qa.kb import VERDICTS, Entry, KnowledgeError, Problem, assemble, rule_item
from bot.qa.kb_files import load_knowledge
from tests.conftest import KNOWLEDGE, ROOT, SHARED

LAWS = SHARED / "reference" / "laws"


def test_shipped_knowledge_base_is_valid():
    kb = load_knowledge(KNOWLEDGE, laws_dir=LAWS if LAWS.is_dir() else None, strict=False)
    assert [str(p) for p in kb.problems] == []
    assert len(kb.rules) >= 60
    assert {r.verdict for r in kb.rules.values()} == set(VERDICTS)
    for topic in kb.topics:
        assert kb.rules_in(topic), f"topic {topic} has no rules"


def test_shipped_rules_cite_articles_and_point_to_bkn_not_kasn():
    kb = load_knowledge(KNOWLEDGE)
    for rule in kb.rules.values():
        assert rule.basis and all(b.article for b in rule.basis)
        for text in (rule.answer, rule.sanction or ""):
            # KASN was dissolved in 2024: "(me)lapor ke KASN" may only appear negated ("jangan lagi ...")
            for m in re.finditer(r"\w+ ke KASN", text):
                before = text[max(0, m.start() - 25) : m.start()].lower()
                assert any(neg in before for neg in ("jangan", "tidak", "bukan")), (rule.id, m.group(0))


def test_validate_command_passes(capsys):
    assert main(["kb", "validate"]) == 0
    assert "OK" in capsys.readouterr().out


@pytest.fixture
def broken(tmp_path) -> Path:
    """A copy of the knowledge base to break."""
    dst = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dst)
    return dst


def _edit_first_rule(kb_dir: Path, change) -> str:
    path = kb_dir / "rules" / "kampanye.yaml"
    data = yaml.safe_load(path.read_text())
    rule = data["rules"][0]
    change(rule)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return rule["id"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda r: r.update(verdict="mungkin"), "verdict", "must be one of"),
        (lambda r: r.update(questions=["satu", "dua"]), "questions", "at least 5"),
        (lambda r: r["basis"][0].update(source="uu-99-2099"), "basis[0].source", "unknown source"),
        (lambda r: r["basis"][0].pop("article"), "basis[0].article", "missing"),
        (lambda r: r["basis"][0].update(article="ayat 3"), "basis[0].article", "expected 'Pasal N"),
        (lambda r: r.pop("answer"), "answer", "missing"),
        (lambda r: r.update(topic="sanksi"), "topic", "must be 'kampanye'"),
        (lambda r: r.update(verdit="boleh"), "verdit", "unknown field"),
        (lambda r: r.pop("en"), "en", "English"),
        (lambda r: r.update(related=["tidak-ada"]), "related", "unknown rule id"),
        (lambda r: r.update(verdict="dilarang", sanction=None), "sanction", "prohibited act"),
    ],
)
def test_validate_names_file_rule_and_field(broken, capsys, change, field, message):
    rule_id = _edit_first_rule(broken, change)
    assert main(["--knowledge", str(broken), "kb", "validate"]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if f": {field}:" in ln)
    assert "rules/kampanye.yaml" in line and rule_id in line and message in line


def test_validate_reports_bad_yaml_with_its_line(broken, capsys):
    (broken / "rules" / "sanksi.yaml").write_text("rules:\n  - id: a\n    title: [unclosed\n")
    assert main(["--knowledge", str(broken), "kb", "validate"]) == 1
    assert "rules/sanksi.yaml: not valid YAML (line" in capsys.readouterr().out


def test_validate_catches_duplicate_ids(broken, capsys):
    first = yaml.safe_load((broken / "rules" / "kampanye.yaml").read_text())["rules"][0]
    path = broken / "rules" / "sanksi.yaml"
    data = yaml.safe_load(path.read_text())
    data["rules"].append({**first, "topic": "sanksi"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert main(["--knowledge", str(broken), "kb", "validate"]) == 1
    assert "duplicate id" in capsys.readouterr().out


def test_unverifiable_basis_must_say_so(broken, tmp_path):
    _edit_first_rule(broken, lambda r: r["basis"].append({"source": "pkpu-10-2023", "article": "Pasal 11"}))
    laws = tmp_path / "laws"
    laws.mkdir()
    (laws / "pp-94-2021.md").write_text("x")
    kb = load_knowledge(broken, laws_dir=laws, strict=False)
    assert any("verified: false" in p.message for p in kb.problems)


def test_broken_knowledge_refuses_to_load(broken):
    _edit_first_rule(broken, lambda r: r.update(verdict="?"))
    with pytest.raises(KnowledgeError):
        load_knowledge(broken)


def test_the_real_question_corpus_keeps_its_fixed_split_and_provenance():
    from bench import corpus

    items = corpus.load()
    assert len(items) >= 240
    assert corpus.problems(items) == []


def test_no_held_out_question_is_taught_to_the_matcher():
    """The held-out half measures questions the matcher never saw: none may become a rule's phrasing or an
    out-of-scope example (bench/corpus.py compares as it compares duplicates)."""
    import yaml

    from bench import corpus
    from bot.qa.kb_files import load_knowledge

    held = {corpus.normalised(q.q) for q in corpus.load() if q.split == "heldout"}
    rules = load_knowledge(KNOWLEDGE).rules.values()
    taught = [q for r in rules for q in [*r.questions, *(r.en.questions if r.en else ())]]
    taught += yaml.safe_load((KNOWLEDGE / "out_of_scope.yaml").read_text(encoding="utf-8"))["questions"]
    assert [q for q in taught if corpus.normalised(q) in held] == []


def test_the_table_of_acts_in_docs_is_current(capsys):
    """docs/acts.md lists every act the rules judge, so contradictions between rules show at a glance."""
    from bot.cli import main as cli_main

    assert cli_main(["kb", "acts"]) == 0
    assert (ROOT / "docs" / "acts.md").read_text(encoding="utf-8") == capsys.readouterr().out, (
        "run: python main.py kb acts > docs/acts.md"
    )


def test_every_problem_is_worded_in_both_languages_and_editors_read_indonesian():
    catalogues = {
        lang: yaml.safe_load((ROOT / "templates" / "messages" / f"{lang}.yaml").read_text()) for lang in ("id", "en")
    }
    keys = {lang: {k for k in text if k.startswith("problem_")} for lang, text in catalogues.items()}
    assert keys["id"] == keys["en"] and len(keys["id"]) > 30
    source = "".join(p.read_text() for p in (ROOT / "bot" / "qa").glob("kb*.py"))
    used = set(re.findall(r'(?:problem|bad)\([^\n]*?"([a-z_]+)"(?:\)|, \w+=)', source))
    assert used and {f"problem_{k}" for k in used} <= keys["id"], used
    problem = Problem("knowledge/rules/x.yaml", "r", "questions", "few_questions", {"min": 5, "count": 2})
    assert str(problem) == "knowledge/rules/x.yaml: rule r: questions: needs at least 5 different phrasings, has 2"
    assert problem.describe("id").endswith(
        "aturan r: questions: perlu sedikitnya 5 kalimat pertanyaan yang berbeda; baru ada 2"
    )


def test_two_rules_judging_one_act_differently_must_each_say_why():
    kb = load_knowledge(KNOWLEDGE)
    passive, banner = (rule_item(kb.rules[r]) for r in ("kampanye-hadir-pasif", "kampanye-atribut-partai"))
    for item in (passive, banner):
        item.pop("condition", None)
        item["act"], item["related"] = "hadir-kampanye", []
    entries = [Entry("a.yaml", passive), Entry("b.yaml", banner)]
    problems = [p for p in assemble(kb.sources, kb.topics, entries).problems if p.key == "act_differs"]
    assert {p.rule_id for p in problems} == {"kampanye-hadir-pasif", "kampanye-atribut-partai"}
    assert "judges act hadir-kampanye bersyarat while other rules judge it dilarang" in str(problems[0])
    passive["condition"], banner["condition"] = "tanpa atribut, hanya mendengarkan", "memakai atribut"
    assert not [p for p in assemble(kb.sources, kb.topics, entries).problems if p.key == "act_differs"]


def test_the_shipped_rules_share_act_keys_and_every_difference_is_explained():
    kb = load_knowledge(KNOWLEDGE)  # strict: an unexplained difference would raise here
    shared = [r for r in kb.rules.values() if r.act and sum(o.act == r.act for o in kb.rules.values()) > 1]
    assert len(shared) >= 10
