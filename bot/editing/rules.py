"""The rules in service, kept as revisions in the database, so every change has an author, a time and a
note, and any revision can be restored.

The YAML in knowledge/ seeds an empty database. After that, edits from Telegram, rollbacks, retirements,
phrasings taught through /unanswered and `kb import` each add revisions. Every change is checked against
the schema together with all the other rules (bot/qa/kb.py) inside the write transaction: a change that would
add a problem is refused whole, with the reasons. Nothing here knows Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.qa.kb import Entry, KnowledgeBase, Problem, Rule, Source, Topic, assemble, rule_item
from bot.storage.database import Database
from bot.storage.rules import Revision, RuleStore, RuleWriter

log = logging.getLogger(__name__)

SEED_AUTHOR = "knowledge/"
IN_DATABASE = "database"
EDIT = "edit"


class RuleError(Exception):
    """A change refused; `reasons` says why, one line each."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class Unchanged(RuleError):
    def __init__(self) -> None:
        super().__init__(["tidak ada perubahan"])


@dataclass(frozen=True)
class ImportSummary:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    untouched: int  # rules in the database that the import does not mention, left as they are


class RuleService:
    def __init__(self, store: Database, sources: dict[str, Source], topics: dict[str, Topic]) -> None:
        self.revisions = RuleStore(store)
        self.sources = sources
        self.topics = topics
        self._listeners: list[Callable[[], Awaitable[object]]] = []

    def on_change(self, listener: Callable[[], Awaitable[object]]) -> None:
        """Call `listener` after every change this service commits (bot/editing/serving.py reloads)."""
        self._listeners.append(listener)

    async def _changed(self) -> None:
        for listener in self._listeners:
            await listener()

    async def open(self, seed: Iterable[Rule]) -> None:
        """Seed an empty database from the YAML, and turn phrasings taught before revisions existed into
        revisions."""
        async with self.revisions.writing() as tx:
            if await tx.version() == 0:
                for rule in seed:
                    await tx.insert(rule_item(rule), 1, SEED_AUTHOR, None)
            await self._fold_learned_phrasings(tx)

    async def differences(self, rules: Iterable[Rule]) -> list[str]:
        """Ids of `rules` (say, the YAML in knowledge/) that the database has otherwise or not at all."""
        current = await self.revisions.current()
        return [r.id for r in rules if r.id not in current or current[r.id].item != rule_item(r)]

    async def version(self) -> int:
        """Grows with every change, from this process or another (`kb import`): a running bot polls it."""
        return await self.revisions.version()

    async def knowledge(self) -> tuple[int, KnowledgeBase]:
        """The rules in service, with the version they are at. A stored rule that no longer passes the
        schema (say sources.yaml dropped its source) is left out and logged, not served half-checked."""
        version = await self.version()  # read first: a change landing meanwhile only causes one more reload
        kb = self._check((await self.revisions.current()).values())
        for problem in kb.problems:
            log.warning("rule left out of service: %s", problem)
        return version, kb

    async def current(self, rule_id: str) -> Revision | None:
        return await self.revisions.latest(rule_id)

    async def history(self, rule_id: str) -> list[Revision]:
        return await self.revisions.history(rule_id)

    async def revision(self, rule_id: str, number: int) -> Revision | None:
        return await self.revisions.revision(rule_id, number)

    async def all_rules(self) -> list[Rule]:
        """Every rule as it stands, retired ones included, in their order (for export and listings)."""
        current = await self.revisions.current()
        kb = self._check(current.values())
        return [rule for rid in current if (rule := kb.any_rule(rid)) is not None]

    async def preview(self, item: dict[str, Any]) -> Rule:
        """The rule `item` would become, checked with all the others; RuleError if it would be refused."""
        current = await self.revisions.current()
        return (await asyncio.to_thread(self._apply, current, [item]))[0][0]  # checked with every rule: off the loop

    async def save(self, item: dict[str, Any], author: str, note: str | None, base: int | None = None) -> Revision:
        """`item` as the rule's next revision. `base` is the revision the editor started from: if someone
        saved another since, the change is refused rather than silently overwriting theirs."""
        async with self.revisions.writing() as tx:
            current = await tx.current()
            rule_id = str(item.get("id"))
            latest = current[rule_id].revision if rule_id in current else 0
            if base is not None and base != latest:
                raise RuleError([f"aturan {rule_id} sudah diubah orang lain (kini revisi {latest}): buka lagi"])
            [(rule, old)] = await asyncio.to_thread(self._apply, current, [item])
            if old is not None and rule_item(rule) == old.item:
                raise Unchanged()
            revision = await tx.insert(rule_item(rule), latest + 1, author, note)
        await self._changed()
        return revision

    async def rollback(self, rule_id: str, number: int, author: str) -> Revision:
        old = await self.revision(rule_id, number)
        if old is None:
            raise RuleError([f"aturan {rule_id} tidak punya revisi {number}"])
        return await self.save(old.item, author, f"rollback ke revisi {number}")

    async def add_phrasing(self, rule_id: str, text: str, author: str) -> bool:
        """Teach a rule one more question phrasing (from /unanswered). False if it already had it."""
        async with self.revisions.writing() as tx:
            current = await tx.current()
            if rule_id not in current:
                return False
            added = await self._add_phrasing(tx, current[rule_id], text, author)
        if added:
            await self._changed()
        return added

    async def import_entries(self, entries: list[Entry], author: str, note: str | None) -> ImportSummary:
        """Rules read from a folder, as new revisions where they differ: all of them, or (with the
        reasons) none."""
        async with self.revisions.writing() as tx:
            current = await tx.current()
            items, where = [e.item for e in entries], [e.where for e in entries]
            applied = await asyncio.to_thread(self._apply, current, items, where=where)
            added, changed, unchanged = [], [], 0
            for rule, old in applied:
                item = rule_item(rule)
                if old is not None and item == old.item:
                    unchanged += 1
                    continue
                await tx.insert(item, (old.revision if old else 0) + 1, author, note)
                (changed if old else added).append(rule.id)
        if added or changed:
            await self._changed()
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
            raise RuleError([f"aturan {i} muncul lebih dari sekali" for i in duplicates])
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

    async def _add_phrasing(self, tx: RuleWriter, old: Revision, text: str, author: str) -> bool:
        text = " ".join(text.split())
        if text in old.item["questions"]:
            return False
        item = {**old.item, "questions": [*old.item["questions"], text]}
        await tx.insert(item, old.revision + 1, author, "frasa baru dari /unanswered")
        return True

    async def _fold_learned_phrasings(self, tx: RuleWriter) -> None:
        """Phrasings taught before revisions existed (migration 4's table) become revisions, and the table goes."""
        for phrasing in await tx.learned_phrasings():
            current = await tx.current()
            if phrasing.rule_id in current:
                await self._add_phrasing(tx, current[phrasing.rule_id], phrasing.text, phrasing.added_by)
        await tx.drop_learned_phrasings()


def _reason(problem: Problem) -> str:
    """A problem as an editor reads it: the field and what is wrong, for the rule being edited."""
    if problem.file == EDIT:
        return f"{problem.field}: {problem.text('id')}" if problem.field else problem.text("id")
    return problem.describe("id")


def changed_keys(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The top-level fields that differ between two revisions' items (all of them for a first one)."""
    if old is None:
        return list(new)
    return [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
