"""A local fake of the Telegram Bot API, for driving the real `Application` over HTTP.

It serves `/bot<token>/<method>` on 127.0.0.1, hands out queued updates through `getUpdates` (long polling),
records what the bot sends, and rejects what Telegram rejects: malformed HTML entities, text over 4096
characters, empty text, callback_data over 64 bytes, buttons without text or action. It can misbehave on
request: 429 with retry_after, 5xx, a dropped connection, or a stall (the call is carried out, but answered
only after the client's read timeout), for the next N calls of a method.

With a webhook set (`setWebhook`, or `set_webhook` in a test), it delivers updates as Telegram does instead:
POSTed to the URL with the secret header, one at a time per queue (a chat's messages; a user's button presses
and inline queries), each retried until it is answered 200; a non-200, a dropped connection or a timeout
(`webhook_timeout`) means "again, after `webhook_retry` seconds". `getUpdates` is refused meanwhile (409).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "netra_test_bot"
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
    "code", "pre", "blockquote",
}  # fmt: skip
JSON_FIELDS = {"reply_markup", "results", "commands", "allowed_updates", "link_preview_options", "reply_parameters"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"]*\")?)*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


def parse_html(text: str) -> str:
    """Telegram's reading of parse_mode=HTML: the plain text, or ApiError for what it cannot parse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise ApiError(f"Bad Request: can't parse entities: Unsupported start tag at byte offset {i}")
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise ApiError(f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise ApiError(f"Bad Request: can't parse entities: Unsupported entity at byte offset {i}")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise ApiError(f"Bad Request: can't parse entities: Unexpected '>' at byte offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise ApiError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str | None, html_mode: bool = True) -> str:
    """What Telegram checks in a message's text (also used by unit tests): the plain text, or ApiError."""
    if text is None or text == "":
        raise ApiError("Bad Request: message text is empty")
    plain = parse_html(text) if html_mode else text
    if not plain.strip():
        raise ApiError("Bad Request: message text is empty")
    if utf16_len(plain) > 4096:
        raise ApiError("Bad Request: message is too long")
    return plain


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error: str | None = None
    text: str | None = None  # plain text, as a user sees it
    html: str | None = None  # the text as sent


@dataclass
class FakeTelegram:
    token: str
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[tuple[str, int, int | None]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content, served by getFile
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    base: str = ""
    _pushed_at: dict[int, list[float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    stall_seconds: float = 6.0  # a 'stall' fault's delay: past python-telegram-bot's default read timeout (5 s)
    webhook: dict[str, str] | None = None  # url and secret_token, while a webhook is set
    webhook_timeout: float = 10.0
    webhook_retry: float = 0.3
    deliveries: list[tuple[int, int]] = field(default_factory=list)  # (update_id, HTTP status or 0) per attempt
    _webhook_queues: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    _webhook_workers: dict[tuple[str, int], asyncio.Task] = field(default_factory=dict)
    _client: aiohttp.ClientSession | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0, control: bool = False) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        if control:  # for benchmarks driving the fake from another process
            app.router.add_post("/_control/push", self._control_push)
            app.router.add_get("/_control/stats", self._control_stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        self._new_update.set()
        self.webhook = None
        for worker in self._webhook_workers.values():
            worker.cancel()
        await asyncio.gather(*self._webhook_workers.values(), return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- webhook delivery

    def set_webhook(self, url: str, secret_token: str | None = None) -> None:
        """What setWebhook does: updates waiting for getUpdates go to the URL from now on."""
        self.webhook = {"url": url, "secret": secret_token or ""}
        waiting, self._updates = self._updates, []
        for update in waiting:
            self._enqueue(update)

    @staticmethod
    def _queue_of(update: dict[str, Any]) -> tuple[str, int]:
        """Telegram queues a chat's messages together, and a user's button presses and inline queries."""
        if "message" in update:
            return ("chat", update["message"]["chat"]["id"])
        kind = next(k for k in update if k != "update_id")
        return ("user", update[kind]["from"]["id"])

    def _enqueue(self, update: dict[str, Any]) -> None:
        key = self._queue_of(update)
        self._webhook_queues.setdefault(key, []).append(update)
        worker = self._webhook_workers.get(key)
        if worker is None or worker.done():
            self._webhook_workers[key] = asyncio.ensure_future(self._deliver(key))

    async def _deliver(self, key: tuple[str, int]) -> None:
        queue = self._webhook_queues[key]
        while queue and self.webhook is not None:
            update = queue[0]
            if self._client is None:
                self._client = aiohttp.ClientSession()
            status = 0
            try:
                async with self._client.post(
                    self.webhook["url"],
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]},
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.deliveries.append((update["update_id"], status))
            if status == 200:
                queue.pop(0)
            else:
                await asyncio.sleep(self.webhook_retry)

    def undelivered(self) -> int:
        """Updates the webhook has not had a 200 for yet."""
        return sum(len(q) for q in self._webhook_queues.values())

    # ---------------------------------------------------------------- test helpers

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1, chat_id: int | None = None) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail: kind '429', '500', '502', 'drop',
        or 'stall' (done as asked, but answered `stall_seconds` late, when the client has given up)."""
        self.faults.setdefault(method, []).extend([(kind, retry_after, chat_id)] * times)

    def add_file(self, content: bytes, size: int | None = None) -> dict[str, Any]:
        """A file a user sends: its id and size as Telegram puts them in a message. `size` may claim more
        than `content` holds (a 25 MB file without 25 MB of test data)."""
        n = len(self.files) + 1
        file_id = f"FILE{n:04d}{'x' * 20}"
        self.files[file_id] = content
        return {"file_id": file_id, "file_unique_id": f"U{n:04d}", "file_size": size or len(content)}

    def send_photo(self, user: dict, content: bytes, **extra: Any) -> dict[str, Any]:
        f = self.add_file(content)
        return self.send_text(user, None, photo=[{**f, "width": 40, "height": 30}], **extra)

    def send_document(
        self, user: dict, content: bytes, mime: str, name: str = "bukti.pdf", size: int | None = None
    ) -> dict[str, Any]:
        f = self.add_file(content, size)
        return self.send_text(user, None, document={**f, "mime_type": mime, "file_name": name})

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        if "message" in update:
            self._pushed_at.setdefault(update["message"]["chat"]["id"], []).append(time.perf_counter())
        if self.webhook is not None:
            self._enqueue(update)
            return update
        self._updates.append(update)
        self._new_update.set()
        return update

    def user(self, user_id: int, first_name: str = "Budi", username: str | None = None, lang: str = "id") -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": lang}
        if username:
            user["username"] = username
        return user

    def send_text(
        self, user: dict, text: str, chat: dict | None = None, reply_to: dict | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A user's message; commands and mentions get their entities, as Telegram's clients add them."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = {"message_id": next(self._message_ids), "from": user, "chat": chat, "date": int(time.time())}
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
            for m in re.finditer(r"@\w+", text):
                entities.append({"type": "mention", "offset": m.start(), "length": m.end() - m.start()})
            if entities:
                message["entities"] = entities
        if reply_to:
            message["reply_to_message"] = reply_to
        message.update(extra)
        self.push({"message": message})
        return message

    def press(self, user: dict, message: dict, data: str) -> dict[str, Any]:
        """A user pressing an inline button under `message` (a message the bot sent)."""
        return self.push(
            {
                "callback_query": {
                    "id": str(next(self._update_ids) * 7919),
                    "from": user,
                    "message": message,
                    "chat_instance": "ci",
                    "data": data,
                }
            }
        )

    def inline(self, user: dict, query: str) -> dict[str, Any]:
        return self.push(
            {"inline_query": {"id": str(next(self._update_ids) * 104729), "from": user, "query": query, "offset": ""}}
        )

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Successful calls that show something to users, optionally for one chat or method."""
        shown = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "answerInlineQuery")
        return [
            c
            for c in self.calls
            if c.ok
            and (method is None or c.method == method)
            and (method is not None or c.method in shown)
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def messages_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.sent(chat_id) if c.method in ("sendMessage", "editMessageText")]

    async def wait_for(self, predicate, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out after {timeout}s waiting; calls so far: {[c.method for c in self.calls]}")

    async def wait_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Call]:
        await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    def message_of(self, call: Call) -> dict[str, Any]:
        """The Message object the bot got back for a send or edit (to press its buttons)."""
        return call.result

    # ---------------------------------------------------------------- the API

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        queue = self.faults.get(method)
        fault = next((f for f in queue or [] if f[2] is None or str(f[2]) == str(params.get("chat_id"))), None)
        stall = 0.0
        if fault and fault[0] == "stall":  # Telegram does what was asked, but answers after the client gave up
            queue.remove(fault)
            fault, stall = None, self.stall_seconds
        if fault:
            queue.remove(fault)
            kind, retry_after, _chat = fault
            self.calls.append(Call(method, params, False, error=f"fault {kind}"))
            if kind == "drop":
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=500)
            if kind == "429":
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
                return web.json_response(body, status=429)
            code = int(kind)
            return web.json_response(
                {"ok": False, "error_code": code, "description": "Internal Server Error"}, status=code
            )
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            result, call = await handler(params) if asyncio.iscoroutinefunction(handler) else handler(params)
        except ApiError as err:
            self.calls.append(Call(method, params, False, error=err.description))
            return web.json_response(
                {"ok": False, "error_code": err.code, "description": err.description}, status=err.code
            )
        if call is not None:
            self.calls.append(call)
        if stall:
            await asyncio.sleep(stall)
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw: dict[str, Any] = await request.json()
        else:
            raw = dict(await request.post()) if request.can_read_body else {}
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):  # an uploaded file (sendPhoto, sendDocument)
                value = {"filename": value.filename, "content": value.file.read()}
            if key in JSON_FIELDS and isinstance(value, str):
                value = json.loads(value)
            params[key] = value
        return params

    async def _control_push(self, request: web.Request) -> web.Response:
        for update in (await request.json())["updates"]:
            self.push(update)
        return web.json_response({"ok": True})

    async def _control_stats(self, request: web.Request) -> web.Response:
        sent = sum(1 for c in self.calls if c.ok and c.method == "sendMessage")
        return web.json_response({"sent": sent, "latencies": self.latencies})

    def _bot(self) -> dict[str, Any]:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "Netra", "username": BOT_USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True,
        }  # fmt: skip

    def _api_getMe(self, params):
        return self._bot(), None

    def _api_deleteWebhook(self, params):
        self.webhook = None
        return True, Call("deleteWebhook", params, True, True)

    def _api_setWebhook(self, params):
        url = params.get("url", "")
        secret = params.get("secret_token") or ""
        if url and not url.startswith(("https://", "http://127.0.0.1")):  # Telegram: HTTPS only
            raise ApiError("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError("Bad Request: secret token contains unallowed characters")
        if url:
            self.set_webhook(url, secret)
        else:
            self.webhook = None
        return True, Call("setWebhook", params, True, True)

    def _api_setMyCommands(self, params):
        for command in params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not 1 <= len(command["description"]) <= 256:
                raise ApiError("Bad Request: BOT_COMMAND_INVALID")
        return True, Call("setMyCommands", params, True, True)

    def _api_deleteMyCommands(self, params):
        return True, Call("deleteMyCommands", params, True, True)

    def _api_getFile(self, params):
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        size = len(self.files[file_id])
        if size > 20 * 1024 * 1024:
            raise ApiError("Bad Request: file is too big")
        result = {
            "file_id": file_id,
            "file_unique_id": "u" + file_id[:8],
            "file_size": size,
            "file_path": f"docs/{file_id}",
        }
        return result, Call("getFile", params, True, result)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    def _api_sendChatAction(self, params):
        return True, None

    async def _api_getUpdates(self, params):
        if self.webhook is not None:
            raise ApiError(
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
                "webhook first",
                409,
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return self._updates[:limit], None

    def _check_text(self, params: dict[str, Any], key: str = "text") -> str:
        return check_text(params.get(key), str(params.get("parse_mode", "")).upper() == "HTML")

    def _check_markup(self, markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        if "force_reply" in markup:
            placeholder = markup.get("input_field_placeholder")
            if markup["force_reply"] is not True or (placeholder is not None and not 1 <= len(placeholder) <= 64):
                raise ApiError("Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text", "").strip():
                    raise ApiError("Bad Request: BUTTON_TEXT_EMPTY")
                actions = [k for k in button if k != "text"]
                if len(actions) != 1:
                    raise ApiError("Bad Request: can't parse inline keyboard button: exactly one action expected")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError("Bad Request: BUTTON_DATA_INVALID")

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        cid = int(chat_id)
        return {"id": cid, "type": "private" if cid > 0 else "supergroup"}

    def _api_sendMessage(self, params):
        plain = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        message = {
            "message_id": next(self._message_ids),
            "from": self._bot(),
            "chat": self._chat(params["chat_id"]),
            "date": int(time.time()),
            "text": plain,
        }
        if (params.get("reply_markup") or {}).get("inline_keyboard"):  # Telegram echoes inline keyboards only
            message["reply_markup"] = params["reply_markup"]
        self._messages[(int(params["chat_id"]), message["message_id"])] = message
        pending = self._pushed_at.get(int(params["chat_id"]))
        if pending:
            self.latencies.append(time.perf_counter() - pending.pop(0))
        return message, Call("sendMessage", params, True, message, text=plain, html=params["text"])

    def _send_file(self, method: str, field: str, params: dict[str, Any]) -> tuple[dict[str, Any], Call]:
        upload = params.get(field)
        if not isinstance(upload, dict) or not upload.get("content"):
            raise ApiError(f"Bad Request: there is no {field} in the request")
        if params.get("caption") is not None and utf16_len(self._check_text(params, "caption")) > 1024:
            raise ApiError("Bad Request: message caption is too long")
        message = {
            "message_id": next(self._message_ids), "from": self._bot(), "chat": self._chat(params["chat_id"]),
            "date": int(time.time()), "caption": params.get("caption"),
        }  # fmt: skip
        return message, Call(method, params, True, message, text=params.get("caption"))

    def _api_sendPhoto(self, params):
        upload = params.get("photo")
        if isinstance(upload, dict) and upload.get("content"):  # Telegram's photo limits
            from io import BytesIO  # only here: the rest of the fake needs no imaging

            from PIL import Image

            content = upload["content"]
            try:
                with Image.open(BytesIO(content)) as img:
                    width, height = img.size
            except (OSError, ValueError):
                raise ApiError("Bad Request: IMAGE_PROCESS_FAILED") from None
            too_long = max(width, height) > 20 * min(width, height)
            if len(content) > 10 * 1024 * 1024 or width + height > 10_000 or too_long:
                raise ApiError("Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self._send_file("sendPhoto", "photo", params)

    def _api_sendDocument(self, params):
        return self._send_file("sendDocument", "document", params)

    def _api_editMessageText(self, params):
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        plain = self._check_text(params)
        self._check_markup(params.get("reply_markup"))
        if plain == message.get("text") and params.get("reply_markup") == message.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified")
        message = {**message, "text": plain, "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[key] = message
        return message, Call("editMessageText", params, True, message, text=plain, html=params["text"])

    def _api_editMessageReplyMarkup(self, params):
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self._messages.get(key)
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        self._check_markup(params.get("reply_markup"))
        message = {**message}
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[key] = message
        return message, Call("editMessageReplyMarkup", params, True, message)

    def _api_deleteMessages(self, params):
        """Bots may delete messages in private chats; ids that cannot be found are skipped, as Telegram does."""
        ids = params["message_ids"]
        if isinstance(ids, str):
            ids = json.loads(ids)
        if not 1 <= len(ids) <= 100:
            raise ApiError("Bad Request: too many message identifiers specified")
        chat_id = int(params["chat_id"])
        for message_id in ids:
            self._messages.pop((chat_id, int(message_id)), None)
        return True, Call("deleteMessages", {**params, "message_ids": [int(i) for i in ids]}, True, True)

    def _api_deleteMessage(self, params):
        if self._messages.pop((int(params["chat_id"]), int(params["message_id"])), None) is None:
            raise ApiError("Bad Request: message to delete not found")
        return True, Call("deleteMessage", params, True, True)

    def _api_answerCallbackQuery(self, params):
        if len(params.get("text") or "") > 200:
            raise ApiError("Bad Request: MESSAGE_TOO_LONG")
        return True, Call("answerCallbackQuery", params, True, True, text=params.get("text"))

    def _api_answerInlineQuery(self, params):
        results = params.get("results", [])
        if len(results) > 50:
            raise ApiError("Bad Request: RESULTS_TOO_MUCH")
        for result in results:
            if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
                raise ApiError("Bad Request: RESULT_ID_INVALID")
            content = result.get("input_message_content", {})
            self._check_text({"text": content.get("message_text"), "parse_mode": content.get("parse_mode")})
        return True, Call("answerInlineQuery", params, True, True)
