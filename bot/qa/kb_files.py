"""The knowledge base as a folder of YAML files: reading it (`load_knowledge`, `read_entries`) and writing
the rules back in the same schema and layout (`write_knowledge`), so an export can be reviewed as a diff,
committed, or imported again.

Every YAML the project reads from a file or an editor goes through `NoAnchorLoader`: the safe loader, with
anchors and aliases refused. One alias can stand for a value millions of times the text's size (the
"billion laughs"), which a check that formats the value would then expand (security review, finding 8).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.qa.kb import (
    SOURCE_STATUSES,
    Entry,
    KnowledgeBase,
    KnowledgeError,
    Problem,
    Rule,
    Source,
    Topic,
    assemble,
    rule_item,
    shown,
)

ANCHORS_REFUSED = "anchors and aliases (&name, *name) are not allowed"


class AnchorError(yaml.MarkedYAMLError):
    """The YAML has an anchor or an alias; `problem_mark` says where."""


def _refuse_anchor(event: yaml.Event) -> None:
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
        raise AnchorError(None, None, ANCHORS_REFUSED, event.start_mark)


class _Guarded:
    """What Python cannot build from YAML (an int of 5,000 digits, nesting past the recursion limit) comes
    out as a YAMLError, the one kind callers catch, rather than as ValueError or RecursionError."""

    def get_single_data(self) -> Any:
        try:
            return super().get_single_data()  # type: ignore[misc]
        except (ValueError, RecursionError) as exc:
            raise yaml.constructor.ConstructorError(None, None, str(exc)[:200], None) from None


class PythonNoAnchorLoader(_Guarded, yaml.SafeLoader):
    """The pure-Python safe loader, refusing anchors and aliases as it composes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        _refuse_anchor(self.peek_event())
        return super().compose_node(parent, index)


NoAnchorLoader: type = PythonNoAnchorLoader
if getattr(yaml, "__with_libyaml__", False):

    class CNoAnchorLoader(_Guarded, yaml.CSafeLoader):
        """libyaml's safe loader (several times faster, and it caps nesting), which composes in C: the text
        is first read as events, refusing anchors and aliases, when it has a `&` or `*` anywhere at all (no
        anchor or alias can be written without one, so most files skip that pass)."""

        def __init__(self, stream: Any) -> None:
            if not isinstance(stream, str | bytes):
                stream = stream.read()
            if any(mark in stream for mark in (("&", "*") if isinstance(stream, str) else (b"&", b"*"))):
                for event in yaml.parse(stream, Loader=yaml.CBaseLoader):
                    _refuse_anchor(event)
            super().__init__(stream)

    NoAnchorLoader = CNoAnchorLoader


def load_yaml(text: str) -> Any:
    """`text` read as YAML by `NoAnchorLoader`; yaml.YAMLError (AnchorError for anchors) if it cannot be."""
    return yaml.load(text, Loader=NoAnchorLoader)


SHARED_FILES = (
    "README.md", "sources.yaml", "topics.yaml", "lexicon.yaml", "slang.yaml", "provinces.yaml",
    "smalltalk.yaml", "out_of_scope.yaml", "matcher.yaml",
)  # fmt: skip
WIDTH = 118  # lines as long as the hand-written files'


def load_knowledge(root: Path, laws_dir: Path | None = None, strict: bool = True) -> KnowledgeBase:
    """Read and check the folder `root`. With `strict`, any problem raises KnowledgeError."""
    reader = _Folder(root)
    sources, topics = reader.sources(), reader.topics()
    entries = reader.entries(topics)
    kb = assemble(sources, topics, entries, laws_dir, reader.problems)
    if strict and kb.problems:
        raise KnowledgeError(kb.problems)
    return kb


def read_entries(root: Path, topics: dict[str, Topic]) -> tuple[list[Entry], list[Problem]]:
    """The rules of `root/rules/*.yaml`, unchecked, for `kb import`; and what could not be read."""
    reader = _Folder(root)
    return reader.entries(topics, require_all_topics=False), reader.problems


def write_knowledge(rules: Iterable[Rule], topics: dict[str, Topic], source_dir: Path, dest: Path) -> int:
    """`dest` becomes a complete knowledge folder: one rules file per topic (retired rules included, marked
    `retired: true`), and the files rules do not live in copied from `source_dir`. Returns the rule count."""
    by_topic: dict[str, list[dict[str, Any]]] = {t: [] for t in topics}
    for rule in rules:
        by_topic.setdefault(rule.topic, []).append(rule_item(rule))
    (dest / "rules").mkdir(parents=True, exist_ok=True)
    for topic, items in by_topic.items():
        (dest / "rules" / f"{topic}.yaml").write_text(dump_rules(items), encoding="utf-8")
    for name in SHARED_FILES:
        src, dst = source_dir / name, dest / name
        if src.is_file() and src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
    return sum(len(items) for items in by_topic.values())


def dump_rules(items: list[dict[str, Any]]) -> str:
    """YAML laid out as the hand-written files are (two-space lists, long text folded at 118 columns,
    keywords and related on one line), so an export of unchanged rules reads as an unchanged file."""
    lines = ["rules:"]
    for n, item in enumerate(items):
        lines += [""] if n else []
        lines += _mapping(item, indent=2, first="- ")
    return "\n".join(lines) + "\n"


def _mapping(item: dict[str, Any], indent: int, first: str = "") -> list[str]:
    lines: list[str] = []
    for n, (key, value) in enumerate(item.items()):
        lead = " " * indent + (first if n == 0 else " " * len(first))
        if isinstance(value, dict):
            lines.append(f"{lead}{key}:")
            lines += _mapping(value, indent + len(first) + 2)
        elif isinstance(value, list) and key in ("keywords", "related"):
            lines.append(f"{lead}{key}: {_inline(value)}")
        elif isinstance(value, list):
            lines.append(f"{lead}{key}:")
            pad = " " * (indent + len(first) + 2)
            for element in value:
                if isinstance(element, dict):
                    lines += _mapping(element, indent + len(first) + 2, first="- ")
                else:
                    lines.append(f"{pad}- {_inline(element)}")
        else:
            lines += _scalar(lead, key, value, indent + len(first) + 2)
    return lines


def _scalar(lead: str, key: str, value: Any, indent: int) -> list[str]:
    inline = f"{lead}{key}: {_inline(value)}"
    if not isinstance(value, str) or len(inline) <= WIDTH + 2:
        return [inline]
    wrapped = textwrap.wrap(value, WIDTH - indent, break_long_words=False, break_on_hyphens=False)
    return [f"{lead}{key}: >-", *(" " * indent + line for line in wrapped)]


def _inline(value: Any) -> str:
    """A value on one line, quoted only where YAML needs it."""
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**9).removesuffix("\n...\n").strip()
    )


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def _problem(self, path: Path, rule_id: str | None, fld: str | None, key: str, **values: object) -> None:
        self.problems.append(Problem(self._display(path), rule_id, fld, key, values))

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def _yaml(self, path: Path) -> Any:
        try:
            return load_yaml(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self._problem(path, None, None, "file_missing")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", exc)
            if mark:
                self._problem(path, None, None, "bad_yaml_at", line=mark.line + 1, problem=problem)
            else:
                self._problem(path, None, None, "bad_yaml", problem=problem)
        return None

    def _list(self, path: Path, key: str) -> list[Any]:
        """The list under `key` in a YAML file; empty, with the problem noted, if there is none."""
        data = self._yaml(path)
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            if data is not None:
                self._problem(path, None, key, "no_list", key=key)
            return []
        return items

    def entries(self, topics: dict[str, Topic], require_all_topics: bool = True) -> list[Entry]:
        rule_files = sorted((self.root / "rules").glob("*.yaml"))
        if not rule_files:
            self._problem(self.root / "rules", None, None, "no_rule_files")
        entries = []
        for path in rule_files:
            items = self._list(path, "rules")
            if path.stem not in topics:
                self._problem(path, None, None, "file_not_topic", name=repr(path.stem))
            entries += [Entry(self._display(path), item, path.stem) for item in items]
        if require_all_topics:
            for topic in topics:
                if not (self.root / "rules" / f"{topic}.yaml").is_file():
                    self._problem(self.root / "topics.yaml", None, "topics", "topic_without_file", topic=repr(topic))
        return entries

    def sources(self) -> dict[str, Source]:
        path = self.root / "sources.yaml"
        out: dict[str, Source] = {}
        for i, item in enumerate(self._list(path, "sources")):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self._problem(path, None, f"sources[{i}]", "source_without_id")
                continue
            sid = item["id"]
            for key in ("short", "title", "status"):
                if not isinstance(item.get(key), str) or not item[key].strip():
                    self._problem(path, sid, key, "empty")
            status = item.get("status")
            if status not in SOURCE_STATUSES:
                self._problem(path, sid, "status", "bad_status", choices=", ".join(SOURCE_STATUSES))
            if status == "dicabut" and not item.get("replaced_by"):
                self._problem(path, sid, "replaced_by", "revoked_unreplaced")
            if sid in out:
                self._problem(path, sid, "id", "duplicate_source")
            out[sid] = Source(
                sid, str(item.get("short", "")), str(item.get("title", "")).strip(),
                item.get("url"), str(status), item.get("replaced_by"), item.get("note"),
            )  # fmt: skip
        for src in out.values():
            if src.replaced_by and (not isinstance(src.replaced_by, str) or src.replaced_by not in out):
                self._problem(path, src.id, "replaced_by", "unknown_source", value=shown(src.replaced_by))
        return out

    def topics(self) -> dict[str, Topic]:
        path = self.root / "topics.yaml"
        out: dict[str, Topic] = {}
        for item in self._list(path, "topics"):
            if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("id", "title", "en")):
                out[item["id"]] = Topic(item["id"], item["title"], item["en"])
            else:
                self._problem(path, None, "topics", "bad_topic", value=shown(item))
        return out
