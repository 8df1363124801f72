"""Background jobs on the Application's JobQueue: admin notices (an outbox retried until Telegram accepts
each one, delivered in batches every `OUTBOX_INTERVAL`, claimed with a lease so replicas share it), the
retention sweep and WAL wipes (on one replica at a time: `Leader`, bot/storage/leader.py), and picking up rules
changed by another process (`kb import`, another replica) on every replica; each morning, the election stages
that start that day (BROADCAST_CHAT_ID)."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta, timezone
from datetime import time as dt_time

from telegram.error import RetryAfter, TelegramError

from bot.services import Services
from bot.tg.context import BotContext
from bot.tips.dates import format_date
from bot.tips.service import Notice, today_wib

log = logging.getLogger(__name__)

MAX_DELAY = 300.0
NOTICE_LEASE = 120.0  # seconds a delivery run holds the notices it claimed: longer than sending a batch takes
NOTICE_BATCH = 20  # notices claimed per run; the rest wait for the next run, on this replica or another
PURGE_EVERY = 3600.0
WIPE_RETRY_EVERY = 30.0


def retry_delay(attempts: int, interval: float, retry_after: float = 0.0) -> float:
    """Linear backoff from the outbox interval (`attempts`: the failed ones before this one), capped at five
    minutes, never sooner than Telegram asks."""
    return max(retry_after, min(MAX_DELAY, interval * (attempts + 1)))


async def deliver_notices(context: BotContext) -> None:
    """Every replica runs this: each run claims a batch with a lease (bot/storage/tips.py), so no other replica
    sends those notices meanwhile, and a failed one's backoff is on its row, so every replica honours it.

    At least once, not exactly once: a notice is deleted right after Telegram accepts it, and a replica killed
    in between (or a sendMessage whose answer timed out, which is never retried blindly: bot/tg/ratelimit.py)
    leaves it to be sent again once its lease runs out (or its backoff). Such a duplicate is visible and
    harmless: the notice names its report number, so staff see it is the same report. A run starts no send
    after half its lease, so a slow batch (Telegram's retries) cannot outlive the lease and be sent twice."""
    s = context.services
    if s.settings.admin_chat_id is None:
        return  # notices wait in the outbox until ADMIN_CHAT_ID is set
    pending = await s.tips.claim_notices(NOTICE_LEASE, NOTICE_BATCH)
    send_until = time.monotonic() + NOTICE_LEASE / 2
    while pending and time.monotonic() < send_until:
        if not await _send_notice(context, s.settings.admin_chat_id, pending.pop(0)):
            break  # Telegram asked to wait, or failed: the rest go back to the queue untried
    for untried in pending:
        await s.tips.notice_released(untried)


async def _send_notice(context: BotContext, chat_id: int, notice: Notice) -> bool:
    """One notice to the admins' chat: deleted once Telegram accepts it, else given its backoff; True if sent."""
    s = context.services
    interval = s.settings.outbox_interval
    fields = {
        **notice.fields,
        "category": _category(s, notice.fields["category"]),
        "election": s.ui(f"election_{notice.fields['election']}", "id"),
        "province": p.name if (p := s.form.provinces.get(notice.fields["province"])) else "",
    }
    html = s.engine.renderer.render("tips/admin_notice.html.j2", n=fields)
    try:
        await context.bot.send_message(chat_id, html)
    except RetryAfter as exc:
        wait = exc.retry_after  # seconds, or a timedelta with PTB_TIMEDELTA set
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        await s.tips.notice_failed(notice, retry_delay(notice.attempts, interval, seconds), "RetryAfter")
        return False
    except TelegramError as exc:
        log.warning("admin notice not delivered (%s); will retry", type(exc).__name__)
        await s.tips.notice_failed(notice, retry_delay(notice.attempts, interval), type(exc).__name__)
        return False
    await s.tips.notice_sent(notice)
    return True


def _category(s: Services, category_id: str) -> str:
    titles = s.form.categories.get(category_id)
    return titles[0] if titles else category_id


async def purge(context: BotContext) -> None:
    s = context.services
    if not await s.leader.is_leader():
        return
    await s.tips.purge(s.settings.tip_retention_days)
    s.drafts.retire_legacy()
    await s.questions.purge_questions(date.today() - timedelta(days=s.settings.question_retention_days))
    await s.store.wipe()


async def reload_knowledge(context: BotContext) -> None:
    knowledge = context.services.knowledge
    if await knowledge.refresh():
        log.info("serving rule revisions up to %d", knowledge.version)


async def wipe_if_pending(context: BotContext) -> None:
    """A wipe the WAL's readers blocked (bot/storage/database.py): try again, and say so if it still fails.
    The warning comes from this job, not from the reporter's confirmation, so its time marks nobody."""
    store = context.services.store
    if not await context.services.leader.is_leader():
        return
    if store.wipe_pending and not await store.wipe():
        log.warning("the WAL could not be truncated: another process keeps a read transaction open on the database")


ANNOUNCE_AT = dt_time(7, 0, tzinfo=timezone(timedelta(hours=7)))  # 07:00 WIB, before the working day


async def announce_stages(context: BotContext, today: date | None = None) -> None:
    """Each morning, on one replica: a stage of an election starting today is announced in BROADCAST_CHAT_ID
    with what ASN should keep in mind in it (knowledge/calendar.yaml, `reminders`)."""
    s = context.services
    chat_id = s.settings.broadcast_chat_id
    if chat_id is None or not await s.leader.is_leader():
        return
    kb = s.engine.kb
    for election, stage in s.calendar.starting(today or today_wib()):
        rules = [r for rid in s.calendar.reminders.get(stage.kind, ()) if (r := kb.rules.get(rid)) is not None]
        html = s.engine.renderer.render(
            "stage_reminder.html.j2", election=election, stage=stage, rules=rules,
            start=format_date(stage.start.isoformat(), "id"), end=format_date(stage.end.isoformat(), "id"),
        )  # fmt: skip
        try:
            await context.bot.send_message(chat_id, html)
        except TelegramError as exc:  # after the rate limiter's retries: the day's other stages still go out
            log.warning("stage reminder not delivered to BROADCAST_CHAT_ID (%s)", type(exc).__name__)
