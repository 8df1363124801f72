"""Netra's entry point: `python main.py` runs the bot, `python main.py ask "..."` answers offline."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
