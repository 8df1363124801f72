"""The rules in service, kept as revisions in the database, so every change has an author, a time and a
note, and any revision can be restored.

The YAML in knowledge/ seeds an empty database. After that, edits from Telegram, rollbacks, retirements,
phrasings taught through /unanswered and `kb import` each add revisions. Every change is checked against
the schema together with all the other rules (bot/qa/kb.py) inside the write transaction: a change that would
add a problem is refused whole, with the reasons. Nothing here knows Telegram.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.qa.kb import Entry, KnowledgeBase, Problem, Rule, Source, Topic, assemble, rule_item
from bot.storage.sqlite import SqliteStore, now_iso

log = logging.getLogger(__name__)

SEED_AUTHOR = "knowledge/"
IN_DATABASE = "database"
EDIT = "edit"


@dataclass(frozen=True)
class Revision:
    rule_id: str
    revision: int
    item: dict[str, Any]  # the rule in the YAML schema
    author: str  # an admin's Telegram id, or what else made it (knowledge/, kb import)
    created_at: str
    note: str | None

    @property
    def retired(self) -> bool:
        return bool(self.item.get("retired"))


class RuleError(Exception):
    """A change refused; `reasons` says why, one line each."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class Unchanged(RuleError):
    def __init__(self) -> None:
        super().__init__(["no change"])


@dataclass(frozen=True)
class ImportSummary:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    untouched: int  # rules in the database that the import does not mention, left as they are


class RuleService:
    def __init__(self, store: SqliteStore, sources: dict[str, Source], topics: dict[str, Topic]) -> None:
        self.store = store
        self.sources = sources
        self.topics = topics

    async def open(self, seed: Iterable[Rule]) -> None:
        """Seed an empty database from the YAML, and turn phrasings taught before revisions existed into
        revisions."""
        async with self.store.transaction() as db:
            if await _version(db) == 0:
                for rule in seed:
                    await _insert(db, rule_item(rule), 1, SEED_AUTHOR, None)
            await self._fold_learned_phrasings(db)

    async def differences(self, rules: Iterable[Rule]) -> list[str]:
        """Ids of `rules` (say, the YAML in knowledge/) that the database has otherwise or not at all."""
        current = await _current(self.store.reader)
        return [r.id for r in rules if r.id not in current or current[r.id].item != rule_item(r)]

    async def version(self) -> int:
        """Grows with every change, from this process or another (`kb import`): a running bot polls it."""
        return await _version(self.store.reader)

    async def knowledge(self) -> tuple[int, KnowledgeBase]:
        """The rules in service, with the version they are at. A stored rule that no longer passes the
        schema (say sources.yaml dropped its source) is left out and logged, not served half-checked."""
        version = await self.version()  # read first: a change landing meanwhile only causes one more reload
        kb = self._check((await _current(self.store.reader)).values())
        for problem in kb.problems:
            log.warning("rule left out of service: %s", problem)
        return version, kb

    async def current(self, rule_id: str) -> Revision | None:
        rows = await self.store.fetchall(
            "SELECT * FROM rule_revisions WHERE rule_id = ? ORDER BY revision DESC LIMIT 1", (rule_id,)
        )
        return _revision(rows[0]) if rows else None

    async def history(self, rule_id: str) -> list[Revision]:
        rows = await self.store.fetchall(
            "SELECT * FROM rule_revisions WHERE rule_id = ? ORDER BY revision DESC", (rule_id,)
        )
        return [_revision(row) for row in rows]

    async def revision(self, rule_id: str, number: int) -> Revision | None:
        row = await self.store.fetchone(
            "SELECT * FROM rule_revisions WHERE rule_id = ? AND revision = ?", (rule_id, number)
        )
        return _revision(row) if row else None

    async def all_rules(self) -> list[Rule]:
        """Every rule as it stands, retired ones included, in their order (for export and listings)."""
        current = await _current(self.store.reader)
        kb = self._check(current.values())
        return [rule for rid in current if (rule := kb.any_rule(rid)) is not None]

    async def preview(self, item: dict[str, Any]) -> Rule:
        """The rule `item` would become, checked with all the others; RuleError if it would be refused."""
        current = await _current(self.store.reader)
        return (await asyncio.to_thread(self._apply, current, [item]))[0][0]  # checked with every rule: off the loop

    async def save(self, item: dict[str, Any], author: str, note: str | None, base: int | None = None) -> Revision:
        """`item` as the rule's next revision. `base` is the revision the editor started from: if someone
        saved another since, the change is refused rather than silently overwriting theirs."""
        async with self.store.transaction() as db:
            current = await _current(db)
            rule_id = str(item.get("id"))
            latest = current[rule_id].revision if rule_id in current else 0
            if base is not None and base != latest:
                raise RuleError([f"rule {rule_id} changed meanwhile (now revision {latest}): open it again"])
            [(rule, old)] = await asyncio.to_thread(self._apply, current, [item])
            if old is not None and rule_item(rule) == old.item:
                raise Unchanged()
            return await _insert(db, rule_item(rule), latest + 1, author, note)

    async def rollback(self, rule_id: str, number: int, author: str) -> Revision:
        old = await self.revision(rule_id, number)
        if old is None:
            raise RuleError([f"rule {rule_id} has no revision {number}"])
        return await self.save(old.item, author, f"rollback ke revisi {number}")

    async def add_phrasing(self, rule_id: str, text: str, author: str) -> bool:
        """Teach a rule one more question phrasing (from /unanswered). False if it already had it."""
        async with self.store.transaction() as db:
            current = await _current(db)
            if rule_id not in current:
                return False
            return await self._add_phrasing(db, current[rule_id], text, author)

    async def import_entries(self, entries: list[Entry], author: str, note: str | None) -> ImportSummary:
        """Rules read from a folder, as new revisions where they differ: all of them, or (with the
        reasons) none."""
        async with self.store.transaction() as db:
            current = await _current(db)
            items, where = [e.item for e in entries], [e.where for e in entries]
            applied = await asyncio.to_thread(self._apply, current, items, where=where)
            added, changed, unchanged = [], [], 0
            for rule, old in applied:
                item = rule_item(rule)
                if old is not None and item == old.item:
                    unchanged += 1
                    continue
                await _insert(db, item, (old.revision if old else 0) + 1, author, note)
                (changed if old else added).append(rule.id)
        mentioned = {rule.id for rule, _old in applied}
        return ImportSummary(tuple(added), tuple(changed), unchanged, len(set(current) - mentioned))

    def _check(self, revisions: Iterable[Revision], extra: Iterable[Entry] = ()) -> KnowledgeBase:
        entries = [Entry(IN_DATABASE, r.item) for r in revisions]
        return assemble(self.sources, self.topics, [*entries, *extra])

    def _apply(
        self, current: dict[str, Revision], items: list[dict[str, Any]], where: list[str] | None = None
    ) -> list[tuple[Rule, Revision | None]]:
        """Check `items` in place of the rules they name, against everything else; RuleError listing every
        problem the change would add."""
        where = where or [EDIT] * len(items)
        ids = [str(item.get("id")) if isinstance(item, dict) else "" for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RuleError([f"rule {i} appears more than once" for i in duplicates])
        before = {str(p) for p in self._check(current.values()).problems}
        others = [r for rid, r in current.items() if rid not in ids]
        kb = self._check(others, [Entry(w, item) for w, item in zip(where, items, strict=True)])
        added = [_reason(p) for p in kb.problems if str(p) not in before]
        if added:
            raise RuleError(added)
        applied = []
        for rid in ids:
            rule = kb.any_rule(rid)
            if rule is None:  # it had these problems before the change, too
                raise RuleError([_reason(p) for p in kb.problems if p.rule_id == rid])
            applied.append((rule, current.get(rid)))
        return applied

    async def _add_phrasing(self, db: aiosqlite.Connection, old: Revision, text: str, author: str) -> bool:
        text = " ".join(text.split())
        if text in old.item["questions"]:
            return False
        item = {**old.item, "questions": [*old.item["questions"], text]}
        await _insert(db, item, old.revision + 1, author, "frasa baru dari /unanswered")
        return True

    async def _fold_learned_phrasings(self, db: aiosqlite.Connection) -> None:
        async with db.execute("SELECT rule_id, text, added_by FROM learned_phrasings ORDER BY id") as cur:
            rows = list(await cur.fetchall())
        for row in rows:
            current = await _current(db)
            if row["rule_id"] in current:
                await self._add_phrasing(db, current[row["rule_id"]], row["text"], str(row["added_by"]))
        await db.execute("DELETE FROM learned_phrasings")


def _reason(problem: Problem) -> str:
    """A problem as an editor reads it: the field and what is wrong, for the rule being edited."""
    if problem.file == EDIT:
        return f"{problem.field}: {problem.message}" if problem.field else problem.message
    return str(problem)


async def _version(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COALESCE(MAX(id), 0) FROM rule_revisions") as cur:
        row = await cur.fetchone()
    return int(row[0])


async def _current(db: aiosqlite.Connection) -> dict[str, Revision]:
    """The latest revision of every rule, in the order the rules were first added."""
    sql = (
        "SELECT r.* FROM rule_revisions r JOIN (SELECT rule_id, MAX(revision) AS last, MIN(id) AS first "
        "FROM rule_revisions GROUP BY rule_id) m ON r.rule_id = m.rule_id AND r.revision = m.last ORDER BY m.first"
    )
    async with db.execute(sql) as cur:
        return {row["rule_id"]: _revision(row) for row in await cur.fetchall()}


async def _insert(
    db: aiosqlite.Connection, item: dict[str, Any], number: int, author: str, note: str | None
) -> Revision:
    created = now_iso()
    await db.execute(
        "INSERT INTO rule_revisions (rule_id, revision, body, author, created_at, note) VALUES (?, ?, ?, ?, ?, ?)",
        (item["id"], number, json.dumps(item, ensure_ascii=False), author, created, note),
    )
    return Revision(item["id"], number, item, author, created, note)


def _revision(row: aiosqlite.Row) -> Revision:
    return Revision(
        row["rule_id"], row["revision"], json.loads(row["body"]), row["author"], row["created_at"], row["note"]
    )


def changed_keys(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The top-level fields that differ between two revisions' items (all of them for a first one)."""
    if old is None:
        return list(new)
    return [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
