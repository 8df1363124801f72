"""The election calendar in service, kept as revisions in the database like the rules: knowledge/calendar.yaml
seeds an empty database; `kb import` and an editor's upload in Telegram (/calendar) add revisions, each checked
whole first (bot/qa/calendar.py), so a calendar with a problem is refused with its reasons and never served.
Nothing here knows Telegram."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from bot.qa.calendar import CALENDAR_FILE, Calendar, read_calendar
from bot.qa.kb_files import load_yaml
from bot.storage.calendar import CalendarRevision, CalendarStore
from bot.storage.database import Database

SEED_AUTHOR = "knowledge/"
MAX_CALENDAR_BYTES = 256 * 1024  # a calendar of every regional election is a few dozen KB


class CalendarError(Exception):
    """A calendar refused; `reasons` says why, one line each."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def check_calendar(text: str, provinces: Iterable[str], rule_ids: Iterable[str]) -> Calendar:
    """`text` read as calendar.yaml; CalendarError with every problem, if it has any."""
    if len(text.encode()) > MAX_CALENDAR_BYTES:
        raise CalendarError([f"{CALENDAR_FILE}: larger than {MAX_CALENDAR_BYTES // 1024} KB"])
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise CalendarError([f"{CALENDAR_FILE}: not readable YAML ({str(exc).splitlines()[0]})"]) from None
    calendar = read_calendar(data, set(provinces), set(rule_ids))
    if calendar.problems:
        raise CalendarError(list(calendar.problems))
    return calendar


class CalendarService:
    def __init__(self, store: Database, provinces: Iterable[str]) -> None:
        self.revisions = CalendarStore(store)
        self.provinces = frozenset(provinces)

    async def open(self, seed: str | None) -> None:
        """An empty database starts with knowledge/calendar.yaml (`seed`), as it is."""
        if seed is not None:
            await self.revisions.insert(seed, SEED_AUTHOR, None, unless_any=True)

    async def number(self) -> int:
        return await self.revisions.number()

    async def current(self) -> CalendarRevision | None:
        return await self.revisions.latest()

    def read(self, revision: CalendarRevision | None, rule_ids: Iterable[str]) -> Calendar:
        """A stored revision as the bot serves it: a problem it has now (a reminder's rule was retired since)
        leaves that part out, as `read_calendar` does, rather than the whole calendar."""
        if revision is None:
            return Calendar(())
        try:
            return read_calendar(load_yaml(revision.text) or {}, set(self.provinces), set(rule_ids))
        except yaml.YAMLError:
            return Calendar((), (f"{CALENDAR_FILE}: revision {revision.revision} is not readable YAML",))

    async def save(self, text: str, rule_ids: Iterable[str], author: str, note: str | None) -> CalendarRevision | None:
        """`text` as the next revision once it passes every check (CalendarError if not); None if it is what is
        served already."""
        check_calendar(text, self.provinces, rule_ids)
        return await self.revisions.insert(text, author, note)
