"""Webhook mode: Telegram posts updates to the bot (bot/tg/webhook.py), and the bot answers 200 only after the
update was handled, so that Telegram re-delivers what a dead or stopping replica never finished. The fake Bot API
delivers as Telegram does: one update at a time per queue, retried until it gets a 200."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.config import Settings, SettingsError, check_replica_settings
from bot.storage.ephemeral import MemoryStore, PersistentRedis, RedisStore
from bot.tg import callbacks
from bot.tg.webhook import SECRET_HEADER, Claim, UpdateLog
from tests.botenv import SECRET, running_webhook_bot
from tests.chat import Chat, find
from tests.redis_server import redis_server


@pytest.fixture
async def hook(tmp_path):
    async with running_webhook_bot(tmp_path / "data") as bot:
        yield bot


async def post(url: str, body: bytes | dict, secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as client:
        kwargs = {"json": body} if isinstance(body, dict) else {"data": body}
        async with client.post(url, headers=headers, **kwargs) as response:
            return response.status


async def acknowledged(hook) -> None:
    """Every update pushed so far has had its 200 (which comes after the reply)."""
    await hook.fake.wait_for(lambda: not hook.fake.undelivered(), timeout=10)


async def test_a_single_process_sets_its_webhook_and_answers_through_it(hook):
    [set_call] = hook.fake.sent(method="setWebhook")
    assert set_call.params["url"] == hook.url and set_call.params["secret_token"] == SECRET
    [answer] = await Chat(hook.fake, 2001).say("boleh gak pns like postingan caleg?")
    assert "DILARANG" in answer.text
    await acknowledged(hook)
    assert hook.fake.deliveries and all(status == 200 for _id, status in hook.fake.deliveries)


async def test_calls_without_the_secret_or_with_a_bad_body_are_refused(hook):
    update = {"update_id": 99, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}
    assert await post(hook.url, update, secret=None) == 403
    assert await post(hook.url, update, secret="wrong-secret-wrong-secret") == 403
    assert await post(hook.url, b"{not json") == 400
    assert await post(hook.url, b"[1, 2]") == 400
    assert not hook.fake.sent(5)


async def test_a_redelivered_update_is_answered_once(hook):
    chat = Chat(hook.fake, 2002)
    [_answer] = await chat.say("boleh gak pns like postingan caleg?")
    await acknowledged(hook)
    update_id, _status = hook.fake.deliveries[-1]
    message = {"message_id": 77, "from": chat.user, "chat": {"id": 2002, "type": "private", "first_name": "Budi"},
               "date": 0, "text": "boleh gak pns like postingan caleg?"}  # fmt: skip
    assert await post(hook.url, {"update_id": update_id, "message": message}) == 200  # Telegram's retry
    await asyncio.sleep(0.3)
    assert len(chat.messages) == 1


async def test_a_form_step_saved_by_a_replica_that_died_unacknowledged_is_not_taken_twice(hook):
    """The worst case at-least-once leaves: a replica saved the draft, and died before the update was marked
    done (here: the mark forgotten). Telegram delivers the update again; the form shows the step it led to
    instead of taking it a second time ("Anda masih punya draf…" for /lapor, a date refused for a regency)."""
    log = UpdateLog(hook.app.bot_data["services"].ephemeral)
    chat = Chat(hook.fake, 2003)

    async def deliver_again(message: dict) -> list:
        """The last update (`message`) once more."""
        await acknowledged(hook)
        update_id = hook.fake.deliveries[-1][0]
        await log.release(update_id)  # as if its replica had been killed before marking it done
        assert await post(hook.url, {"update_id": update_id, "message": message}) == 200
        return await chat.replies()

    lapor = chat.send("/lapor")
    _intro, category = await chat.replies(2)
    [again] = await deliver_again(lapor)
    assert again.text == category.text and "draf" not in again.text
    [election] = await chat.press(category, callbacks.TipButton("c", "medsos"))
    await chat.press(election, callbacks.TipButton("e", "pilkada"))
    [province] = await chat.say("Kepala Bidang Dinas Pendidikan Kab. Contoh")
    await chat.press(province, callbacks.TipButton("p", "34"))
    regency_message = chat.send("Kab. Sleman")
    [date] = await chat.replies()
    [again] = await deliver_again(regency_message)
    assert again.text == date.text  # the date step asked again, not "Kab. Sleman" refused as a date
    [description] = await chat.say("17/9/2024")
    assert find(description, callbacks.TipButton("back", "description"))  # and the form goes on from there


async def test_an_update_slower_than_telegrams_patience_is_handled_once(hook):
    """Telegram gives up waiting and posts the update again while it is still being handled: the copy gets
    503 (busy) until the first has finished, then 200, and the user sees one answer."""
    hook.fake.webhook_timeout = 0.3
    hook.fake.stall_seconds = 1.0
    hook.fake.fail("sendMessage", "stall", chat_id=2003)  # the reply is accepted, but answered a second late
    chat = Chat(hook.fake, 2003)
    [answer] = await chat.say("boleh gak pns like postingan caleg?", timeout=10)
    await acknowledged(hook)
    statuses = [status for _id, status in hook.fake.deliveries]
    assert 0 in statuses and statuses[-1] == 200  # a timeout, then the acknowledgement
    await asyncio.sleep(0.5)
    assert len(chat.messages) == 1 and "DILARANG" in answer.text


async def test_health_says_what_is_reachable(hook):
    async with aiohttp.ClientSession() as client, client.get(f"{hook.base}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"database": True, "redis": True, "knowledge": True, "draining": False}


async def test_sigterm_finishes_the_update_in_hand_and_refuses_new_ones(tmp_path):
    async with running_webhook_bot(tmp_path / "data") as hook:
        hook.fake.stall_seconds = 1.5
        hook.fake.fail("sendMessage", "stall", chat_id=2004)
        chat = Chat(hook.fake, 2004)
        chat.send("boleh gak pns like postingan caleg?")
        await hook.fake.wait_for(lambda: any(c.method == "sendMessage" for c in hook.fake.calls), timeout=10)
        hook.stop.set()  # what SIGTERM does (bot/tg/app.py's _until_signalled)
        await asyncio.sleep(0.2)
        async with aiohttp.ClientSession() as client, client.get(f"{hook.base}/healthz") as response:
            assert response.status == 503 and (await response.json())["draining"]
        other = {"update_id": 500, "message": {"message_id": 1, "date": 0, "text": "halo",
                                               "chat": {"id": 2005, "type": "private"}}}  # fmt: skip
        assert await post(hook.url, other) == 503  # Telegram keeps it for another replica
        await hook.serving
    statuses = [status for update_id, status in hook.fake.deliveries if update_id != 500]
    assert statuses == [200]  # the update in hand was finished and acknowledged before the process ended
    assert len(chat.messages) == 1


async def test_update_log_claims_once_and_takes_over_a_dead_replicas_claims():
    store = MemoryStore()
    log, other = UpdateLog(store, "a"), UpdateLog(store, "b")
    await log.beat()
    await other.beat()
    assert await log.claim(1) is Claim.NEW
    assert await log.claim(1) is Claim.BUSY and await other.claim(1) is Claim.BUSY  # "a" is alive, at it
    await log.done(1)
    assert await log.claim(1) is Claim.DONE and await other.claim(1) is Claim.DONE
    assert await log.claim(2) is Claim.NEW
    await log.release(2)
    assert await other.claim(2) is Claim.NEW
    assert await log.claim(3) is Claim.NEW
    await store.delete("replica:a")  # "a" was killed: its heartbeat expired
    assert await other.claim(3) is Claim.NEW


async def test_redis_that_persists_is_refused(tmp_path):
    with redis_server(tmp_path / "redis", "--save", "60 1") as url:
        store = RedisStore(url)
        with pytest.raises(PersistentRedis, match="--save ''"):
            await store.open()
        await store.close()
    with redis_server(tmp_path / "redis2", "--appendonly", "yes") as url:
        store = RedisStore(url)
        with pytest.raises(PersistentRedis, match="append-only"):
            await store.open()
        await store.close()


async def test_redis_store_behaves_as_the_memory_one(tmp_path):
    with redis_server(tmp_path / "redis") as url:
        for store in (MemoryStore(), RedisStore(url)):
            await store.open()
            assert await store.ping()
            assert await store.add("k", b"1", 5) and not await store.add("k", b"2", 5)
            assert await store.get("k") == b"1"
            assert await store.incr("n", 5) == 1 and await store.incr("n", 5) == 2
            await store.set("s", b"x", 0.05)
            await asyncio.sleep(0.15)
            assert await store.get("s") is None
            await store.delete("k")
            assert await store.get("k") is None
            await store.close()


def test_replicas_require_shared_keys_secret_and_redis():
    base = Settings(webhook_url="https://bot.example/telegram", database_url="postgresql://u:p@h/db")
    with pytest.raises(SettingsError, match="DATA_KEY"):
        check_replica_settings(base)
    keyed = Settings(**{**base.__dict__, "data_key": "k" * 44})
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        check_replica_settings(keyed)
    with pytest.raises(SettingsError, match="REDIS_URL"):
        check_replica_settings(Settings(**{**keyed.__dict__, "webhook_secret": SECRET}))
    with pytest.raises(SettingsError, match="16 to 256"):
        check_replica_settings(Settings(**{**keyed.__dict__, "webhook_secret": "short", "redis_url": "redis://r"}))
    check_replica_settings(Settings(**{**keyed.__dict__, "webhook_secret": SECRET, "redis_url": "redis://r"}))
    check_replica_settings(Settings(webhook_url="https://bot.example/telegram"))  # one process: nothing required


def test_postgresql_needs_redis_for_the_drafts(tmp_path):
    """Even one process on PostgreSQL: drafts go to Redis, since PostgreSQL keeps every old row version on disk."""
    from bot.tg.app import build_application

    settings = Settings(data_dir=tmp_path, database_url="postgresql://u:p@127.0.0.1:1/db")
    with pytest.raises(SettingsError, match="REDIS_URL is required with a PostgreSQL DATABASE_URL"):
        build_application(settings)
