"""What the election calendar adds to what users read: the stage in force on /start, and under an answer whose
judgement turns on it (support for a *bakal calon* before KPU determines the candidates, for a *calon* after)
the stage of the day and which determinations have passed. Nothing when no stage is in force."""

from __future__ import annotations

from datetime import date

from bot.presentation.messages import Messages
from bot.qa.calendar import Calendar, Election, Stage
from bot.qa.kb import Rule
from bot.tips.dates import format_date


def judged_by_stage(rule: Rule) -> bool:
    """A rule on conduct that speaks of bakal calon: its judgement or sanction differs before and after the
    candidates are determined (the SKB 2022's two lists)."""
    text = " ".join(t for t in (rule.answer, rule.sanction, rule.caveat, rule.penalty) if t).lower()
    return rule.verdict in ("dilarang", "bersyarat") and "bakal calon" in text


def _name(item: Election | Stage, lang: str) -> str:
    return item.en if lang == "en" else item.name


def _span(stage: Stage, lang: str) -> tuple[str, str]:
    return format_date(stage.start.isoformat(), lang), format_date(stage.end.isoformat(), lang)


def stages_now(ui: Messages, calendar: Calendar, lang: str, today: date) -> list[str]:
    """One line per stage in force today, for /start."""
    lines = []
    for election, stage in calendar.on(today):
        start, end = _span(stage, lang)
        lines.append(ui("calendar_now", lang, stage=_name(stage, lang), election=_name(election, lang),
                        start=start, end=end))  # fmt: skip
    return lines


def stage_note(ui: Messages, calendar: Calendar, rule: Rule, lang: str, today: date) -> str:
    """The line under an answer that turns on the stage, or "" (no such rule, or no election today)."""
    if not judged_by_stage(rule):
        return ""
    for election, stage in calendar.on(today):
        if not (passed := election.determinations(today)):
            continue
        determinations = "; ".join(
            ui.plain(
                "calendar_determination",
                lang,
                stage=_name(d, lang),
                date=format_date(d.start.isoformat(), lang),
                state=ui.plain("calendar_determined" if done else "calendar_not_determined", lang),
            )
            for d, done in passed
        )  # fmt: skip; plain: escaped once, as a value of the note
        return ui("calendar_note", lang, stage=_name(stage, lang), election=_name(election, lang),
                  determinations=determinations)  # fmt: skip
    return ""
