"""The layout tells the architecture: only the Telegram adapter (bot/tg/) imports python-telegram-bot, the
storage imports nothing of the bot above it and holds every SQL statement, and the README's layout table names
every module."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

BOT = ROOT / "bot"


def imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules() -> list:
    return sorted(p for p in BOT.rglob("*.py") if ".venv" not in p.parts)


def test_only_the_telegram_adapter_imports_telegram():
    outside = {
        str(path.relative_to(ROOT)): sorted(m for m in imports(path) if m == "telegram" or m.startswith("telegram."))
        for path in modules()
        if "tg" not in path.relative_to(BOT).parts[:1]
    }
    assert not {path: found for path, found in outside.items() if found}


def test_storage_imports_nothing_of_the_bot_above_it():
    for path in (BOT / "storage").rglob("*.py"):
        above = [m for m in imports(path) if m.startswith("bot.") and not m.startswith("bot.storage")]
        assert not above, f"{path.name} imports {above}"


SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|BEGIN)\b")


def test_every_sql_statement_is_in_storage():
    """So a second database backend replaces bot/storage/ alone."""
    found = []
    for path in modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("bot/storage/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                found.append(f"{relative}:{node.lineno}: {node.value.strip()[:40]}")
    assert not found, f"SQL outside bot/storage/: {found}"


def test_the_readme_layout_table_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Layout") :].split("\n## ")[0]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(bot/[\w/]*)`.*$", table, re.M)}
    missing = []
    for path in modules():
        if path.name == "__init__.py":
            continue
        relative = path.relative_to(ROOT).as_posix()
        folder = next((f for f in sorted(rows, key=len, reverse=True) if relative.startswith(f)), None)
        named = (folder is not None and f"`{path.name}`" in rows[folder]) or f"`{relative}`" in table
        if not named:
            missing.append(relative)
    assert not missing, f"not in the README's layout table: {missing}"


def test_every_module_path_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:bot|tests|bench)/[\w/]+\.py)`", readme))
    assert named and not [path for path in named if not (ROOT / path).exists()]
