"""The message catalogues: every short text users read, one YAML file per language in templates/messages/.

The strings are Telegram HTML (the bot's default parse mode); values filled in are escaped, since some come
from what the user typed. A key an English catalogue lacks falls back to Indonesian (staff screens are
Indonesian only).
"""

from __future__ import annotations

import html
from pathlib import Path

LANGUAGES = ("id", "en")


class Messages:
    def __init__(self, folder: Path) -> None:
        from bot.qa.kb_files import load_yaml  # here: kb_files needs the rule schema, which needs Messages

        self._text: dict[str, dict[str, str]] = {
            lang: load_yaml((folder / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES
        }

    def __call__(self, key: str, lang: str, **fmt: object) -> str:
        text = self._text.get(lang, self._text["id"]).get(key) or self._text["id"][key]
        return text.format(**{k: html.escape(str(v)) for k, v in fmt.items()}) if fmt else text

    def plain(self, key: str, lang: str, **fmt: object) -> str:
        """A message as plain text (a terminal, or a template that escapes): values filled in as they are."""
        text = self._text.get(lang, self._text["id"]).get(key) or self._text["id"][key]
        return text.format(**fmt)  # problem_* texts double their literal braces

    def group(self, prefix: str, lang: str) -> dict[str, str]:
        """Every key starting `prefix_`, without it: say the verdict labels (`verdict_boleh` -> `boleh`)."""
        start = f"{prefix}_"
        keys = {k for k in self._text["id"] if k.startswith(start)}
        return {k[len(start) :]: self(k, lang) for k in sorted(keys)}
