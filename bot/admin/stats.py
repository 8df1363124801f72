"""Figures for admins (/stats): questions and how well they were answered, votes per rule, what went
unanswered, and reports by status, kind and province, over a chosen number of days. No Telegram here."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.storage.database import Database
from bot.storage.questions import QuestionStore
from bot.storage.quiz import QuizStore, ScenarioCount
from bot.storage.tips import TipStore

QUIZ_SHOWN = 10  # scenarios /stats lists and charts, the most often wrong first
UNSURE = 0.85  # an answer given with a calibrated probability under this is counted apart in /stats


@dataclass
class Stats:
    days: int
    since: date
    per_day: dict[str, Counter[str]] = field(default_factory=dict)  # ISO day -> status -> count
    votes: list[tuple[str, int, int]] = field(default_factory=list)  # rule id, 👍, 👎
    unanswered: list[tuple[str, int]] = field(default_factory=list)
    unsure: int = 0  # answered, but with a probability under UNSURE: worth an editor's look, like a 👎
    unsure_top: list[tuple[str, str, int]] = field(default_factory=list)
    reports_by_status: Counter[str] = field(default_factory=Counter)
    reports_by_category: Counter[str] = field(default_factory=Counter)
    reports_by_province: Counter[str] = field(default_factory=Counter)
    quiz: list[ScenarioCount] = field(default_factory=list)  # the most often wrong first: where to socialise
    quiz_answers: int = 0  # of every scenario, not only those listed

    @property
    def questions(self) -> int:
        return sum(sum(c.values()) for c in self.per_day.values())

    @property
    def match_rate(self) -> float:
        answered = sum(c["answer"] for c in self.per_day.values())
        return answered / self.questions if self.questions else 0.0


async def compute(store: Database, days: int) -> Stats:
    since = datetime.now(UTC) - timedelta(days=days)
    since_iso = since.isoformat(timespec="seconds")
    questions = QuestionStore(store)
    stats = Stats(days=days, since=since.date())
    for day, status, n in await questions.per_day(since_iso):
        stats.per_day.setdefault(day, Counter())[status] = n
    stats.votes = [(v.rule_id, v.up, v.down) for v in await questions.vote_counts(since_iso)]
    stats.unanswered = await questions.top_unanswered(since_iso)
    stats.unsure, stats.unsure_top = await questions.low_confidence(since_iso, UNSURE)
    quiz = await QuizStore(store).counts(since.date())
    stats.quiz, stats.quiz_answers = quiz[:QUIZ_SHOWN], sum(c.answered for c in quiz)
    for status, category, province in await TipStore(store).reports_since(since.date()):
        stats.reports_by_status[status] += 1
        stats.reports_by_category[category] += 1
        stats.reports_by_province[province] += 1
    return stats


def questions_chart(stats: Stats) -> bytes:
    """A PNG bar chart of questions per day, split by how they were answered.

    It is drawn in a worker thread, two admins' /stats at once in two threads: so a Figure of its own on an
    Agg canvas, never pyplot, whose current-figure registry is one global state shared by every thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    days = [stats.since + timedelta(days=i) for i in range(stats.days + 1)]
    keys = [d.isoformat() for d in days]
    fig = Figure(figsize=(8, 3.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    bottom = [0] * len(days)
    for status, label, colour in (("answer", "terjawab", "#2e7d32"), ("ambiguous", "pilihan", "#f9a825"),
                                  ("none", "tidak terjawab", "#c62828")):  # fmt: skip
        values = [stats.per_day.get(k, Counter())[status] for k in keys]
        ax.bar(days, values, bottom=bottom, label=label, color=colour, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(f"Pertanyaan per hari, {stats.days} hari terakhir")
    ax.legend(loc="upper left", fontsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def quiz_chart(stats: Stats) -> bytes:
    """A PNG of the scenarios most often answered wrongly: wrong and right answers, stacked, one bar each.
    Drawn as `questions_chart` is, on a Figure of its own."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = list(reversed(stats.quiz))  # the most often wrong at the top
    fig = Figure(figsize=(8, 0.9 + 0.35 * len(rows)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    names = [c.scenario for c in rows]
    wrong = [c.wrong for c in rows]
    ax.barh(names, wrong, color="#c62828", label="salah")
    ax.barh(names, [c.answered - c.wrong for c in rows], left=wrong, color="#2e7d32", label="benar")
    ax.set_title(f"Kuis: skenario paling sering dijawab salah, {stats.days} hari terakhir", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
