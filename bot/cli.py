"""Command line: `python main.py` runs the bot; `ask` answers offline (from the YAML); `kb validate` checks
the knowledge; `kb export DIR` / `kb import DIR` move the rules in service between the database and YAML;
`tips export FILE` writes the reports out for handing over."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.admin.roles import AdminService
from bot.config import PROJECT_ROOT, Settings, SettingsError, load_settings
from bot.editing.calendar import CalendarError, CalendarService, check_calendar
from bot.editing.rules import ImportSummary, RuleError, RuleService
from bot.presentation.render import Renderer
from bot.qa.calendar import CALENDAR_FILE, load_calendar
from bot.qa.kb import KnowledgeBase, KnowledgeError
from bot.qa.kb_files import load_knowledge, read_entries, write_knowledge
from bot.qa.matcher import MatchResult
from bot.storage.calendar import CalendarRevision
from bot.storage.database import Database
from bot.tips.form import load_provinces

IMPORT_AUTHOR = "kb import"
SERVER = 0  # the audit's actor for what is done on the server's command line


def result_json(result: MatchResult) -> dict[str, Any]:
    """The `ask --json` contract: one flat object per question. Fields are only ever added, never renamed
    or dropped. `probability`: the calibrated chance that the first candidate is the right rule."""
    best = result.best
    rule = best.rule if best else None
    return {
        "query": result.query,
        "matched": result.matched,
        "status": result.status,
        "rule_id": rule.id if rule else None,
        "verdict": rule.verdict if rule else None,
        "title": rule.title if rule else None,
        "confidence": best.score if best else 0.0,
        "basis": [{"source": b.source, "article": b.article} for b in rule.basis] if rule else [],
        "alternatives": [
            {"rule_id": c.rule.id, "title": c.rule.title, "confidence": c.score} for c in result.alternatives
        ],
        "probability": round(result.probability, 3),
    }


def _ask(args: argparse.Namespace, knowledge_dir: Path) -> int:
    from bot.engine import load_engine

    engine = load_engine(knowledge_dir)
    if args.question == "-":
        for line in sys.stdin:
            if line.strip():
                result = engine.matcher.match(line.strip())
                if args.json:
                    print(json.dumps(result_json(result), ensure_ascii=False), flush=True)
                else:
                    print(engine.renderer.result_text(result, args.lang) + "\n", flush=True)
        return 0
    result = engine.matcher.match(args.question)
    if args.json:
        print(json.dumps(result_json(result), ensure_ascii=False))
    else:
        print(engine.renderer.result_text(result, args.lang))
    return 0


def _validate(args: argparse.Namespace, knowledge_dir: Path) -> int:
    laws = Path(args.laws) if args.laws else PROJECT_ROOT.parent / "shared" / "reference" / "laws"
    kb = load_knowledge(knowledge_dir, laws_dir=laws if laws.is_dir() else None, strict=False)
    problems = [str(p) for p in kb.problems] + Renderer(kb).card_problems()  # the first screen fits a phone
    calendar = load_calendar(knowledge_dir, set(load_provinces(knowledge_dir)), set(kb.rules))
    problems += calendar.problems
    for problem in problems:
        print(problem)
    status = "FAILED" if problems else "OK"
    print(f"kb validate: {status}: {len(kb.rules)} rules in {len(kb.topics)} topics, "
          f"{len(kb.sources)} sources, {len(calendar.elections)} elections, {len(problems)} problem(s)")  # fmt: skip
    return 1 if problems else 0


def _kb_acts(_args: argparse.Namespace, knowledge_dir: Path) -> int:
    kb = load_knowledge(knowledge_dir)
    by_act: dict[str, list] = {}
    for rule in kb.rules.values():
        if rule.act:
            by_act.setdefault(rule.act, []).append(rule)
    shared = sorted((act, rules) for act, rules in by_act.items() if len(rules) > 1)
    print(Renderer(kb).render("acts.md.j2", kb=kb, shared_acts=shared))
    return 0


def _db_move(_args: argparse.Namespace, _knowledge_dir: Path) -> int:
    """The SQLite file in DATA_DIR into the empty PostgreSQL database of DATABASE_URL (drafts into REDIS_URL)."""
    from bot.privacy.keys import KEY_FILE, KeyMismatch, load_keys
    from bot.storage.drafts import MemoryDrafts
    from bot.storage.ephemeral import PersistentRedis, ephemeral_store
    from bot.storage.move import MoveRefused, move
    from bot.storage.tips import TipStore

    settings = load_settings()
    if not settings.database_url:
        raise SettingsError("db move needs DATABASE_URL: the PostgreSQL database to move DATA_DIR's SQLite file into")
    if not settings.database.exists():
        raise SettingsError(f"db move: there is no {settings.database} to move")
    try:  # the key the bot will need on PostgreSQL must open this file's data
        load_keys(settings.data_dir, settings.database, settings.data_key)
    except KeyMismatch as exc:
        raise SettingsError(str(exc)) from None

    async def run() -> int:
        source = Database(settings.database)
        target = Database(settings.database, settings.database_url)
        ephemeral = ephemeral_store(settings.redis_url)
        await source.open()
        await target.open()
        try:
            if await TipStore(source).drafts() and not settings.redis_url:
                raise SettingsError("the file holds open report drafts: set REDIS_URL, where drafts live on PostgreSQL")
            await ephemeral.open()
            moved = await move(source, target, MemoryDrafts(ephemeral))
        except (MoveRefused, PersistentRedis) as exc:
            raise SettingsError(str(exc)) from None
        finally:
            await ephemeral.close()
            await target.close()
            await source.close()
        rows = ", ".join(f"{table} {n}" for table, n in moved.rows.items() if n)
        print(f"db move: {sum(moved.rows.values())} rows ({rows or 'none'}) and {moved.drafts} draft(s) moved")
        if moved.left:
            print(f"db move: not moved, PostgreSQL has no such table: {', '.join(moved.left)}")
        if not settings.data_key:
            print(f"db move: set DATA_KEY to the contents of {settings.data_dir / KEY_FILE} for the bot on PostgreSQL "
                  "(every replica needs it), and keep that file away from the database and its backups")  # fmt: skip
        return 0

    return asyncio.run(run())


def _run(_args: argparse.Namespace, knowledge_dir: Path) -> int:
    from bot.tg.app import run_bot  # the only command that needs python-telegram-bot

    settings = replace(load_settings(), knowledge_dir=knowledge_dir)
    settings.require_token()
    return run_bot(settings)


def _deploy(_args: argparse.Namespace, knowledge_dir: Path) -> int:
    from bot.tg.app import deploy

    return deploy(replace(load_settings(), knowledge_dir=knowledge_dir))


def _tips_export(args: argparse.Namespace, knowledge_dir: Path) -> int:
    from bot.tg.app import build_services
    from bot.tips.export import to_csv, to_json
    from bot.tips.model import STATUSES

    if args.status and args.status not in STATUSES:
        raise SettingsError(f"--status must be one of {', '.join(STATUSES)}")
    settings = replace(load_settings(), knowledge_dir=knowledge_dir)

    async def rows() -> list[dict[str, Any]]:
        services = build_services(settings)
        await services.store.open()
        try:
            return await services.tips.export(args.status)
        finally:
            await services.store.close()

    exported = asyncio.run(rows())
    path = Path(args.file)
    path.write_bytes(to_json(exported) if path.suffix.lower() == ".json" else to_csv(exported))
    print(f"tips export: {len(exported)} report(s) written to {path}")
    return 0


async def _open_rules(settings: Settings) -> tuple[Database, RuleService, KnowledgeBase]:
    """The rule revisions in DATA_DIR's database, seeded from the YAML if there are none yet."""
    kb = load_knowledge(settings.knowledge_dir)
    store = Database(settings.database, settings.database_url)
    await store.open()
    rules = RuleService(store, kb.sources, kb.topics)
    await rules.open([*kb.rules.values(), *kb.retired.values()])
    return store, rules, kb


def _kb_export(args: argparse.Namespace, knowledge_dir: Path) -> int:
    settings = replace(load_settings(), knowledge_dir=knowledge_dir)

    async def export() -> tuple[int, int, int, CalendarRevision | None]:
        store, rules, kb = await _open_rules(settings)
        try:
            current = await rules.all_rules()
            version = await rules.version()
            calendar = await (await _open_calendar(store, knowledge_dir)).current()
        finally:
            await store.close()
        write_knowledge(current, kb.topics, knowledge_dir, Path(args.dir))
        if calendar is not None:
            (Path(args.dir) / CALENDAR_FILE).write_text(calendar.text, encoding="utf-8")
        return len(current), sum(r.retired for r in current), version, calendar

    count, retired, version, calendar = asyncio.run(export())
    also = f" and the calendar at revision {calendar.revision}" if calendar else ""
    print(f"kb export: {count} rules ({retired} retired) at revision {version}{also} written to {args.dir}")
    return 0


def check_calendar_of(folder: Path, knowledge_dir: Path, rule_ids: set[str]) -> None:
    """CalendarError if folder/calendar.yaml would be refused: checked before any rule is imported."""
    if (folder / CALENDAR_FILE).is_file():
        text = (folder / CALENDAR_FILE).read_text(encoding="utf-8")
        check_calendar(text, load_provinces(knowledge_dir), rule_ids)


async def _open_calendar(store: Database, knowledge_dir: Path) -> CalendarService:
    """The calendar's revisions, seeded from knowledge/calendar.yaml if there are none yet (as the bot does)."""
    service = CalendarService(store, load_provinces(knowledge_dir))
    seed = knowledge_dir / CALENDAR_FILE
    await service.open(seed.read_text(encoding="utf-8") if seed.is_file() else None)
    return service


async def _import_calendar(store: Database, knowledge_dir: Path, folder: Path, rule_ids: set[str], note: str | None
                           ) -> str:  # fmt: skip
    """folder/calendar.yaml as the calendar's next revision, if it has one and it differs; a line saying
    what happened. CalendarError, with every problem, if it is refused."""
    path = folder / CALENDAR_FILE
    if not path.is_file():
        return f"no {CALENDAR_FILE} in {folder}: the calendar is left as it is"
    service = await _open_calendar(store, knowledge_dir)
    revision = await service.save(path.read_text(encoding="utf-8"), rule_ids, IMPORT_AUTHOR, note)
    return f"calendar: revision {revision.revision}" if revision else "calendar unchanged"


def _kb_import(args: argparse.Namespace, knowledge_dir: Path) -> int:
    settings = replace(load_settings(), knowledge_dir=knowledge_dir)

    async def run() -> tuple[ImportSummary, str] | list[str]:
        store, rules, kb = await _open_rules(settings)
        try:
            entries, problems = read_entries(Path(args.dir), kb.topics)
            if problems:
                return [str(p) for p in problems]
            try:  # the calendar first: its reminders may name only rules the import leaves in service
                ids = {e.item.get("id") for e in entries if isinstance(e.item, dict)} | set(kb.rules)
                check_calendar_of(Path(args.dir), knowledge_dir, ids)
                summary = await rules.import_entries(entries, IMPORT_AUTHOR, args.note)
                calendar_line = await _import_calendar(store, knowledge_dir, Path(args.dir), ids, args.note)
            except (RuleError, CalendarError) as exc:
                return exc.reasons
            changes = {"added": list(summary.added), "changed": list(summary.changed), "calendar": calendar_line}
            await AdminService(store, settings.admin_ids).audit(SERVER, "kb.import", str(args.dir), None, changes)
            return summary, calendar_line
        finally:
            await store.close()

    result = asyncio.run(run())
    if isinstance(result, list):
        for reason in result:
            print(reason, file=sys.stderr)
        print(f"error: kb import refused, nothing changed: {len(result)} problem(s)", file=sys.stderr)
        return 1
    summary, calendar_line = result
    print(f"kb import: {len(summary.changed)} changed {list(summary.changed)}, {len(summary.added)} added "
          f"{list(summary.added)}, {summary.unchanged} unchanged, {summary.untouched} not in {args.dir} (left as "
          f"they are); {calendar_line}. A running bot serves them within {settings.knowledge_poll:g} s.")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Netra: netralitas ASN dalam Pemilu/Pilkada")
    parser.add_argument("--knowledge", help="knowledge base folder (default: KNOWLEDGE_DIR or ./knowledge)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (the default)")
    sub.add_parser("deploy", help="once per deployment of replicas: the schema, the webhook, the menus")
    ask = sub.add_parser("ask", help="answer one question offline")
    ask.add_argument("question", help='the question, or "-" to read one question per line from stdin')
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--lang", choices=("id", "en"), default="id")
    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    validate = kb_sub.add_parser("validate", help="check every rule file against the schema and sources")
    validate.add_argument("--laws", help="folder of regulation texts (default: ../shared/reference/laws)")
    kb_export = kb_sub.add_parser("export", help="write the rules in service (DATA_DIR's database) to DIR as YAML")
    kb_export.add_argument("dir", help="a folder; `knowledge` updates the project's own files")
    kb_sub.add_parser("acts", help="print every act the rules judge, with verdict and id (docs/acts.md)")
    kb_import = kb_sub.add_parser("import", help="load DIR/rules/*.yaml as new revisions, all or nothing")
    kb_import.add_argument("dir")
    kb_import.add_argument("--note", help="the change note kept with each new revision")
    tips = sub.add_parser("tips", help="anonymous tips")
    tips_sub = tips.add_subparsers(dest="tips_command", required=True)
    export = tips_sub.add_parser("export", help="write the reports to FILE (.csv, or .json)")
    export.add_argument("file")
    export.add_argument("--status", help="only reports with this status")
    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("move", help="copy DATA_DIR's SQLite file into the empty PostgreSQL database of DATABASE_URL")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        knowledge_dir = Path(args.knowledge) if args.knowledge else settings.knowledge_dir
        if args.command == "ask":
            return _ask(args, knowledge_dir)
        if args.command == "kb":
            handlers = {"validate": _validate, "export": _kb_export, "import": _kb_import, "acts": _kb_acts}
            handler = handlers[args.kb_command]
            return handler(args, knowledge_dir)
        if args.command == "tips":
            return _tips_export(args, knowledge_dir)
        if args.command == "deploy":
            return _deploy(args, knowledge_dir)
        if args.command == "db":
            return _db_move(args, knowledge_dir)
        return _run(args, knowledge_dir)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: the knowledge base has {len(exc.problems)} problem(s); run: python main.py kb validate",
              file=sys.stderr)  # fmt: skip
        return 2
    except BrokenPipeError:
        return 0
