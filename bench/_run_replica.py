"""A Netra webhook replica for the replica benchmark: `python main.py` as replica mode runs it (settings from the
environment), but with the rate limiter raised out of the way, as bench/_run_bot.py does for polling."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from bot.tg.app import _until_signalled, build_application, configure_logging, serve_webhook


def main() -> None:
    configure_logging()
    settings = load_settings(env_file=None)
    app = build_application(settings, max_rate=100_000)
    asyncio.run(_until_signalled(lambda stop: serve_webhook(app, settings, stop)))


if __name__ == "__main__":
    main()
