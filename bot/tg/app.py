"""The Telegram bot: python-telegram-bot's Application, wired to Netra's services.

`build_application` is what tests run (against a local fake Bot API server); `run_bot` adds long polling
or the webhook endpoint (bot/tg/webhook.py) and signal handling for production; `deploy` tells Telegram, once
per deployment, where the webhook is and which commands the menus list.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import sys

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.admin.roles import AdminService
from bot.config import Settings, SettingsError
from bot.editing.calendar import CalendarService
from bot.editing.rules import RuleService
from bot.editing.serving import ServedKnowledge
from bot.editing.unanswered import UnansweredService
from bot.engine import load_engine
from bot.presentation.languages import LanguageChoices
from bot.privacy.crypto import CryptoError
from bot.privacy.keys import DraftKeys, KeyMismatch, check_value, load_keys
from bot.privacy.throttle import Limits
from bot.qa.calendar import CALENDAR_FILE, load_calendar
from bot.qa.followups import FollowUps
from bot.quiz.game import QuizService
from bot.services import Services
from bot.storage.database import LOCK_SLOTS, Database
from bot.storage.drafts import DatabaseDrafts, MemoryDrafts
from bot.storage.ephemeral import PersistentRedis, UserSlot, ephemeral_store
from bot.storage.leader import Leader
from bot.storage.lock import DataDirBusy, DataDirLock
from bot.storage.questions import QuestionStore
from bot.storage.quiz import QuizStore
from bot.storage.rules import RULES_CHANNEL
from bot.storage.tips import TipStore
from bot.tg import authorisation, callbacks, jobs, menus
from bot.tg.context import BotContext
from bot.tg.handlers import flows
from bot.tg.handlers.public import browse, details, general, inline, questions, quiz
from bot.tg.handlers.staff import admin, calendar, review, rule_edit, rules, stats, unanswered
from bot.tg.handlers.tips import report, status
from bot.tg.ratelimit import RetryingRateLimiter
from bot.tg.updates import PerChatUpdateProcessor
from bot.tg.webhook import UpdateLog, WebhookServer
from bot.tips import receipts
from bot.tips.evidence import EvidenceFiles
from bot.tips.form import TipForm, load_categories, load_provinces
from bot.tips.service import TipService

log = logging.getLogger(__name__)

EVIDENCE_DIR = "evidence"  # where older versions kept evidence files; taken into the database at start-up
STAFF_COMMANDS = {
    "admin": admin.on_admin_help,
    "calendar": calendar.on_calendar,
    "grant": admin.on_grant,
    "revoke": admin.on_revoke,
    "admins": admin.on_admins,
    "audit": admin.on_audit,
    "tips": review.on_tips,
    "ubahstatus": review.on_set_status,
    "catatan": review.on_note,
    "tanyapelapor": review.on_ask_reporter,
    "export": review.on_export,
    "rules": rules.on_rules,
    "history": rules.on_history,
    "rollback": rule_edit.on_rollback,
    "unanswered": unanswered.on_unanswered,
    "stats": stats.on_stats,
}  # each needs the permission bot/tg/authorisation.py names for it
PRELOAD = -3  # handler group: what every update needs looked up first (the sender's language)
GUARDS = -2  # handler group: what every update goes through next (authorisation)
FORMS = -1  # handler group: a private message that an open form expects (bot/tg/handlers/flows.py)
HANDLERS = 0  # handler group: the one handler that answers an update, the first whose filter matches


class RedactToken(logging.Filter):
    """The token never reaches the log, even inside an exception's message (PTB's InvalidToken has it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "***"), None
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "***")
        return True


class StartFailure(logging.Filter):
    """python-telegram-bot logs a failed start (no network, a rejected token) with its whole traceback, then
    raises it; `run_bot` says what went wrong in one line, so the traceback is dropped here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Network Retry Loop (Bootstrap")


def configure_logging(level: int = logging.INFO, token: str | None = None) -> None:
    """Log lines carry no date: a day-and-time next to "a report …" or an update would mark a reporter."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=level)
    # httpx logs every request URL at INFO, and the URL holds the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "next run at 20:49:34" on every job run
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start
    logging.getLogger("telegram.ext").addFilter(StartFailure())
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(token))


def build_services(settings: Settings) -> Services:
    engine = load_engine(settings.knowledge_dir)
    store = Database(settings.database, settings.database_url)
    try:
        keys = load_keys(settings.data_dir, settings.database, settings.data_key, store.url)
    except (CryptoError, KeyMismatch) as exc:
        raise SettingsError(str(exc)) from None
    vault = keys.vault
    ephemeral = ephemeral_store(settings.redis_url)
    tip_store = TipStore(store)
    drafts = MemoryDrafts(ephemeral) if settings.database_url else DatabaseDrafts(tip_store)
    provinces = load_provinces(settings.knowledge_dir)
    from_file = load_calendar(settings.knowledge_dir, set(provinces), set(engine.kb.rules))
    for problem in from_file.problems:  # kb validate fails on these; the bot serves the elections that passed
        log.warning("calendar: %s", problem)
    rules = RuleService(store, engine.kb.sources, engine.kb.topics)
    calendars = CalendarService(store, provinces)
    knowledge = ServedKnowledge(engine, rules, calendars, from_file)  # the file's calendar until the database's
    files = EvidenceFiles(tip_store, vault)
    tips = TipService(
        tip_store, vault, files, locator_key=keys.locator, drafts=drafts, calendar=lambda: knowledge.calendar
    )
    choices, retired = load_categories(settings.knowledge_dir)
    return Services(
        leader=Leader(store),
        settings=settings,
        knowledge=knowledge,
        calendars=calendars,
        store=store,
        questions=QuestionStore(store),
        user_keys=keys.users,
        drafts=DraftKeys(keys, lambda: tips.draft_keys),
        tips=tips,
        form=TipForm(choices, provinces, retired),
        limits=Limits.build(ephemeral, settings.tip_daily_limit),
        admin=AdminService(store, settings.admin_ids),
        unanswered=UnansweredService(store, rules),
        rules=rules,
        languages=LanguageChoices(keys.users.key, ephemeral),
        followups=FollowUps(keys.users.key, ephemeral),
        ephemeral=ephemeral,
        status_sessions=UserSlot(ephemeral, keys.users.key, "status", status.SESSION_SECONDS),
        pending_edits=UserSlot(ephemeral, keys.users.key, "rule_edit", rule_edit.TIMEOUT + rule_edit.TOLD_FOR),
        quiz=QuizService(ephemeral, QuizStore(store), keys.users.key),
    )


def build_application(settings: Settings, max_rate: float = 30, retry_backoff: float = 0.5) -> Application:
    """`max_rate`: messages per second overall, Telegram's flood limit (benchmarks raise it);
    `retry_backoff`: the first pause before retrying a failed request (tests shorten it)."""
    if settings.database_url and not settings.redis_url:
        raise SettingsError(
            "REDIS_URL is required with a PostgreSQL DATABASE_URL: report drafts are kept there, in memory only, "
            "since PostgreSQL keeps old row versions on disk (docs/deploy.md)"
        )
    lock = DataDirLock(settings.data_dir)
    try:
        lock.acquire()
        svc = build_services(settings)
    except DataDirBusy as exc:
        raise SettingsError(str(exc)) from None
    except BaseException:
        lock.release()
        raise
    store = svc.store
    poll = settings.knowledge_poll
    if store.postgres:  # a chat's updates one at a time across replicas too, each holding a lock connection
        updates = PerChatUpdateProcessor(
            LOCK_SLOTS, hold=lambda chat_id: store.advisory_lock(chat_lock_key(svc, chat_id))
        )
    else:
        updates = PerChatUpdateProcessor()

    async def post_init(app: Application) -> None:
        await store.open()
        try:
            await svc.ephemeral.open()
        except PersistentRedis as exc:
            raise SettingsError(str(exc)) from None
        keys = svc.drafts.keys
        await svc.tips.store.set_key_check(keys.scheme, check_value(keys))
        if keys.in_data_dir:
            log.warning(
                "the data key is in %s/data.key: a copy of DATA_DIR reveals the drafts still open; set DATA_KEY "
                "and keep it elsewhere (README, Privacy)", settings.data_dir,
            )  # fmt: skip
        await svc.tips.open()
        svc.drafts.retire_legacy(at_start=True)
        await svc.tips.files.take_in(settings.data_dir / EVIDENCE_DIR)
        if await svc.questions.forget_questions(receipts.contains_code):
            await store.wipe()
        from_files = [*svc.engine.kb.rules.values(), *svc.engine.kb.retired.values()]
        await svc.rules.open(from_files)
        if differ := await svc.rules.differences(from_files):
            log.warning(
                "%d rule(s) in %s differ from the database, which is what the bot serves (first: %s); "
                "`python main.py kb import %s` loads the files, `kb export` writes the database out",
                len(differ), settings.knowledge_dir, differ[0], settings.knowledge_dir,
            )  # fmt: skip
        seed = settings.knowledge_dir / CALENDAR_FILE
        await svc.calendars.open(seed.read_text(encoding="utf-8") if seed.is_file() else None)
        current = await svc.calendars.current()
        if seed.is_file() and current is not None and current.text != seed.read_text(encoding="utf-8"):
            log.info("%s differs from the database's calendar (revision %d), which is what the bot serves",
                     seed, current.revision)  # fmt: skip
        await svc.knowledge.refresh()
        await store.listen(RULES_CHANNEL, lambda: app.create_task(svc.knowledge.refresh(), name="reload"))
        svc.bot_username = app.bot.username or ""
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                jobs.deliver_notices, interval=settings.outbox_interval, first=0, name="notices"
            )
            app.job_queue.run_repeating(jobs.purge, interval=jobs.PURGE_EVERY, first=0, name="retention")
            app.job_queue.run_repeating(jobs.reload_knowledge, interval=poll, first=poll, name="knowledge")
            if settings.broadcast_chat_id is not None:
                app.job_queue.run_daily(jobs.announce_stages, time=jobs.ANNOUNCE_AT, name="stages")
            every = jobs.WIPE_RETRY_EVERY
            app.job_queue.run_repeating(jobs.wipe_if_pending, interval=every, first=every, name="wipe")
        if not settings.replica_mode:  # replicas leave it to `python main.py deploy`, run once
            await set_menus(app.bot, svc)

    async def post_shutdown(_app: Application) -> None:
        try:
            await svc.leader.close()
            await svc.ephemeral.close()
            await store.close()
        finally:
            lock.release()

    try:
        app = (
            ApplicationBuilder()
            .token(settings.require_token())
            .base_url(settings.bot_api_base_url)
            .base_file_url(settings.bot_api_file_url)
            .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
            .rate_limiter(
                RetryingRateLimiter(
                    backoff=retry_backoff, overall_max_rate=max_rate / settings.replicas, overall_time_period=1
                )
            )
            .concurrent_updates(updates)
            .post_init(post_init)
            .post_shutdown(post_shutdown)
            .context_types(ContextTypes(context=BotContext))
            .build()
        )
        app.bot_data["services"] = svc
        register_handlers(app)
    except BaseException:
        lock.release()
        raise
    return app


def chat_lock_key(svc: Services, chat_id: int) -> int:
    """A chat's advisory lock, as a keyed hash: the server's lock table never shows a Telegram id."""
    return int(svc.user_keys.key(chat_id)[:16], 16) - 2**63


async def set_menus(bot, svc: Services) -> None:
    await menus.set_public_menus(bot, svc.ui)
    await menus.set_staff_menus(bot, svc.admin, svc.ui)


async def health(svc: Services) -> dict[str, bool]:
    """What the load balancer's health check sees: the database and the short-lived store answer, and rules
    are being served."""
    return {
        "database": await svc.store.ping(),
        "redis": await svc.ephemeral.ping(),
        "knowledge": bool(svc.engine.kb.rules),
    }


async def preload(_update: Update, context: BotContext) -> None:
    """The sender's language, from the short-lived store, once per update (every handler reads it)."""
    await context.load_language()


def register_handlers(app: Application) -> None:
    """Four handler groups. `PRELOAD` looks up what every handler reads. `GUARDS` runs next for every update
    and can stop it there (a stranger's staff command). `FORMS` takes a private message that an open form
    expects, and stops it there. In `HANDLERS`, python-telegram-bot runs the first handler whose filter
    matches, so the order is the routing: the forms' commands and buttons, then commands, then text and
    buttons, then the fallbacks."""
    app.add_handler(TypeHandler(Update, preload), group=PRELOAD)
    app.add_handler(TypeHandler(Update, authorisation.check_staff), group=GUARDS)
    new_message = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    app.add_handler(MessageHandler(new_message & private & ~filters.COMMAND, flows.route), group=FORMS)
    start_report = filters.Regex(r"^/start\s+lapor\s*$")
    app.add_handler(CommandHandler("lapor", report.on_lapor, filters=new_message & private))
    app.add_handler(CommandHandler("start", report.on_lapor, filters=new_message & private & start_report))
    app.add_handler(CallbackQueryHandler(report.on_button, pattern=callbacks.TipButton.pattern()))
    app.add_handler(CallbackQueryHandler(status.on_followup_button, pattern=callbacks.FollowUp.pattern()))
    edit = callbacks.RulesButton.pattern
    app.add_handler(CallbackQueryHandler(rule_edit.on_start, pattern=edit("ea")))
    app.add_handler(CallbackQueryHandler(rule_edit.on_verdict, pattern=edit("v")))
    app.add_handler(CallbackQueryHandler(rule_edit.on_confirm, pattern=edit("s")))
    app.add_handler(CallbackQueryHandler(rule_edit.on_no_note, pattern=edit("n")))
    app.add_handler(CallbackQueryHandler(rule_edit.on_cancel, pattern=edit("x")))
    app.add_handler(CommandHandler("lapor", report.on_lapor_in_group, filters=new_message & groups))
    app.add_handler(CommandHandler("batal", flows.on_cancel, filters=new_message & private))
    app.add_handler(CommandHandler("status", status.on_status, filters=new_message & private))
    app.add_handler(CommandHandler("status", status.on_status_in_group, filters=new_message & groups))
    app.add_handler(MessageHandler(new_message & private & status.CODE_MESSAGE, status.on_code_message))
    for command, callback in STAFF_COMMANDS.items():
        app.add_handler(CommandHandler(command, callback, filters=new_message & private))
    app.add_handler(CallbackQueryHandler(review.on_button, pattern=callbacks.ReviewButton.pattern()))
    app.add_handler(CallbackQueryHandler(unanswered.on_button, pattern=callbacks.UnansweredButton.pattern()))
    app.add_handler(CallbackQueryHandler(rule_edit.on_rollback_confirmed, pattern=callbacks.RulesButton.pattern("k")))
    app.add_handler(CallbackQueryHandler(rules.on_button, pattern=callbacks.RulesButton.pattern()))
    app.add_handler(CallbackQueryHandler(calendar.on_button, pattern=callbacks.CalendarButton.pattern()))
    app.add_handler(CommandHandler("start", general.on_start, filters=new_message))
    app.add_handler(CommandHandler(["help", "bantuan"], general.on_help, filters=new_message))
    app.add_handler(CommandHandler("bahasa", general.on_bahasa, filters=new_message))
    app.add_handler(CommandHandler("topik", browse.on_topik, filters=new_message))
    app.add_handler(CommandHandler("aturan", browse.on_aturan, filters=new_message))
    app.add_handler(CommandHandler("cari", browse.on_cari, filters=new_message))
    app.add_handler(CommandHandler("tanya", questions.on_tanya, filters=new_message))
    app.add_handler(CommandHandler("kuis", quiz.on_kuis, filters=new_message))
    app.add_handler(MessageHandler(new_message & private & filters.COMMAND, general.on_unknown_command))
    app.add_handler(
        MessageHandler(new_message & private & filters.TEXT & unanswered.REWRITE_REPLY, unanswered.on_rewrite)
    )
    app.add_handler(MessageHandler(new_message & private & filters.TEXT, questions.on_private_text))
    app.add_handler(MessageHandler(new_message & groups & filters.TEXT, questions.on_group_text))
    app.add_handler(MessageHandler(new_message & private, general.on_not_text))
    app.add_handler(CallbackQueryHandler(questions.on_open_rule, pattern=callbacks.OpenRule.pattern()))
    app.add_handler(CallbackQueryHandler(quiz.on_button, pattern=callbacks.QuizButton.pattern()))
    app.add_handler(CallbackQueryHandler(questions.on_vote, pattern=callbacks.Vote.pattern()))
    app.add_handler(CallbackQueryHandler(questions.on_hint, pattern=callbacks.Hint.pattern()))
    app.add_handler(CallbackQueryHandler(questions.on_others, pattern=callbacks.Others.pattern()))
    app.add_handler(CallbackQueryHandler(details.on_detail, pattern=callbacks.Detail.pattern()))
    app.add_handler(CallbackQueryHandler(browse.on_topics_button, pattern=callbacks.Topics.pattern()))
    app.add_handler(CallbackQueryHandler(browse.on_topic_page, pattern=callbacks.TopicPage.pattern()))
    app.add_handler(CallbackQueryHandler(browse.on_open_rule_from_topic, pattern=callbacks.OpenFromTopic.pattern()))
    app.add_handler(CallbackQueryHandler(general.on_language_button, pattern=callbacks.Language.pattern()))
    app.add_handler(CallbackQueryHandler(general.on_stale_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_error_handler(general.on_error)


def run_bot(settings: Settings) -> int:
    """Long polling, or a webhook when WEBHOOK_URL is set; SIGINT/SIGTERM stop it cleanly. A rejected token
    is a SettingsError; an unreachable Bot API exits 3."""
    try:
        return _serve(settings)
    except InvalidToken:
        raise SettingsError("BOT_TOKEN was rejected by Telegram: check the token from @BotFather") from None
    except NetworkError as exc:
        print(f"error: cannot reach the Bot API at {settings.bot_api_base_url}: {exc}", file=sys.stderr)
        return 3


def _serve(settings: Settings) -> int:
    os.umask(0o077)  # whatever the bot writes is for its own user only
    configure_logging(token=settings.bot_token)
    app = build_application(settings)
    if settings.webhook_url:
        asyncio.run(_until_signalled(lambda stop: serve_webhook(app, settings, stop)))
    else:
        log.info("connecting to the Bot API, then long polling for updates (Ctrl-C stops)")
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


async def _until_signalled(serve) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(stop)


async def serve_webhook(app: Application, settings: Settings, stop: asyncio.Event) -> WebhookServer:
    """The webhook endpoint until `stop` is set, then drained: the updates being handled finish, new ones are
    refused so Telegram delivers them to another replica. A single process tells Telegram the webhook at
    start, as long polling needs no set-up either; replicas leave that to `python main.py deploy`."""
    svc: Services = app.bot_data["services"]
    secret = settings.webhook_secret or secrets.token_urlsafe(32)
    server = WebhookServer(app, secret, UpdateLog(svc.ephemeral), lambda: health(svc))
    try:
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            await server.start(settings.webhook_listen, settings.webhook_port)
            if not settings.replica_mode:
                await app.bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            log.info("serving the webhook on %s:%d", settings.webhook_listen, server.port)
            await stop.wait()
            log.info("stopping: finishing the updates being handled")
            await server.drain()
        finally:
            await server.stop()
            await app.stop()
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
    return server


def deploy(settings: Settings) -> int:
    """`python main.py deploy`: `deploy_once`, with a failure said in one line."""
    configure_logging(token=settings.bot_token)
    try:
        asyncio.run(deploy_once(settings))
    except InvalidToken:
        raise SettingsError("BOT_TOKEN was rejected by Telegram: check the token from @BotFather") from None
    except NetworkError as exc:
        print(f"error: cannot reach the Bot API at {settings.bot_api_base_url}: {exc}", file=sys.stderr)
        return 3
    print(f"webhook set to {settings.webhook_url}; menus set")
    return 0


async def deploy_once(settings: Settings) -> None:
    """Once per deployment, not at every replica's start: bring the database's schema up to date (before any
    replica starts, so that they do not race to), point Telegram at the webhook with its secret, and set the
    command menus."""
    if not settings.webhook_url or not settings.webhook_secret:
        raise SettingsError("deploy needs WEBHOOK_URL and WEBHOOK_SECRET, the same the replicas are given")
    app = build_application(settings)
    svc: Services = app.bot_data["services"]
    try:
        await app.initialize()
        await svc.store.open()
        await set_menus(app.bot, svc)
        await app.bot.set_webhook(
            settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
