"""The project's fake Bot API (tests/fake_telegram.py) as a container on the compose network, for
deploy/verify-image.sh: the replicas call it instead of api.telegram.org, and it delivers webhook updates to
HAProxy as Telegram does. Never part of a deployment.

    python fake-telegram.py TOKEN PORT      (with the repository's tests/ importable)

Control, for the script: POST /_control/ask {"user_id": 1001, "text": "..."} sends a private message from that
user; GET /_control/state says where the webhook points, what was delivered and what the bot sent.
"""

import asyncio
import sys

from aiohttp import web

from tests.fake_telegram import FakeTelegram


class ContainerFake(FakeTelegram):
    async def listen(self, port: int) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        app.router.add_post("/_control/ask", self._control_ask)
        app.router.add_get("/_control/state", self._control_state)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "0.0.0.0", port).start()

    def _api_setWebhook(self, params):
        # Telegram wants https://; on the compose network HAProxy is plain http://haproxy:8080
        url, secret = params.get("url", ""), params.get("secret_token") or ""
        if url:
            self.set_webhook(url, secret)
        else:
            self.webhook = None
        return True, None

    async def _control_ask(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = self.send_text(self.user(int(body["user_id"])), body["text"])
        return web.json_response({"message_id": message["message_id"]})

    async def _control_state(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "webhook": (self.webhook or {}).get("url"),
                "deliveries": self.deliveries,
                "undelivered": self.undelivered(),
                "sent": [
                    {"chat_id": c.params.get("chat_id"), "text": (c.text or "")[:200]}
                    for c in self.sent(method="sendMessage")
                ],
                "commands_set": sum(1 for c in self.calls if c.method == "setMyCommands" and c.ok),
            }
        )


async def main(token: str, port: int) -> None:
    fake = ContainerFake(token)
    await fake.listen(port)
    print(f"fake Bot API on :{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
