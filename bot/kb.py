"""The knowledge base: sources, topics and rules, read from `knowledge/` and checked against the schema.

Loading and validation are one pass: every problem is collected with its file, rule id and field, so
`python main.py kb validate` can list them all and the bot refuses to start on a broken knowledge base.
The schema is documented in knowledge/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

VERDICTS = ("boleh", "dilarang", "bersyarat", "info")
SOURCE_STATUSES = ("berlaku", "dicabut")
MIN_QUESTIONS = 5
MIN_EN_QUESTIONS = 2
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_RULE_ID = 40  # rule ids travel in callback_data, which Telegram caps at 64 bytes
_ARTICLE = re.compile(r"^(Penjelasan )?Pasal \d+[A-Z]?\b|^(Penjelasan Umum|Lampiran|Diktum|Bagian|Angka|Amar|Isi)\b")
_RULE_KEYS = {
    "id", "topic", "verdict", "title", "questions", "keywords", "answer", "caveat",
    "basis", "sanction", "related", "en",
}  # fmt: skip
_BASIS_KEYS = {"source", "article", "quote", "verified", "note"}
_EN_KEYS = {"title", "answer", "questions", "caveat", "sanction"}


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


@dataclass(frozen=True)
class Translation:
    title: str
    answer: str
    questions: tuple[str, ...] = ()
    caveat: str | None = None
    sanction: str | None = None


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


@dataclass(frozen=True)
class Problem:
    file: str
    rule_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.rule_id:
            where += f": rule {self.rule_id}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


@dataclass
class KnowledgeBase:
    sources: dict[str, Source]
    topics: dict[str, Topic]
    rules: dict[str, Rule]
    problems: list[Problem] = field(default_factory=list)

    def rules_in(self, topic_id: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.topic == topic_id]


class KnowledgeError(Exception):
    """The knowledge base has problems; `problems` lists each one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base; first: {problems[0]}")


def load_knowledge(knowledge_dir: Path, laws_dir: Path | None = None, strict: bool = True) -> KnowledgeBase:
    """Read and check `knowledge_dir`. With `laws_dir`, a basis on a source that has no text there must
    say `verified: false`. With `strict`, any problem raises KnowledgeError."""
    kb = _Reader(knowledge_dir, laws_dir).read()
    if strict and kb.problems:
        raise KnowledgeError(kb.problems)
    return kb


class _Reader:
    def __init__(self, root: Path, laws_dir: Path | None) -> None:
        self.root = root
        self.laws_dir = laws_dir
        self.problems: list[Problem] = []

    def _problem(self, file: Path | str, rule_id: str | None, fld: str | None, message: str) -> None:
        name = file if isinstance(file, str) else self._display(file)
        self.problems.append(Problem(name, rule_id, fld, message))

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def _yaml(self, path: Path) -> Any:
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except FileNotFoundError:
            self._problem(path, None, None, "file is missing")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" (line {mark.line + 1})" if mark else ""
            self._problem(path, None, None, f"not valid YAML{line}: {getattr(exc, 'problem', exc)}")
        return None

    def read(self) -> KnowledgeBase:
        sources = self._sources(self.root / "sources.yaml")
        topics = self._topics(self.root / "topics.yaml")
        rules: dict[str, Rule] = {}
        rule_files = sorted((self.root / "rules").glob("*.yaml"))
        if not rule_files:
            self._problem(self.root / "rules", None, None, "no rule files")
        for path in rule_files:
            for rule in self._rule_file(path, sources, topics):
                if rule.id in rules:
                    self._problem(path, rule.id, "id", "duplicate id (already defined in another place)")
                else:
                    rules[rule.id] = rule
        for rule in rules.values():
            for other in rule.related:
                if other not in rules:
                    self._problem(self._rule_path(rule), rule.id, "related", f"unknown rule id {other!r}")
        for topic in topics:
            if not (self.root / "rules" / f"{topic}.yaml").is_file():
                self._problem(self.root / "topics.yaml", None, "topics", f"topic {topic!r} has no rules file")
        return KnowledgeBase(sources, topics, rules, self.problems)

    def _rule_path(self, rule: Rule) -> Path:
        return self.root / "rules" / f"{rule.topic}.yaml"

    def _sources(self, path: Path) -> dict[str, Source]:
        data = self._yaml(path)
        out: dict[str, Source] = {}
        items = data.get("sources") if isinstance(data, dict) else None
        if not isinstance(items, list):
            if data is not None:
                self._problem(path, None, "sources", "expected a `sources:` list")
            return out
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self._problem(path, None, f"sources[{i}]", "expected a mapping with an `id`")
                continue
            sid = item["id"]
            for key in ("short", "title", "status"):
                if not isinstance(item.get(key), str) or not item[key].strip():
                    self._problem(path, sid, key, "missing or empty")
            status = item.get("status")
            if status not in SOURCE_STATUSES:
                self._problem(path, sid, "status", f"must be one of {', '.join(SOURCE_STATUSES)}")
            if status == "dicabut" and not item.get("replaced_by"):
                self._problem(path, sid, "replaced_by", "a revoked source must name what replaced it")
            if sid in out:
                self._problem(path, sid, "id", "duplicate source id")
            out[sid] = Source(
                sid, str(item.get("short", "")), str(item.get("title", "")).strip(),
                item.get("url"), str(status), item.get("replaced_by"), item.get("note"),
            )  # fmt: skip
        for src in out.values():
            if src.replaced_by and src.replaced_by not in out:
                self._problem(path, src.id, "replaced_by", f"unknown source {src.replaced_by!r}")
        return out

    def _topics(self, path: Path) -> dict[str, Topic]:
        data = self._yaml(path)
        out: dict[str, Topic] = {}
        items = data.get("topics") if isinstance(data, dict) else None
        if not isinstance(items, list):
            if data is not None:
                self._problem(path, None, "topics", "expected a `topics:` list")
            return out
        for item in items:
            if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("id", "title", "en")):
                out[item["id"]] = Topic(item["id"], item["title"], item["en"])
            else:
                self._problem(path, None, "topics", f"each topic needs id, title and en: {item!r}")
        return out

    def _rule_file(self, path: Path, sources: dict[str, Source], topics: dict[str, Topic]) -> list[Rule]:
        data = self._yaml(path)
        if data is None:
            return []
        items = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(items, list):
            self._problem(path, None, "rules", "expected a mapping with a `rules:` list")
            return []
        if path.stem not in topics:
            self._problem(path, None, None, f"file name {path.stem!r} is not a topic in topics.yaml")
        rules = []
        for i, item in enumerate(items):
            rule = self._rule(path, i, item, sources)
            if rule is not None:
                rules.append(rule)
        return rules

    def _rule(self, path: Path, index: int, item: Any, sources: dict[str, Source]) -> Rule | None:
        if not isinstance(item, dict):
            self._problem(path, f"#{index + 1}", None, "a rule must be a mapping")
            return None
        rid = item.get("id")
        if not isinstance(rid, str) or not _ID.match(rid) or len(rid) > MAX_RULE_ID:
            self._problem(
                path, f"#{index + 1}", "id", f"must be kebab-case (a-z, 0-9, -), <= {MAX_RULE_ID} chars: {rid!r}"
            )
            return None
        before = len(self.problems)

        def bad(fld: str, message: str) -> None:
            self._problem(path, rid, fld, message)

        for key in sorted(set(item) - _RULE_KEYS):
            bad(key, "unknown field")
        topic = item.get("topic")
        if topic != path.stem:
            bad("topic", f"must be {path.stem!r} (the file's topic), got {topic!r}")
        verdict = item.get("verdict")
        if verdict not in VERDICTS:
            bad("verdict", f"must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        title = _text(item.get("title"))
        if not title:
            bad("title", "missing or empty")
        answer = _text(item.get("answer"))
        if not answer:
            bad("answer", "missing or empty")
        questions = _strings(item.get("questions"))
        if questions is None:
            bad("questions", "must be a list of strings")
            questions = ()
        elif len(set(questions)) < MIN_QUESTIONS:
            bad("questions", f"needs at least {MIN_QUESTIONS} different phrasings, has {len(set(questions))}")
        keywords = _strings(item.get("keywords", []))
        if keywords is None:
            bad("keywords", "must be a list of strings")
        related = _strings(item.get("related", []))
        if related is None:
            bad("related", "must be a list of rule ids")
        sanction = _text(item.get("sanction"))
        if verdict == "dilarang" and not sanction:
            bad("sanction", "a prohibited act must say what the violator risks (and its basis)")
        basis = self._basis(path, rid, item.get("basis"), sources)
        en = self._translation(path, rid, item.get("en"))
        if len(self.problems) > before:
            return None
        return Rule(
            id=rid, topic=str(topic), verdict=str(verdict), title=title, questions=tuple(questions),
            answer=answer, basis=basis, sanction=sanction or None, caveat=_text(item.get("caveat")) or None,
            keywords=tuple(keywords or ()), related=tuple(related or ()), en=en,
        )  # fmt: skip

    def _basis(self, path: Path, rid: str, raw: Any, sources: dict[str, Source]) -> tuple[Basis, ...]:
        if not isinstance(raw, list) or not raw:
            self._problem(path, rid, "basis", "needs at least one {source, article, quote}")
            return ()
        out = []
        for i, item in enumerate(raw):
            fld = f"basis[{i}]"
            if not isinstance(item, dict):
                self._problem(path, rid, fld, "must be a mapping {source, article, quote}")
                continue
            for key in sorted(set(item) - _BASIS_KEYS):
                self._problem(path, rid, f"{fld}.{key}", "unknown field")
            source, article = item.get("source"), _text(item.get("article"))
            if source not in sources:
                self._problem(path, rid, f"{fld}.source", f"unknown source {source!r} (not in sources.yaml)")
            if not article:
                self._problem(path, rid, f"{fld}.article", "missing: cite the article (Pasal ... ayat ...)")
            elif not _ARTICLE.match(article):
                self._problem(path, rid, f"{fld}.article", f"expected 'Pasal N ...', got {article!r}")
            verified = item.get("verified", True)
            if not isinstance(verified, bool):
                self._problem(path, rid, f"{fld}.verified", "must be true or false")
            elif verified and self.laws_dir is not None and not (self.laws_dir / f"{source}.md").is_file():
                self._problem(path, rid, f"{fld}.verified", f"no text of {source} to check: set verified: false")
            quote = _text(item.get("quote")) or None
            out.append(Basis(str(source), article, quote, bool(verified)))
        return tuple(out)

    def _translation(self, path: Path, rid: str, raw: Any) -> Translation | None:
        if not isinstance(raw, dict):
            self._problem(path, rid, "en", "needs an English block {title, answer, questions}")
            return None
        for key in sorted(set(raw) - _EN_KEYS):
            self._problem(path, rid, f"en.{key}", "unknown field")
        title, answer = _text(raw.get("title")), _text(raw.get("answer"))
        questions = _strings(raw.get("questions")) or ()
        if not title:
            self._problem(path, rid, "en.title", "missing or empty")
        if not answer:
            self._problem(path, rid, "en.answer", "missing or empty")
        if len(questions) < MIN_EN_QUESTIONS:
            self._problem(path, rid, "en.questions", f"needs at least {MIN_EN_QUESTIONS} English questions")
        return Translation(
            title, answer, tuple(questions), _text(raw.get("caveat")) or None, _text(raw.get("sanction")) or None
        )


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _strings(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return [" ".join(v.split()) for v in value]
