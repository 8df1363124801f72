"""The corpus of real questions (corpus/questions.yaml): loading it, its fixed split, and merging new finds.

Every item is a question as someone published it, with where and when, and what the source answered;
`expect` is what Netra should answer, judged against the law (shared/reference/legal-digest.md), which is not
always what the source said. Half the items are held out: never tuned on, and every figure is reported on
them. Which half an item is in follows from its id alone (`split_of`), so adding items never moves one.

    python -m bench.corpus merge corpus/collect/*.yaml   # add newly collected items (duplicates skipped)
    python -m bench.corpus check                         # ids, splits and fields as they must be
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "questions.yaml"
SPLIT_SALT = b"netra-corpus-split-v1:"  # fixed on 2026-12-01, before any tuning; never change it
SOURCE_VERDICTS = ("boleh", "dilarang", "bersyarat", "info", "out", "none")
FIELDS = ("q", "url", "title", "published", "source_kind", "asked_by", "answered_by", "verdict", "answer",
          "rephrased", "note")  # fmt: skip


def normalised(question: str) -> str:
    """The question as compared for duplicates: case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def item_id(question: str) -> str:
    return "c-" + hashlib.sha1(normalised(question).encode()).hexdigest()[:8]


def split_of(identifier: str) -> str:
    return "heldout" if hashlib.sha256(SPLIT_SALT + identifier.encode()).digest()[0] % 2 == 0 else "tuning"


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    split: str
    source_verdict: str
    expect: dict[str, Any] | None  # kind, verdicts, rules, sources (None until labelled)
    raw: dict[str, Any]


def load(path: Path = CORPUS) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Question(raw["id"], raw["q"], raw["split"], raw["verdict"], raw.get("expect"), raw)
        for raw in data.get("items", [])
    ]


def problems(items: list[Question]) -> list[str]:
    found, seen = [], set()
    for item in items:
        if item.id != item_id(item.q):
            found.append(f"{item.id}: id does not follow from the question")
        if item.split != split_of(item.id):
            found.append(f"{item.id}: split {item.split} is not the fixed one ({split_of(item.id)})")
        if item.id in seen:
            found.append(f"{item.id}: duplicate")
        seen.add(item.id)
        if item.source_verdict not in SOURCE_VERDICTS:
            found.append(f"{item.id}: verdict {item.source_verdict!r}")
        if not str(item.raw.get("url") or "").startswith("http"):
            found.append(f"{item.id}: no source url")
    return found


def merge(new_files: list[Path], path: Path = CORPUS) -> tuple[int, int]:
    """Append the items of `new_files` not already in the corpus; returns (added, skipped as duplicates)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {"items": []}
    known = {item["id"] for item in data["items"]}
    added = skipped = 0
    for file in new_files:
        for raw in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            identifier = item_id(str(raw["q"]))
            if identifier in known:
                skipped += 1
                continue
            known.add(identifier)
            item = {"id": identifier, "split": split_of(identifier)}
            item |= {key: raw.get(key) for key in FIELDS}
            item["q"] = str(raw["q"]).strip()
            if isinstance(item["published"], object) and item["published"] is not None:
                item["published"] = str(item["published"])
            data["items"].append(item)
            added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    header = path.read_text(encoding="utf-8").split("\nitems:")[0] + "\n" if path.exists() else ""
    body = yaml.safe_dump({"items": data["items"]}, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")
    return added, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("merge").add_argument("files", nargs="+", type=Path)
    sub.add_parser("check")
    args = parser.parse_args(argv)
    if args.command == "merge":
        added, skipped = merge(args.files)
        print(f"{added} added, {skipped} already in the corpus")
        return 0
    items = load()
    for problem in problems(items):
        print(problem)
    halves = {s: sum(1 for i in items if i.split == s) for s in ("heldout", "tuning")}
    print(f"{len(items)} questions: {halves['heldout']} held out, {halves['tuning']} for tuning")
    return 1 if problems(items) else 0


if __name__ == "__main__":
    sys.exit(main())
