"""Outgoing calls: Telegram's flood limits, and retries that do not drop a reply.

python-telegram-bot's AIORateLimiter paces requests and retries after a 429 `RetryAfter`; this adds
retries with backoff for network errors and 5xx answers, which it would otherwise pass straight to the
handler and lose the reply. A 400 (BadRequest) is our own fault and is never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)


class RetryingRateLimiter(AIORateLimiter):
    def __init__(self, network_retries: int = 6, backoff: float = 0.5, max_backoff: float = 15.0, **kwargs: Any):
        kwargs.setdefault("max_retries", 8)
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if endpoint == "getUpdates" or attempt >= self.network_retries:
                    raise
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                attempt += 1
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, type(exc).__name__, attempt, delay)
                await asyncio.sleep(delay)
