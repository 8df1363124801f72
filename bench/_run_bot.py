"""A bot process for the throughput benchmark: Netra itself, or a bare python-telegram-bot echo of a fixed reply."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.tg.app import build_application, configure_logging


async def fixed_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text("Terima kasih, pertanyaan Anda sudah kami terima.")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("netra", "bare"))
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    configure_logging()
    if args.mode == "netra":
        settings = Settings(
            bot_token=args.token,
            bot_api_base_url=f"{args.base}/bot",
            bot_api_file_url=f"{args.base}/file/bot",
            data_dir=Path(args.data),
        )
        app = build_application(settings, max_rate=100_000)
    else:
        app = ApplicationBuilder().token(args.token).base_url(f"{args.base}/bot").concurrent_updates(256).build()
        app.add_handler(MessageHandler(filters.TEXT, fixed_reply))
    app.run_polling(poll_interval=0, timeout=1)


if __name__ == "__main__":
    main()
