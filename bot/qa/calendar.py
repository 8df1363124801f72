"""The election calendar (knowledge/calendar.yaml): elections, their stages, and the KPU decisions behind them.

Which stage a day falls in changes some answers: before KPU determines the candidates, someone seeking a
nomination is a *bakal calon*, and the SKB 2022 judges support for a bakal calon (an ethics matter) apart from
support for a *calon* (a discipline matter). The report form uses it to tell which election an incident belongs
to, and the bot announces each stage as it starts. Only schedules KPU has set are in the file; a day outside
every election gets no stage, never a guess.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.qa.kb_files import NoAnchorLoader

CALENDAR_FILE = "calendar.yaml"
KINDS = ("pemilu", "pilkada")
STAGE_KINDS = ("registration", "determination", "campaign", "quiet", "voting", "counting")
_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_ELECTION_KEYS = {"id", "kind", "name", "en", "region", "source", "stages"}
_STAGE_KEYS = {"kind", "name", "en", "start", "end", "source"}
_SOURCE_KEYS = {"title", "checked", "reports"}


@dataclass(frozen=True)
class Source:
    title: str
    checked: bool  # the dates were read from the decision itself; else from `reports` quoting it
    reports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    kind: str
    name: str
    en: str
    start: date
    end: date
    source: Source | None = None  # when not the election's

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Election:
    id: str
    kind: str  # pemilu | pilkada
    name: str
    en: str
    region: str | None  # None: everywhere at once; else a province code
    source: Source
    stages: tuple[Stage, ...]

    @property
    def start(self) -> date:
        return self.stages[0].start

    @property
    def end(self) -> date:
        return max(s.end for s in self.stages)

    def stages_on(self, day: date) -> list[Stage]:
        return [s for s in self.stages if s.holds(day)]

    def determinations(self, day: date) -> list[tuple[Stage, bool]]:
        """Each day KPU determines candidates, and whether `day` is on or after it (from then on a supporter
        backs a calon, before it a bakal calon); empty when `day` is outside the election. A Pemilu has two:
        the legislative lists and, later, the presidential tickets."""
        if not self.start <= day <= self.end:
            return []
        return [(s, day >= s.start) for s in self.stages if s.kind == "determination"]


@dataclass(frozen=True)
class Calendar:
    elections: tuple[Election, ...]
    problems: tuple[str, ...] = ()
    reminders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # stage kind -> rule ids to recall

    def on(self, day: date, region: str | None = None) -> list[tuple[Election, Stage]]:
        """The stages in force on `day` (for `region`: its own elections and those held everywhere)."""
        return [(e, s) for e in self._for(region) for s in e.stages_on(day)]

    def election_of(self, day: date, region: str | None = None) -> Election | None:
        """The one election whose stages span `day` (from its first stage's start to its last day), or None
        when none does or two do (a day of both a Pemilu and a Pilkada: the reporter says which)."""
        spans = [e for e in self._for(region) if e.start <= day <= e.end]
        return spans[0] if len(spans) == 1 else None

    def starting(self, day: date) -> list[tuple[Election, Stage]]:
        """The stages whose first day is `day` (the announcements of that morning)."""
        return [(e, s) for e in self.elections for s in e.stages if s.start == day]

    def _for(self, region: str | None) -> list[Election]:
        return [e for e in self.elections if e.region is None or region is None or e.region == region]


def load_calendar(knowledge_dir: Path, provinces: set[str] | None = None, rule_ids: set[str] | None = None) -> Calendar:
    """The calendar with every problem found (an election with a problem is left out); none if no file."""
    path = knowledge_dir / CALENDAR_FILE
    if not path.is_file():
        return Calendar(())
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=NoAnchorLoader) or {}
    except yaml.YAMLError as exc:
        return Calendar((), (f"{CALENDAR_FILE}: not readable YAML ({str(exc).splitlines()[0]})",))
    return read_calendar(data, provinces, rule_ids)


def read_calendar(data: Any, provinces: set[str] | None = None, rule_ids: set[str] | None = None) -> Calendar:
    """`provinces` and `rule_ids`, when given, are what regions and reminders may name."""
    problems: list[str] = []
    items = data.get("elections") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return Calendar((), (f"{CALENDAR_FILE}: needs a list `elections`",))
    elections: list[Election] = []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        where = f"{CALENDAR_FILE}: election {item.get('id') if isinstance(item, dict) else n}"
        found: list[str] = []
        election = _election(item, provinces, found)
        problems += [f"{where}: {p}" for p in found]
        if election is None or found:
            continue
        if election.id in seen:
            problems.append(f"{where}: the id is used twice")
            continue
        seen.add(election.id)
        elections.append(election)
    reminders = _reminders(data.get("reminders"), rule_ids, problems)
    return Calendar(tuple(elections), tuple(problems), reminders)


def _reminders(raw: Any, rule_ids: set[str] | None, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{CALENDAR_FILE}: reminders must map a kind of stage to rule ids")
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for kind, ids in raw.items():
        if kind not in STAGE_KINDS:
            problems.append(f"{CALENDAR_FILE}: reminders: {kind} is not a kind of stage ({', '.join(STAGE_KINDS)})")
        elif not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problems.append(f"{CALENDAR_FILE}: reminders: {kind} must be a list of rule ids")
        elif rule_ids is not None and (unknown := [i for i in ids if i not in rule_ids]):
            problems.append(f"{CALENDAR_FILE}: reminders: {kind} names no such rule: {', '.join(unknown)}")
        else:
            found[str(kind)] = tuple(ids)
    return found


def _election(item: Any, provinces: set[str] | None, problems: list[str]) -> Election | None:
    if not isinstance(item, dict):
        problems.append("must be a mapping")
        return None
    if unknown := set(item) - _ELECTION_KEYS:
        problems.append(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    eid, kind = str(item.get("id") or ""), item.get("kind")
    if not _ID.fullmatch(eid):
        problems.append("id must be lowercase letters, digits and hyphens")
    if kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    name, en = _text(item.get("name")), _text(item.get("en"))
    if not name or not en:
        problems.append("needs a name and an English name (en)")
    region = item.get("region")
    region = None if region in (None, "") else str(region)
    if region is not None and provinces is not None and region not in provinces:
        problems.append(f"region {region} is not a province code of knowledge/provinces.yaml")
    source = _source(item.get("source"), problems, "source")
    raw = item.get("stages")
    if not isinstance(raw, list) or not raw:
        problems.append("needs its stages")
        return None
    stages = [s for n, r in enumerate(raw, start=1) if (s := _stage(r, n, problems)) is not None]
    if len(stages) != len(raw) or source is None:
        return None
    for before, after in itertools.pairwise(stages):
        if after.start < before.start:
            problems.append(f"stage {after.name!r} starts before the stage listed ahead of it: keep them in order")
    if not any(s.kind == "voting" for s in stages):
        problems.append("has no voting stage")
    return Election(eid, str(kind), name, en, region, source, tuple(stages))


def _stage(raw: Any, n: int, problems: list[str]) -> Stage | None:
    if not isinstance(raw, dict):
        problems.append(f"stage {n} must be a mapping")
        return None
    where = f"stage {raw.get('name') or n!r}"
    if unknown := set(raw) - _STAGE_KEYS:
        problems.append(f"{where}: unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    kind = raw.get("kind")
    if kind not in STAGE_KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(STAGE_KINDS)}")
    name, en = _text(raw.get("name")), _text(raw.get("en"))
    start, end = _day(raw.get("start")), _day(raw.get("end"))
    if not name or not en:
        problems.append(f"{where}: needs a name and an English name (en)")
    if start is None or end is None:
        problems.append(f"{where}: start and end must be dates (YYYY-MM-DD) between 2000 and 2100")
        return None
    if end < start:
        problems.append(f"{where}: ends before it starts")
    source = _source(raw["source"], problems, f"{where}: source") if "source" in raw else None
    if kind not in STAGE_KINDS or not name or not en or end < start:
        return None
    return Stage(str(kind), name, en, start, end, source)


def _source(raw: Any, problems: list[str], where: str) -> Source | None:
    if not isinstance(raw, dict) or not _text(raw.get("title")):
        problems.append(f"{where}: needs the title of the decision that set it (a PKPU, a Keputusan KPU)")
        return None
    if unknown := set(raw) - _SOURCE_KEYS:
        problems.append(f"{where}: unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    checked = raw.get("checked")
    if not isinstance(checked, bool):
        problems.append(f"{where}: checked must be true or false (was the decision's own text read?)")
        return None
    reports = raw.get("reports") or []
    if not isinstance(reports, list) or not all(isinstance(r, str) and r.startswith("https://") for r in reports):
        problems.append(f"{where}: reports must be a list of https:// addresses")
        return None
    if not checked and not reports:
        problems.append(f"{where}: not checked against the decision, so it needs the reports the dates come from")
        return None
    return Source(_text(raw["title"]), checked, tuple(reports))


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _day(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, date) or not 2000 <= value.year <= 2100:
        return None
    return value
