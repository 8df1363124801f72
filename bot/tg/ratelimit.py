"""Outgoing calls: Telegram's flood limits, and retries that neither drop a reply nor send it twice.

python-telegram-bot's AIORateLimiter paces requests and retries after a 429 `RetryAfter`; this adds
retries with backoff for failures where Telegram surely did not act on the request, which the library
would otherwise pass straight to the handler and lose the reply:

- an error answer (5xx, 502 Bad Gateway included): Telegram, or the proxy in front of it, said it failed;
- no connection (refused, unreachable; a connect or pool timeout): nothing was sent;
- the connection closed or reset with no answer (a keep-alive connection the server had already dropped).

A `TimedOut` while waiting for the answer (read or write timeout) is never retried: the request may have
arrived, and a second sendMessage would show the user the reply twice. A 400 (BadRequest) is our own fault
and is never retried either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# httpx errors after which the request surely did not reach Telegram, or reached it without being answered
# because the connection was gone: python-telegram-bot raises them as NetworkError/TimedOut `from` the cause
_NOT_SENT_TIMEOUTS = (httpx.ConnectTimeout, httpx.PoolTimeout)
_NOT_ANSWERED = (httpx.ConnectError, httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError)


def is_safe_to_retry(exc: NetworkError) -> bool:
    """True when sending the request again cannot make Telegram do it twice."""
    cause = exc.__cause__
    if isinstance(exc, BadRequest):
        return False
    if isinstance(exc, TimedOut):
        return isinstance(cause, _NOT_SENT_TIMEOUTS)
    if cause is None or isinstance(cause, TelegramError):
        # python-telegram-bot raises NetworkError with no cause for an HTTP error status it has no
        # other class for: 5xx (a body it could not parse chains a TelegramError)
        return True
    return isinstance(cause, _NOT_ANSWERED)


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
            except NetworkError as exc:
                if endpoint == "getUpdates" or attempt >= self.network_retries or not is_safe_to_retry(exc):
                    raise
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                attempt += 1
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, type(exc).__name__, attempt, delay)
                await asyncio.sleep(delay)
