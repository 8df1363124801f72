"""Normalising chat Indonesian into comparable tokens.

Users write "boleh gak pns ngelike postingan caleg??"; rules are written "Apakah PNS boleh memberi like
pada unggahan calon legislatif". Both sides go through the same pipeline so they meet in the middle:
lower case, slang and abbreviations expanded (data in `knowledge/slang.yaml` and `knowledge/lexicon.yaml`),
Indonesian affixes stemmed (PySastrawi, cached: it is slow per word), synonyms folded, and filler words
dropped. Negations and modals (tidak, bukan, boleh, wajib, ...) are never dropped: they carry meaning.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from bot.qa.kb_files import NoAnchorLoader as _Loader  # knowledge/ YAML: no anchors or aliases

_URL = re.compile(r"(?:https?://|www\.)\S+|@\w+")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_DIGIT_SUFFIX2 = re.compile(r"^([a-z]{3,})2$")  # "boleh2" -> "boleh" (reduplication)
_PARTICLE = re.compile(r"^([a-z0-9]{2,}?)(?:nya|lah|kah|pun)$")
WORD_CACHE_SIZE = 20_000  # words remembered: the knowledge base's few thousand and what users type most


# Sastrawi's own CachedStemmer keeps every word it ever saw; `_stem` caches for it, bounded
_STEMMER = StemmerFactory().create_stemmer().delegatedStemmer


@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _stem(word: str) -> str:
    """Sastrawi's stem of one word (a pure function of the word), shared by every Normaliser in the process:
    stemming the knowledge base's few thousand words takes most of a second, and a hot swap or a second
    engine over other rules would otherwise stem them all again."""
    return _STEMMER.stem(word) or word


@dataclass(frozen=True)
class Lexicon:
    """The word lists that drive normalisation; see knowledge/lexicon.yaml for what each holds."""

    words: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()
    no_stem: frozenset[str] = frozenset()
    domain_terms: tuple[str, ...] = ()

    @classmethod
    def load(cls, knowledge_dir: Path) -> Lexicon:
        slang_path = knowledge_dir / "slang.yaml"
        words: dict[str, str] = {}
        if slang_path.is_file():
            words.update(yaml.load(slang_path.read_text(encoding="utf-8"), Loader=_Loader)["slang"])
        data = yaml.load((knowledge_dir / "lexicon.yaml").read_text(encoding="utf-8"), Loader=_Loader)
        for key, value in (data.get("words") or {}).items():
            words[str(key)] = str(value)
        phrases = {k: v for k, v in words.items() if " " in k}
        synonyms = {
            str(variant): str(canonical)
            for canonical, variants in (data.get("synonyms") or {}).items()
            for variant in variants
        }
        keep = frozenset(data.get("keep") or ())
        return cls(
            words={k: v for k, v in words.items() if " " not in k},
            phrases=phrases,
            synonyms=synonyms,
            stopwords=frozenset(data.get("stopwords") or ()) - keep,
            keep=keep,
            no_stem=frozenset(data.get("no_stem") or ()),
            domain_terms=tuple(data.get("domain_terms") or ()),
        )


class Normaliser:
    """Turns text into tokens; every per-word step is cached, so repeated words cost a dict lookup.

    The cache is a bounded LRU: users type any string at all (typos, numbers, other languages), and an
    unbounded dict would grow with every new one for as long as the bot runs. lru_cache is also safe to
    share with the threads that rebuild the matcher and group unanswered questions."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._word = functools.lru_cache(maxsize=WORD_CACHE_SIZE)(self._resolve)
        self._phrase_re = (
            re.compile(r"\b(" + "|".join(map(re.escape, sorted(lexicon.phrases, key=len, reverse=True))) + r")\b")
            if lexicon.phrases
            else None
        )
        self.domain_terms: frozenset[str] = frozenset(tok for term in lexicon.domain_terms for tok in self.tokens(term))

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        text = _URL.sub(" ", text)
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: self.lexicon.phrases[m.group(1)], text)
        out: list[str] = []
        for raw in _NON_WORD.split(text):
            if raw:
                out.extend(self._word(raw))
        return out

    def normalise(self, text: str) -> str:
        return " ".join(self.tokens(text))

    def is_in_domain(self, tokens: list[str]) -> bool:
        return any(tok in self.domain_terms for tok in tokens)

    def _resolve(self, raw: str) -> tuple[str, ...]:
        lex = self.lexicon
        word = raw
        if word not in lex.words:
            word = _REPEAT3.sub(r"\1", word)
            if m := _DIGIT_SUFFIX2.match(word):
                word = m.group(1)
            m = _PARTICLE.match(word)
            if m and m.group(1) in lex.words:  # "calegnya", "bolehlah": the particle hides a known word
                word = m.group(1)
        expanded = lex.words.get(word, word)
        result: list[str] = []
        for part in _NON_WORD.split(expanded):
            if len(part) < 2 and not part.isdigit():
                continue
            stem = part if part in lex.keep or part in lex.no_stem or part.isdigit() else _stem(part)
            stem = lex.synonyms.get(stem, lex.synonyms.get(part, stem))
            if stem in lex.stopwords or part in lex.stopwords:
                continue
            result.append(stem)
        return tuple(result)
