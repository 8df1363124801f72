"""Turns rules and match results into what users read, through the Jinja2 templates in `templates/`.

`*.html.j2` templates are Telegram HTML and autoescaped, so neither user text nor rule text can break the
markup; `*.txt.j2` templates are plain text for the command line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.presentation.chunks import telegram_length
from bot.presentation.messages import LANGUAGES, Messages
from bot.qa.kb import KnowledgeBase, Rule
from bot.qa.matcher import MatchResult

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
CARD_LIMIT = 700  # characters (as Telegram counts them) of an answer's first screen, in either language


WIB = timezone(timedelta(hours=7), "WIB")  # staff screens show Jakarta time: the bot's users are in Indonesia


def wib(stamp: str) -> str:
    """A stored UTC timestamp ("2026-12-02T02:33:10+00:00") as staff read it: "2026-12-02 09:33 WIB"."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


@dataclass(frozen=True)
class RuleText:
    """A rule's wording in one language (English falls back to Indonesian where a field has none)."""

    title: str
    answer: str
    caveat: str | None
    sanction: str | None
    short: str | None = None
    advice: str | None = None
    penalty: str | None = None


def rule_text(rule: Rule, lang: str) -> RuleText:
    if lang == "en" and rule.en is not None:
        en = rule.en
        return RuleText(
            en.title, en.answer, en.caveat or rule.caveat, en.sanction or rule.sanction,
            en.short or rule.short, en.advice or rule.advice, en.penalty or rule.penalty,
        )  # fmt: skip
    return RuleText(rule.title, rule.answer, rule.caveat, rule.sanction, rule.short, rule.advice, rule.penalty)


class Renderer:
    def __init__(self, kb: KnowledgeBase, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.kb = kb
        self.messages = Messages(templates_dir / "messages")
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            undefined=StrictUndefined,
            trim_blocks=False,
            keep_trailing_newline=False,
        )
        self.env.filters["wib"] = wib
        # the labels answer templates share, from the catalogues: L.VERDICT[lang][verdict], L.WORDS[lang][word]
        self.env.globals["L"] = {
            "VERDICT": {lang: self.messages.group("verdict", lang) for lang in LANGUAGES},
            "WORDS": {lang: self.messages.group("word", lang) for lang in LANGUAGES},
        }

    def for_kb(self, kb: KnowledgeBase) -> Renderer:
        """This renderer for other rules, sharing the compiled templates."""
        other = copy.copy(self)
        other.kb = kb
        return other

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context).strip()

    def rule_context(self, rule: Rule, lang: str) -> dict[str, Any]:
        urls = list(dict.fromkeys(u for b in rule.basis if (u := self.kb.sources[b.source].url)))
        # a link named after its regulation where it opens that regulation, after its site where it is a home page
        named = {self.kb.sources[b.source].url: self.kb.sources[b.source].short for b in rule.basis}
        links = [{"url": u, "label": named[u] if urlsplit(u).path.strip("/") else urlsplit(u).netloc} for u in urls]
        related = [
            {"id": r.id, "title": rule_text(r, lang).title}
            for rid in rule.related
            if (r := self.kb.rules.get(rid)) is not None
        ]
        return {
            "rule": rule,
            "text": rule_text(rule, lang),
            "sources": self.kb.sources,
            "urls": urls,
            "links": links,
            "related": related,
            "lang": lang,
        }

    def answer_text(self, rule: Rule, lang: str = "id", show_quotes: bool = True) -> str:
        return self.render("answer.txt.j2", show_quotes=show_quotes, **self.rule_context(rule, lang))

    def result_text(self, result: MatchResult, lang: str = "id") -> str:
        """The command line's reading of a match: the answer, a choice, or the topics to try."""
        if result.status == "answer":
            return self.answer_text(result.candidates[0].rule, lang)
        if result.status == "ambiguous":
            choices = [{"id": c.rule.id, "title": rule_text(c.rule, lang).title} for c in result.candidates]
            return self.render("choices.txt.j2", choices=choices, lang=lang)
        topics = [{"title": t.en if lang == "en" else t.title} for t in self.kb.topics.values()]
        return self.render("no_match.txt.j2", topics=topics, lang=lang)

    def answer_html(self, rule: Rule, lang: str, footer: str = "", show_quotes: bool = True) -> str:
        """A rule as a Telegram answer; quotes of the regulation go into an expandable block."""
        context = self.rule_context(rule, lang)
        quotes = [b for b in rule.basis if b.quote]
        return self.render("answer.html.j2", quotes=quotes, show_quotes=show_quotes, footer=footer, **context)

    def card_html(self, rule: Rule, lang: str, footer: str = "") -> str:
        """The answer as a phone shows it first: verdict, short answer, what to do, main article, sanction."""
        return self.render("answer_card.html.j2", footer=footer, **self.rule_context(rule, lang))

    def basis_html(self, rule: Rule, lang: str, with_answer: bool = True) -> str:
        """Behind "📜 Dasar hukum": the answer in full, every basis with its quote, what is uncertain, which
        sources are unchecked."""
        unchecked = list(dict.fromkeys(self.kb.sources[b.source].short for b in rule.basis if not b.verified))
        context = self.rule_context(rule, lang)
        return self.render("answer_basis.html.j2", unchecked=unchecked, with_answer=with_answer, **context)

    def sanction_html(self, rule: Rule, lang: str) -> str:
        """Behind "⚖️ Sanksi": the sanction in full."""
        return self.render("answer_sanction.html.j2", **self.rule_context(rule, lang))

    def card_length(self, rule: Rule, lang: str) -> int:
        """The first screen's length as Telegram counts it, the vote question under it included."""
        return telegram_length(self.card_html(rule, lang, footer=self.messages("vote_prompt", lang)))

    def card_problems(self) -> list[str]:
        """Rules whose card is over CARD_LIMIT in either language, or has no short answer (kb validate)."""
        found = []
        for rule in self.kb.rules.values():
            for lang in LANGUAGES:
                text = rule_text(rule, lang)
                if not text.short or (lang == "en" and not (rule.en and rule.en.short)):
                    field = "en.short" if lang == "en" else "short"
                    found.append(f"rule {rule.id}: {field}: missing (the answer on a phone)")
                    continue
                if (length := self.card_length(rule, lang)) > CARD_LIMIT:
                    found.append(f"rule {rule.id}: {lang} card is {length} characters, over {CARD_LIMIT}")
        return found

    def compact_html(self, rule: Rule, lang: str, bot_username: str = "") -> str:
        """A rule to share in a group (inline mode): the card, signed."""
        footer = self.messages("inline_signature", lang) + (f" · @{bot_username}" if bot_username else "")
        return self.card_html(rule, lang, footer=Markup("<i>{}</i>").format(footer))

    def verdict_label(self, verdict: str, lang: str) -> str:
        return self.messages(f"verdict_{verdict}", lang)
