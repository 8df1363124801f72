"""Talking to the bot as its users do, through the fake Bot API: the one helper every end-to-end test uses to
send messages, press buttons, ask inline queries and wait for what the bot sends back.

A `Chat` is one user in their private chat with the bot; a `GroupChat` is a group the bot is in (with a member
who talks there, or none for a chat the bot only posts to, such as the admin chat). Buttons are named with the
typed buttons of bot/tg/callbacks.py: an instance for one exact button (`callbacks.TopicPage("kampanye", 0)`),
a class and some of its fields for the first button of that kind (`callbacks.Vote, sign="-"`), or, for old
and forged data, a plain prefix of the callback_data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.tg import callbacks
from tests.fake_telegram import Call, FakeTelegram

TIMEOUT = 15.0

B = TypeVar("B", bound=callbacks.Button)
ButtonSpec = str | callbacks.Button | type[callbacks.Button]


def buttons(call: Call) -> list[dict]:
    """The inline buttons under a message the bot sent, row after row."""
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def datas(call: Call) -> list[str]:
    """The callback_data of every inline button under `call`."""
    return [b["callback_data"] for b in buttons(call) if "callback_data" in b]


def _of_kind(data: str, kind: type[B], fields: dict[str, Any]) -> B | None:
    button = kind.unpack(data)
    if button is None or any(getattr(button, name) != value for name, value in fields.items()):
        return None
    return button


def typed(call: Call, kind: type[B], **fields: Any) -> list[B]:
    """The buttons of `kind` under `call`, read back with `kind.unpack`, those whose fields equal `fields`."""
    return [button for data in datas(call) if (button := _of_kind(data, kind, fields)) is not None]


def button_of(call: Call, kind: type[B], **fields: Any) -> B:
    """The first button of `kind` (with these `fields`) under `call`."""
    found = typed(call, kind, **fields)
    assert found, f"no {kind.__name__} {fields or ''} under: {call.text!r} {buttons(call)}"
    return found[0]


def find(call: Call, spec: ButtonSpec, **fields: Any) -> list[str]:
    """The callback_data under `call` that `spec` names: a typed button (exactly), a kind of button (with
    these `fields`), or a prefix of the data."""
    if isinstance(spec, type):
        return [data for data in datas(call) if _of_kind(data, spec, fields) is not None]
    if isinstance(spec, callbacks.Button):
        return [data for data in datas(call) if data == spec.pack()]
    return [data for data in datas(call) if data.startswith(spec)]


def data_of(call: Call, spec: ButtonSpec, **fields: Any) -> str:
    """The callback_data of the first button under `call` that `spec` names (see `find`)."""
    found = find(call, spec, **fields)
    assert found, f"no button {spec!r} {fields or ''} under: {call.text!r} {buttons(call)}"
    return found[0]


class Chat:
    """One user talking to the bot in a private chat. `seen` counts the bot's messages in the chat already read
    (those sent before this Chat was made count as read); `replies` returns the next unread ones."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int | None,
        first_name: str = "Budi",
        username: str | None = None,
        lang: str = "id",
        *,
        chat: dict | None = None,
    ):
        self.fake = fake
        self.id = user_id
        self.user = None if user_id is None else fake.user(user_id, first_name=first_name, username=username, lang=lang)
        self.chat = chat  # None: the user's private chat with the bot
        self.chat_id = chat["id"] if chat else user_id
        self.seen = len(self.messages)
        self._presses: set[str] = set()  # ids of this user's callback queries
        self._inline: set[str] = set()  # ids of this user's inline queries

    # ------------------------------------------------------------------ what the bot shows

    @property
    def messages(self) -> list[Call]:
        """Every message the bot sent or edited in this chat."""
        return self.fake.messages_to(self.chat_id)

    @property
    def unread(self) -> list[Call]:
        return self.messages[self.seen :]

    def sent(self, method: str) -> list[Call]:
        """The bot's successful `method` calls to this chat (sendPhoto, sendDocument, editMessageReplyMarkup...)."""
        return self.fake.sent(self.chat_id, method)

    async def wait_sent(self, method: str, count: int = 1, timeout: float = TIMEOUT) -> list[Call]:
        """Every `method` call to this chat, once there are at least `count`."""
        await self.fake.wait_for(lambda: len(self.sent(method)) >= count, timeout)
        return self.sent(method)

    async def replies(self, count: int = 1, timeout: float = TIMEOUT) -> list[Call]:
        """The next `count` messages the bot sends (or edits) in this chat."""
        await self.fake.wait_for(lambda: len(self.messages) >= self.seen + count, timeout)
        new = self.messages[self.seen : self.seen + count]
        self.seen += count
        return new

    async def replies_until(
        self, last: Callable[[Call], bool], timeout: float = TIMEOUT, give_up: Callable[[], bool] | None = None
    ) -> list[Call]:
        """The bot's new messages up to the first one `last` accepts (sooner if `give_up()` turns true: then
        whatever has come, read)."""
        await self.fake.wait_for(lambda: (give_up and give_up()) or any(last(c) for c in self.unread), timeout)
        new = self.unread
        end = next((i + 1 for i, c in enumerate(new) if last(c)), len(new))
        self.seen += end
        return new[:end]

    # ------------------------------------------------------------------ messages

    def send(self, text: str | None, **extra: Any) -> dict[str, Any]:
        """A message from the user, without waiting for an answer; `extra` are more Message fields."""
        assert self.user is not None, "nobody talks in this chat"
        return self.fake.send_text(self.user, text, chat=self.chat, **extra)

    async def say(self, text: str | None, count: int = 1, timeout: float = TIMEOUT, **extra: Any) -> list[Call]:
        """A message from the user, and the bot's next `count` messages."""
        self.send(text, **extra)
        return await self.replies(count, timeout)

    def send_edit(self, text: str, message_id: int = 5) -> dict[str, Any]:
        """The user editing a message they sent earlier (an edited_message update)."""
        assert self.user is not None, "nobody talks in this chat"
        chat = self.chat or {"id": self.user["id"], "type": "private"}
        message = {"message_id": message_id, "from": self.user, "chat": chat, "date": 1, "edit_date": 2, "text": text}
        self.fake.push({"edited_message": message})
        return message

    async def send_photo(self, content: bytes, count: int = 1) -> list[Call]:
        self.fake.send_photo(self.user, content, chat=self.chat)
        return await self.replies(count)

    async def send_document(
        self, content: bytes, mime: str, size: int | None = None, count: int = 1, name: str = "bukti.pdf"
    ) -> list[Call]:
        f = self.fake.add_file(content, size)
        return await self.say(None, count, document={**f, "mime_type": mime, "file_name": name})

    # ------------------------------------------------------------------ buttons

    def forge(self, call: Call, data: str) -> str:
        """A press with any callback_data under the message `call` (forged or old buttons), without waiting;
        returns the callback query's id."""
        assert self.user is not None, "nobody talks in this chat"
        update = self.fake.press(self.user, self.fake.message_of(call), data)
        query_id = update["callback_query"]["id"]
        self._presses.add(query_id)
        return query_id

    def tap(self, call: Call, spec: ButtonSpec, **fields: Any) -> str:
        """A press of the button `spec` names under `call` (see `find`), without waiting; returns the callback
        query's id."""
        return self.forge(call, data_of(call, spec, **fields))

    async def press(
        self, call: Call, spec: ButtonSpec, count: int = 1, timeout: float = TIMEOUT, **fields: Any
    ) -> list[Call]:
        """A press of the button `spec` names under `call`, and the bot's next `count` messages."""
        self.tap(call, spec, **fields)
        return await self.replies(count, timeout)

    def answers(self) -> list[Call]:
        """The bot's answers (answerCallbackQuery) to this user's presses."""
        return [
            c
            for c in self.fake.sent(method="answerCallbackQuery")
            if str(c.params.get("callback_query_id")) in self._presses
        ]

    async def wait_answers(self, count: int = 1, timeout: float = TIMEOUT) -> list[Call]:
        """The answers to this user's presses, once there are at least `count`."""
        await self.fake.wait_for(lambda: len(self.answers()) >= count, timeout)
        return self.answers()

    async def press_for_alert(self, call: Call, data: str | callbacks.Button, timeout: float = TIMEOUT) -> str:
        """Press a button with this data (a typed button, or any callback_data: forged, old) under `call`; the
        text of the alert the bot answers with."""
        query_id = self.forge(call, data.pack() if isinstance(data, callbacks.Button) else data)

        def alert() -> Call | None:
            return next(
                (
                    c
                    for c in self.fake.sent(method="answerCallbackQuery")
                    if c.params.get("show_alert") and str(c.params.get("callback_query_id")) == query_id
                ),
                None,
            )

        return (await self.fake.wait_for(alert, timeout)).params["text"]

    # ------------------------------------------------------------------ inline mode

    def send_inline(self, query: str) -> str:
        """An inline query (@bot query typed in any chat), without waiting; returns its id."""
        assert self.user is not None, "nobody talks in this chat"
        query_id = self.fake.inline(self.user, query)["inline_query"]["id"]
        self._inline.add(query_id)
        return query_id

    async def inline_answer(self, query_id: str, timeout: float = TIMEOUT) -> Call:
        def answer() -> Call | None:
            return next(
                (
                    c
                    for c in self.fake.sent(method="answerInlineQuery")
                    if str(c.params.get("inline_query_id")) == query_id
                ),
                None,
            )

        return await self.fake.wait_for(answer, timeout)

    async def inline(self, query: str, timeout: float = TIMEOUT) -> Call:
        """An inline query, and the bot's answer to it (its `results`)."""
        return await self.inline_answer(self.send_inline(query), timeout)


class GroupChat(Chat):
    """A group the bot is in, and `user_id`, a member talking there (None: nobody, for a chat the bot only
    posts to, such as the admin chat)."""

    def __init__(
        self,
        fake: FakeTelegram,
        group_id: int,
        user_id: int | None = None,
        first_name: str = "Budi",
        username: str | None = None,
        lang: str = "id",
        title: str = "Kantor",
        kind: str = "supergroup",
    ):
        super().__init__(fake, user_id, first_name, username, lang, chat={"id": group_id, "type": kind, "title": title})
