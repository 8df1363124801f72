"""Webhook mode: Telegram posts each update to `POST /telegram`; a load balancer asks `GET /healthz`.

python-telegram-bot's built-in webhook answers Telegram before it handles the update, so a replica that dies
mid-update loses it. This endpoint answers 200 only once the update has been handled: Telegram re-delivers
what a dead replica never answered, to whichever replica the load balancer picks. So that a re-delivery of an
update already handled is only acknowledged, each update is first claimed by its `update_id` in the shared
short-lived store (`UpdateLog`: memory, or Redis with several replicas). A claim names its replica, and each
replica keeps a heartbeat there: the claims of a replica whose heartbeat stopped (killed) are taken over at
Telegram's next delivery, so failover takes seconds, not the claim's lifetime. Handling goes through the
Application's update processor (bot/tg/updates.py), which keeps each chat's updates in order, across
replicas too.

SIGTERM (`drain`): new updates and health checks get 503 at once, so Telegram retries them and the load
balancer takes this replica out; the updates being handled finish; then the process stops.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from enum import Enum

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.storage.ephemeral import EphemeralStore

log = logging.getLogger(__name__)

UPDATE_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; files come by file_id, not in the body
CLAIM_SECONDS = 60.0  # a claim lives this long; renewed while the update is being handled
HEARTBEAT_SECONDS = 3.0  # a replica silent this long is dead, and its claims are taken over
DONE_SECONDS = 24 * 3600.0  # Telegram gives up re-delivering an update after 24 hours
DRAIN_SECONDS = 25.0  # within the 30 s a container runtime waits between SIGTERM and SIGKILL

Health = Callable[[], Awaitable[dict[str, bool]]]


class Claim(Enum):
    NEW = "new"  # this replica handles it
    DONE = "done"  # handled already: acknowledge only
    BUSY = "busy"  # another replica is handling it: ask Telegram to come back


class UpdateLog:
    """Which update ids are being handled (and by which replica) or were handled, for as long as Telegram may
    re-deliver them. An update id says nothing of who sent it; the log is in memory (or Redis) only."""

    def __init__(self, store: EphemeralStore, replica: str | None = None) -> None:
        self._store = store
        self.replica = (replica or secrets.token_hex(8)).encode()  # random: nothing about the machine

    @staticmethod
    def _key(update_id: int) -> str:
        return f"update:{update_id}"

    async def beat(self) -> None:
        """This replica is alive, for HEARTBEAT_SECONDS."""
        await self._store.set(f"replica:{self.replica.decode()}", b"1", HEARTBEAT_SECONDS)

    async def claim(self, update_id: int) -> Claim:
        key = self._key(update_id)
        for _ in range(2):  # the other claim may expire between the two calls
            if await self._store.add(key, self.replica, CLAIM_SECONDS):
                return Claim.NEW
            holder = await self._store.get(key)
            if holder == b"done":
                return Claim.DONE
            if holder is not None and holder != self.replica:
                if await self._store.get(f"replica:{holder.decode()}") is None:  # its replica died
                    await self._store.set(key, self.replica, CLAIM_SECONDS)
                    return Claim.NEW
                return Claim.BUSY
            if holder is not None:
                return Claim.BUSY  # this replica is still at it (Telegram gave up waiting and asks again)
        return Claim.BUSY

    async def renew(self, update_id: int) -> None:
        await self._store.set(self._key(update_id), self.replica, CLAIM_SECONDS)

    async def done(self, update_id: int) -> None:
        await self._store.set(self._key(update_id), b"done", DONE_SECONDS)

    async def release(self, update_id: int) -> None:
        await self._store.delete(self._key(update_id))


class WebhookServer:
    def __init__(self, app: Application, secret: str, updates: UpdateLog, health: Health) -> None:
        self.app = app
        self.secret = secret.encode()
        self.updates = updates
        self.health = health
        self.draining = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._runner: web.AppRunner | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self, listen: str, port: int) -> None:
        web_app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        web_app.router.add_post(UPDATE_PATH, self._on_update)
        web_app.router.add_get(HEALTH_PATH, self._on_health)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, listen, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        await self.updates.beat()
        self._heartbeat = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS / 3)
            try:
                await self.updates.beat()
            except Exception as exc:  # Redis away for a moment: the health check says so; try again
                log.warning("heartbeat not written (%s)", type(exc).__name__)

    async def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Refuse new updates; wait for those being handled. False if some were still running at `timeout`
        (Telegram re-delivers those: they were never answered)."""
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("stopping with %d update(s) still being handled; Telegram will deliver them again",
                        self._in_flight)  # fmt: skip
            return False
        return True

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_health(self, _request: web.Request) -> web.Response:
        checks = await self.health()
        ok = all(checks.values()) and not self.draining
        return web.json_response({**checks, "draining": self.draining}, status=200 if ok else 503)

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403)
        if self.draining:
            return web.Response(status=503)
        update = _parse(await request.read(), self.app)
        if update is None:
            return web.Response(status=400)  # not an update: Telegram never sends one
        claim = await self.updates.claim(update.update_id)
        if claim is Claim.DONE:
            return web.Response()
        if claim is Claim.BUSY:
            return web.Response(status=503)
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._handle(update)
        except Exception:
            log.exception("an update failed outside its handlers; Telegram will deliver it again")
            await self.updates.release(update.update_id)
            return web.Response(status=500)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        await self.updates.done(update.update_id)
        return web.Response()

    async def _handle(self, update: Update) -> None:
        """Through the update processor (each chat in order), keeping the claim alive while it runs."""
        handling = asyncio.ensure_future(
            self.app.update_processor.process_update(update, self.app.process_update(update))
        )
        while True:
            done, _ = await asyncio.wait({handling}, timeout=CLAIM_SECONDS / 3)
            if done:
                handling.result()
                return
            await self.updates.renew(update.update_id)


def _parse(body: bytes, app: Application) -> Update | None:
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, app.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
