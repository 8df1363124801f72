"""The fake Bot API as a separate process, so benchmarks measure the bot's CPU alone."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_telegram import FakeTelegram


async def main(token: str) -> None:
    fake = FakeTelegram(token)
    print(await fake.start(control=True), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
