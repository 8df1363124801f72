"""The knowledge base: sources, topics and rules, and the schema every rule is checked against.

Rules come from two places: the YAML files in `knowledge/` (bot/qa/kb_files.py) and, once seeded, the rule
revisions in the database (bot/editing/rules.py). Both go through `assemble`, which checks every rule and collects
each problem with where it was, its rule id and field, so nothing invalid is ever served and `kb validate`
can list every problem at once. `rule_item` turns a rule back into the YAML schema (knowledge/README.md).
A problem quotes the bad value with `shown`, cut short: the value can be anything an editor typed.
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.presentation.messages import Messages

VERDICTS = ("boleh", "dilarang", "bersyarat", "info")
SOURCE_STATUSES = ("berlaku", "dicabut")
MIN_QUESTIONS = 5
MIN_EN_QUESTIONS = 2
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_RULE_ID = 40  # rule ids travel in callback_data, which Telegram caps at 64 bytes
_ARTICLE = re.compile(r"^(Penjelasan )?Pasal \d+[A-Z]?\b|^(Penjelasan Umum|Lampiran|Diktum|Bagian|Angka|Amar|Isi)\b")
_RULE_KEYS = {
    "id", "topic", "verdict", "title", "questions", "keywords", "short", "advice", "unsettled", "answer", "caveat",
    "basis", "penalty", "sanction", "related", "retired", "en", "act", "condition", "scenarios",
}  # fmt: skip
_BASIS_KEYS = {"source", "article", "quote", "verified", "note"}
_EN_KEYS = {"title", "short", "advice", "answer", "questions", "caveat", "penalty", "sanction"}
_SCENARIO_KEYS = {"text", "why", "en"}
_SCENARIO_EN_KEYS = {"text", "why"}
MAX_SCENARIO = 400  # characters of a quiz scenario or its explanation: a question on a phone, not an essay
JUDGING = ("boleh", "dilarang", "bersyarat")  # verdicts that judge an act, and so the quiz's answers
MAX_SHOWN = 80  # characters of a bad value quoted in a problem
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, MAX_SHOWN, MAX_SHOWN
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 4


def shown(value: Any) -> str:
    """`value`'s repr, at most MAX_SHOWN characters however large or deeply nested the value is."""
    text = _REPR.repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _name(value: Any) -> str:
    """A key or an id as a problem names it: as it is if it is short text, else `shown`."""
    return value if isinstance(value, str) and len(value) <= MAX_SHOWN else shown(value)


@dataclass(frozen=True)
class Source:
    id: str
    short: str
    title: str
    url: str | None
    status: str
    replaced_by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    en: str


@dataclass(frozen=True)
class Basis:
    source: str
    article: str
    quote: str | None = None
    verified: bool = True
    note: str | None = None


@dataclass(frozen=True)
class Translation:
    title: str
    answer: str
    questions: tuple[str, ...] = ()
    caveat: str | None = None
    sanction: str | None = None
    short: str | None = None
    advice: str | None = None
    penalty: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A quiz question drawn from its rule ("Bu Ani, guru PPPK, menyukai unggahan caleg…"). Its answer is the
    rule's verdict and its article the rule's first checked basis, so a scenario cannot contradict or miscite
    the rule it illustrates; `why` explains it in two sentences."""

    text: str
    why: str
    text_en: str
    why_en: str


@dataclass(frozen=True)
class Rule:
    id: str
    topic: str
    verdict: str
    title: str
    questions: tuple[str, ...]
    answer: str
    basis: tuple[Basis, ...]
    sanction: str | None = None
    caveat: str | None = None
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    en: Translation | None = None
    retired: bool = False  # kept for its history and for rollback, never matched or listed to users
    short: str | None = None  # the answer on a phone: 2-3 plain sentences, the question answered first
    advice: str | None = None  # what to do now, one line ("batalkan like", "keluar dari grup")
    penalty: str | None = None  # the sanction in one line; `sanction` has it in full
    unsettled: bool = False  # the sources disagree: the short answer says so in one plain line
    act: str | None = None  # the act it judges, shared by every rule that judges that act (docs/acts.md)
    condition: str | None = None  # what sets it apart from rules judging its act otherwise (subject, stage, how)
    scenarios: tuple[Scenario, ...] = ()  # quiz questions whose answer is this rule's verdict (/kuis)


@functools.cache
def problem_wording() -> Messages:
    return Messages(Path(__file__).resolve().parents[2] / "templates" / "messages")


@dataclass(frozen=True)
class Problem:
    """Something wrong in the knowledge base: where, and what as a `problem_<key>` of the message catalogues
    (editors read it in Indonesian in the bot, `kb validate` prints it in English)."""

    file: str  # where the rule came from: a file, "database", or an edit
    rule_id: str | None
    field: str | None
    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return problem_wording().plain(f"problem_{self.key}", lang, **self.values)

    @property
    def message(self) -> str:
        return self.text("en")

    def describe(self, lang: str) -> str:
        """Where and what: "knowledge/rules/x.yaml: rule y: field: what is wrong"."""
        where = self.file
        if self.rule_id:
            where += f": {'aturan' if lang == 'id' else 'rule'} {self.rule_id}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.text(lang)}"

    def __str__(self) -> str:
        return self.describe("en")


@dataclass
class KnowledgeBase:
    sources: dict[str, Source]
    topics: dict[str, Topic]
    rules: dict[str, Rule]  # the rules in service, in order
    problems: list[Problem] = field(default_factory=list)
    retired: dict[str, Rule] = field(default_factory=dict)

    def rules_in(self, topic_id: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.topic == topic_id]

    def any_rule(self, rule_id: str) -> Rule | None:
        return self.rules.get(rule_id) or self.retired.get(rule_id)


class KnowledgeError(Exception):
    """The knowledge base has problems; `problems` lists each one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base; first: {problems[0]}")


@dataclass(frozen=True)
class Entry:
    """One rule as read (a YAML mapping), with where it came from and the topic its file implies."""

    where: str
    item: Any
    file_topic: str | None = None


def check_entry(sources: dict[str, Source], topics: dict[str, Topic], entry: Entry) -> list[Problem]:
    """The problems of one rule on its own: its schema, not its links to other rules. Cheap enough to run in
    a worker thread before the rule is checked with all the others."""
    checker = _Checker(sources, topics, None, [])
    checker.rule(entry, 0)
    return checker.problems


def assemble(
    sources: dict[str, Source],
    topics: dict[str, Topic],
    entries: Iterable[Entry],
    laws_dir: Path | None = None,
    problems: Iterable[Problem] = (),
) -> KnowledgeBase:
    """Check every entry and the links between rules. With `laws_dir`, a basis on a source that has no text
    there must say `verified: false`. Rules with problems are left out; `problems` lists them."""
    checker = _Checker(sources, topics, laws_dir, list(problems))
    rules: dict[str, Rule] = {}
    where: dict[str, str] = {}
    named: set[str] = set()  # ids of every entry, broken ones too: a link to a broken rule is not a second problem
    for i, entry in enumerate(entries):
        if isinstance(entry.item, dict) and isinstance(entry.item.get("id"), str):
            named.add(entry.item["id"])
        rule = checker.rule(entry, i)
        if rule is None:
            continue
        if rule.id in rules:
            checker.problem(entry.where, rule.id, "id", "duplicate_id")
        else:
            rules[rule.id], where[rule.id] = rule, entry.where
    for rule in rules.values():
        for other in rule.related:
            if other not in named:
                checker.problem(where[rule.id], rule.id, "related", "unknown_rule", value=shown(other))
    active = {rid: _without_retired_links(r, rules) for rid, r in rules.items() if not r.retired}
    retired = {rid: r for rid, r in rules.items() if r.retired}
    for rule in _unexplained_contradictions(active.values()):
        others = sorted({r.verdict for r in active.values() if r.act == rule.act and r.verdict != rule.verdict})
        checker.problem(where[rule.id], rule.id, "condition", "act_differs", act=rule.act, verdict=rule.verdict,
                        others=", ".join(others))  # fmt: skip
    return KnowledgeBase(sources, topics, active, checker.problems, retired)


def _unexplained_contradictions(rules: Iterable[Rule]) -> list[Rule]:
    """Rules that judge an act (their `act`) otherwise than another rule does, without a `condition` saying why."""
    by_act: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.act:
            by_act.setdefault(rule.act, []).append(rule)
    return [r for group in by_act.values() if len({g.verdict for g in group}) > 1 for r in group if not r.condition]


def _without_retired_links(rule: Rule, rules: dict[str, Rule]) -> Rule:
    kept = tuple(r for r in rule.related if r in rules and not rules[r].retired)
    return rule if kept == rule.related else replace(rule, related=kept)


class _Checker:
    def __init__(
        self, sources: dict[str, Source], topics: dict[str, Topic], laws_dir: Path | None, problems: list[Problem]
    ) -> None:
        self.sources = sources
        self.topics = topics
        self.laws_dir = laws_dir
        self.problems = problems

    def problem(self, where: str, rule_id: str | None, fld: str | None, key: str, **values: object) -> None:
        self.problems.append(Problem(where, rule_id, fld, key, values))

    def rule(self, entry: Entry, index: int) -> Rule | None:
        item, where = entry.item, entry.where
        if not isinstance(item, dict):
            self.problem(where, f"#{index + 1}", None, "not_a_rule")
            return None
        rid = item.get("id")
        if not isinstance(rid, str) or not ID_PATTERN.match(rid) or len(rid) > MAX_RULE_ID:
            self.problem(where, f"#{index + 1}", "id", "bad_id", max=MAX_RULE_ID, value=shown(rid))
            return None
        before = len(self.problems)

        def bad(fld: str, key: str, **values: object) -> None:
            self.problem(where, rid, fld, key, **values)

        for key in sorted(map(_name, set(item) - _RULE_KEYS)):
            bad(key, "unknown_field")
        topic = item.get("topic")
        if entry.file_topic is not None and topic != entry.file_topic:
            bad("topic", "wrong_topic", expected=repr(entry.file_topic), value=shown(topic))
        elif not isinstance(topic, str) or topic not in self.topics:
            bad("topic", "unknown_topic", value=shown(topic))
        verdict = item.get("verdict")
        if verdict not in VERDICTS:
            bad("verdict", "bad_verdict", choices=", ".join(VERDICTS), value=shown(verdict))
        title = _text(item.get("title"))
        if not title:
            bad("title", "empty")
        answer = _text(item.get("answer"))
        if not answer:
            bad("answer", "empty")
        questions = _strings(item.get("questions"))
        if questions is None:
            bad("questions", "not_strings")
            questions = []
        elif len(set(questions)) < MIN_QUESTIONS:
            bad("questions", "few_questions", min=MIN_QUESTIONS, count=len(set(questions)))
        keywords = _strings(item.get("keywords", []))
        if keywords is None:
            bad("keywords", "not_strings")
        related = _strings(item.get("related", []))
        if related is None:
            bad("related", "not_rule_ids")
        retired = item.get("retired", False)
        if not isinstance(retired, bool):
            bad("retired", "not_bool")
        unsettled = item.get("unsettled", False)
        if not isinstance(unsettled, bool):
            bad("unsettled", "not_bool")
        sanction = _text(item.get("sanction"))
        if verdict == "dilarang" and not sanction:
            bad("sanction", "no_sanction")
        act = item.get("act")
        if act is not None and (not isinstance(act, str) or not ID_PATTERN.match(act) or len(act) > MAX_RULE_ID):
            bad("act", "bad_id", max=MAX_RULE_ID, value=shown(act))
        if item.get("condition") is not None and not _text(item.get("condition")):
            bad("condition", "empty")
        basis = self._basis(where, rid, item.get("basis"))
        en = self._translation(where, rid, item.get("en"))
        scenarios = self._scenarios(where, rid, verdict, item.get("scenarios", []))
        if len(self.problems) > before:
            return None
        return Rule(
            id=rid, topic=str(topic), verdict=str(verdict), title=title, questions=tuple(dict.fromkeys(questions)),
            answer=answer, basis=basis, sanction=sanction or None, caveat=_text(item.get("caveat")) or None,
            keywords=tuple(keywords or ()), related=tuple(related or ()), en=en, retired=bool(retired),
            short=_text(item.get("short")) or None, advice=_text(item.get("advice")) or None,
            penalty=_text(item.get("penalty")) or None, unsettled=bool(unsettled),
            act=act, condition=_text(item.get("condition")) or None, scenarios=scenarios,
        )  # fmt: skip

    def _basis(self, where: str, rid: str, raw: Any) -> tuple[Basis, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, rid, "basis", "no_basis")
            return ()
        out = []
        for i, item in enumerate(raw):
            fld = f"basis[{i}]"
            if not isinstance(item, dict):
                self.problem(where, rid, fld, "not_a_basis")
                continue
            for key in sorted(map(_name, set(item) - _BASIS_KEYS)):
                self.problem(where, rid, f"{fld}.{key}", "unknown_field")
            source, article = item.get("source"), _text(item.get("article"))
            if not isinstance(source, str) or source not in self.sources:
                self.problem(where, rid, f"{fld}.source", "unknown_source", value=shown(source))
            if not article:
                self.problem(where, rid, f"{fld}.article", "no_article")
            elif not _ARTICLE.match(article):
                self.problem(where, rid, f"{fld}.article", "bad_article", value=shown(article))
            verified = item.get("verified", True)
            if not isinstance(verified, bool):
                self.problem(where, rid, f"{fld}.verified", "not_bool")
            elif verified and self.laws_dir is not None and not (self.laws_dir / f"{_name(source)}.md").is_file():
                self.problem(where, rid, f"{fld}.verified", "no_law_text", source=_name(source))
            quote, note = _text(item.get("quote")) or None, _text(item.get("note")) or None
            # a bad source is only ever shown(): str() of an aliased value would expand it in full
            out.append(Basis(source if isinstance(source, str) else "", article, quote, verified is not False, note))
        return tuple(out)

    def _scenarios(self, where: str, rid: str, verdict: Any, raw: Any) -> tuple[Scenario, ...]:
        if not isinstance(raw, list):
            self.problem(where, rid, "scenarios", "not_scenarios")
            return ()
        if raw and verdict not in JUDGING:
            self.problem(where, rid, "scenarios", "scenario_without_verdict", choices=", ".join(JUDGING))
        out = []
        for i, item in enumerate(raw):
            fld = f"scenarios[{i}]"
            if not isinstance(item, dict):
                self.problem(where, rid, fld, "not_scenarios")
                continue
            en = item.get("en")
            if not isinstance(en, dict):
                self.problem(where, rid, f"{fld}.en", "no_english_scenario")
                en = {}
            for key in sorted(map(_name, set(item) - _SCENARIO_KEYS)):
                self.problem(where, rid, f"{fld}.{key}", "unknown_field")
            for key in sorted(map(_name, set(en) - _SCENARIO_EN_KEYS)):
                self.problem(where, rid, f"{fld}.en.{key}", "unknown_field")
            texts = {}
            for name, value in (("text", item.get("text")), ("why", item.get("why")),
                                ("en.text", en.get("text")), ("en.why", en.get("why"))):  # fmt: skip
                texts[name] = _text(value)
                if not texts[name]:
                    self.problem(where, rid, f"{fld}.{name}", "empty")
                elif len(texts[name]) > MAX_SCENARIO:
                    self.problem(where, rid, f"{fld}.{name}", "too_long", max=MAX_SCENARIO, count=len(texts[name]))
            out.append(Scenario(texts["text"], texts["why"], texts["en.text"], texts["en.why"]))
        return tuple(out)

    def _translation(self, where: str, rid: str, raw: Any) -> Translation | None:
        if not isinstance(raw, dict):
            self.problem(where, rid, "en", "no_english")
            return None
        for key in sorted(map(_name, set(raw) - _EN_KEYS)):
            self.problem(where, rid, f"en.{key}", "unknown_field")
        title, answer = _text(raw.get("title")), _text(raw.get("answer"))
        questions = _strings(raw.get("questions")) or []
        if not title:
            self.problem(where, rid, "en.title", "empty")
        if not answer:
            self.problem(where, rid, "en.answer", "empty")
        if len(questions) < MIN_EN_QUESTIONS:
            self.problem(where, rid, "en.questions", "few_en_questions", min=MIN_EN_QUESTIONS)
        optional = {key: _text(raw.get(key)) or None for key in ("caveat", "sanction", "short", "advice", "penalty")}
        return Translation(title, answer, tuple(questions), **optional)


def rule_item(rule: Rule) -> dict[str, Any]:
    """A rule as a YAML mapping in the schema's key order; `assemble` reads it back to the same rule."""
    item: dict[str, Any] = {"id": rule.id, "topic": rule.topic, "verdict": rule.verdict, "title": rule.title}
    item["questions"] = list(rule.questions)
    if rule.keywords:
        item["keywords"] = list(rule.keywords)
    item |= {k: v for k, v in (("act", rule.act), ("condition", rule.condition)) if v}
    item |= {k: v for k, v in (("short", rule.short), ("advice", rule.advice)) if v}
    if rule.unsettled:
        item["unsettled"] = True
    item["answer"] = rule.answer
    if rule.caveat:
        item["caveat"] = rule.caveat
    item["basis"] = [_basis_item(b) for b in rule.basis]
    if rule.penalty:
        item["penalty"] = rule.penalty
    if rule.sanction:
        item["sanction"] = rule.sanction
    if rule.related:
        item["related"] = list(rule.related)
    if rule.scenarios:
        item["scenarios"] = [
            {"text": s.text, "why": s.why, "en": {"text": s.text_en, "why": s.why_en}} for s in rule.scenarios
        ]
    if rule.retired:
        item["retired"] = True
    if rule.en is not None:
        en: dict[str, Any] = {"title": rule.en.title}
        en |= {k: v for k, v in (("short", rule.en.short), ("advice", rule.en.advice)) if v}
        en |= {"answer": rule.en.answer, "questions": list(rule.en.questions)}
        en |= {k: v for k, v in (("caveat", rule.en.caveat), ("penalty", rule.en.penalty)) if v}
        en |= {k: v for k, v in (("sanction", rule.en.sanction),) if v}
        item["en"] = en
    return item


def _basis_item(basis: Basis) -> dict[str, Any]:
    item: dict[str, Any] = {"source": basis.source, "article": basis.article}
    if basis.note:
        item["note"] = basis.note
    if basis.quote:
        item["quote"] = basis.quote
    if not basis.verified:
        item["verified"] = False
    return item


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _strings(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [" ".join(v.split()) for v in value]
