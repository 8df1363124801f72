"""What the handlers call, in one object: the services and the settings they follow.

Nothing here knows Telegram: a user is anything with an `id` and a `language_code` (python-telegram-bot's
`User` is one). It is built once in bot/tg/app.py; handlers reach it as `context.services`. What changes
while the bot runs lives with its owner: the rules being served in `knowledge` (bot/editing/serving.py),
draft keys in `drafts`; what a user did minutes ago (language choices, each chat's last question, per-user
limits, /status sessions, rule edits in progress) in the short-lived store `ephemeral`, through the services
named after each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from bot.admin.roles import AdminService
from bot.config import Settings
from bot.editing.calendar import CalendarService
from bot.editing.rules import RuleService
from bot.editing.serving import ServedKnowledge
from bot.editing.unanswered import UnansweredService
from bot.engine import Engine
from bot.presentation.languages import LanguageChoices
from bot.presentation.messages import Messages
from bot.presentation.render import TEMPLATES_DIR
from bot.privacy.keys import DraftKeys, UserKeys
from bot.privacy.throttle import Limits
from bot.qa.calendar import Calendar
from bot.qa.followups import FollowUps
from bot.qa.stories import MAX_STORY_CHARS
from bot.quiz.game import QuizService
from bot.storage.database import Database
from bot.storage.ephemeral import EphemeralStore, UserSlot
from bot.storage.leader import Leader
from bot.storage.questions import QuestionStore
from bot.tips.form import TipForm
from bot.tips.service import TipService

MAX_QUESTION_CHARS = MAX_STORY_CHARS  # a story is read clause by clause (bot/qa/stories.py); Telegram allows 4096


@dataclass
class Services:
    settings: Settings
    knowledge: ServedKnowledge
    store: Database
    questions: QuestionStore
    user_keys: UserKeys
    drafts: DraftKeys
    tips: TipService
    form: TipForm
    limits: Limits
    admin: AdminService
    unanswered: UnansweredService
    rules: RuleService
    languages: LanguageChoices
    followups: FollowUps  # each chat's last question, for a few minutes, in short-lived memory
    ephemeral: EphemeralStore  # short-lived state: this process's memory, or Redis for replicas
    status_sessions: UserSlot  # the report a /status session opened (bot/tg/handlers/tips/status.py)
    pending_edits: UserSlot  # rule changes in progress (bot/tg/handlers/staff/rule_edit.py)
    leader: Leader  # whether this replica runs the periodic sweeps
    quiz: QuizService  # /kuis rounds, in the short-lived store; counts of wrong answers in the database
    calendars: CalendarService | None = None  # the calendar's revisions (/calendar, kb import)
    ui: Messages = field(default_factory=lambda: Messages(TEMPLATES_DIR / "messages"))
    bot_username: str = ""  # known once the bot has asked Telegram who it is

    @property
    def calendar(self) -> Calendar:
        """The elections and their stages in service now (swapped when an import changes them)."""
        return self.knowledge.calendar

    @property
    def engine(self) -> Engine:
        """The matcher and renderer for the rules in service now (swapped when they change)."""
        return self.knowledge.engine

    def t(self, lang: str) -> Callable[..., Markup]:
        """`ui` for templates: the strings are HTML already, so they are marked safe for autoescaping."""
        return lambda key, **fmt: Markup(self.ui(key, lang, **fmt))
