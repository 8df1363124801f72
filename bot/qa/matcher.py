"""Maps a question to the rule that answers it, with a calibrated probability that it is the right one.

Two readings of the question meet here. The lexical one (`LexicalMatcher`): each rule is a set of search
entries (its title, questions and keywords, Indonesian and English), normalised
once when the knowledge base loads. A query is normalised the same way and compared with every entry on two
measures: an IDF-weighted word overlap (which words of the query and the entry are shared, rare words
counting more) and rapidfuzz's token-sort ratio (word order and near-spellings). A rule scores as its best
entry. Thresholds then decide: one confident answer, a short list to choose from, or no match.

The learned one (bot/qa/intent.py): a linear model over word and character n-grams, trained on the same
phrasings and on out-of-scope questions. `Matcher` ranks rules by both, and turns what it saw (how far the
first rule leads, whether both readings agree, how it compares with "out of scope") into the probability
that the first rule is right, with a logistic calibration fitted on real questions (bench/calibrate.py
writes knowledge/matcher.yaml). It answers only when that probability is high, offers a short list when it
is middling, and otherwise says it has no rule: a confident wrong answer is the worst outcome.

A question with no election or politics word at all ("cara daftar CPNS") is never matched: the knowledge
base only knows neutrality rules.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.qa.intent import OUT, IntentModel
from bot.qa.kb import KnowledgeBase, Rule
from bot.qa.kb_files import load_yaml
from bot.qa.text import Normaliser

Status = Literal["answer", "ambiguous", "none"]

MAX_QUERY_CHARS = 500  # longer messages are judged on their start; nobody asks two pages of question
ANSWER_THRESHOLD = 0.30  # a best score at least this high can be answered...
CLEAR_MARGIN = 0.015  # ...when it leads the runner-up by this much (a question of several words), or
SHORT_MARGIN = 0.06  # ...by this much when the question has few words: "kampanye" alone fits many rules
SHORT_QUERY = 3  # content words; at most this many is a short question
SURE_THRESHOLD = 0.95  # ...outright when it is this high (a near-verbatim phrasing)
MAYBE_THRESHOLD = 0.20  # below this, nothing is close enough to offer
ALTERNATIVE_WINDOW = 0.08  # rules this close to the best are offered alongside it
MAX_ALTERNATIVES = 4
BM25_WEIGHT = 0.7  # share of the rule-level BM25 score (all of a rule's entries as one document)
FUZZY_WEIGHT = 0.1  # share of rapidfuzz's ratio against the rule's best entry
OVERLAP_WEIGHT = 0.2  # share of the IDF-weighted word overlap with the rule's best entry
BM25_K1, BM25_B = 1.2, 0.75
CANDIDATE_RULES = 16  # rules (best by BM25) whose entries are scored in full
MAX_ENTRY_TOKENS = 40  # longer texts (answers) are part of a rule's BM25 document only
TYPO_CUTOFF = 84  # an unknown query word is read as the known word this close to it
TYPO_CACHE_SIZE = 10_000  # unknown words remembered with their correction (a bounded LRU: users type anything)


@dataclass(frozen=True)
class Candidate:
    rule: Rule
    score: float


@dataclass(frozen=True)
class MatchResult:
    query: str
    tokens: tuple[str, ...]
    status: Status
    candidates: tuple[Candidate, ...]  # best first; for "answer" the first is the answer
    in_domain: bool
    probability: float = 0.0  # calibrated: how likely the first candidate is the right rule

    @property
    def matched(self) -> bool:
        return self.status == "answer"

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates and self.status == "answer" else None

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        return self.candidates[1:] if self.status == "answer" else self.candidates


@dataclass(frozen=True)
class _Entry:
    rule_index: int
    text: str
    weights: dict[str, float]
    norm: float


class LexicalMatcher:
    """The lexical scores, and (in `match`) the decision Netra made with them alone until December 2026:
    kept as the baseline the benchmarks compare with, and as the candidate finder of `Matcher`."""

    def __init__(
        self, kb: KnowledgeBase, normaliser: Normaliser, entry_texts: Callable[[Rule], list[str]] | None = None
    ) -> None:
        entry_texts = entry_texts or _entry_texts
        self.kb = kb
        self.normaliser = normaliser
        self.rules: list[Rule] = list(kb.rules.values())
        texts: list[tuple[int, list[str]]] = []
        for index, rule in enumerate(self.rules):
            for raw in entry_texts(rule):
                tokens = normaliser.tokens(raw)
                if tokens:
                    texts.append((index, tokens))
        # document frequency counts rules, not entries: a word in every phrasing of one rule is its signature
        rule_vocab: list[set[str]] = [set() for _ in self.rules]
        for index, tokens in texts:
            rule_vocab[index].update(tokens)
        df = Counter(tok for vocab in rule_vocab for tok in vocab)
        n = len(self.rules)
        self.idf: dict[str, float] = {t: math.log(1 + (n + 1) / (c + 0.5)) for t, c in df.items()}
        self._unknown_idf = math.log(1 + (n + 1) / 0.5)
        self.vocabulary: list[str] = sorted(self.idf)
        self.entries: list[_Entry] = []
        for index, tokens in texts:
            if len(tokens) > MAX_ENTRY_TOKENS:
                continue  # an answer's text counts in the rule's BM25 document; fuzzy-matching it is slow
            weights = {t: self.idf[t] for t in set(tokens)}
            self.entries.append(_Entry(index, " ".join(tokens), weights, sum(weights.values())))
        self._nearest_known = functools.lru_cache(maxsize=TYPO_CACHE_SIZE)(self._find_nearest_known)
        # BM25 over one document per rule, normalised so a query whose every word is in a rule scores near 1
        self._rule_tf: list[Counter[str]] = [Counter() for _ in self.rules]
        for index, tokens in texts:
            self._rule_tf[index].update(tokens)
        lengths = [sum(tf.values()) for tf in self._rule_tf]
        avg = sum(lengths) / max(1, len(lengths))
        self._bm25_norm = [BM25_K1 * (1 - BM25_B + BM25_B * n / avg) for n in lengths]
        postings: dict[str, list[tuple[int, float]]] = {}
        for index, tf in enumerate(self._rule_tf):
            for tok, count in tf.items():
                postings.setdefault(tok, []).append((index, count / (count + self._bm25_norm[index])))
        # per word: the rules that have it, and its BM25 term (before the word's idf) in each
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {
            tok: (np.array([r for r, _ in pairs], dtype=np.intp), np.array([t for _, t in pairs]))
            for tok, pairs in postings.items()
        }
        self._rule_entries: list[list[int]] = [[] for _ in self.rules]
        for i, entry in enumerate(self.entries):
            self._rule_entries[entry.rule_index].append(i)
        # the entry scores of a question, as arrays: its words sorted (token-sort ratio is the plain ratio of
        # the sorted words), each entry's rule and weight, and for each word the entries that have it
        self._entry_sorted = [" ".join(sorted(e.text.split())) for e in self.entries]
        self._entry_rule = np.array([e.rule_index for e in self.entries], dtype=np.intp)
        self._entry_norm = np.array([e.norm for e in self.entries])
        having: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            for tok in entry.weights:
                having.setdefault(tok, []).append(i)
        self._entries_having = {tok: np.array(ids, dtype=np.intp) for tok, ids in having.items()}

    def match(self, query: str) -> MatchResult:
        exact = self.kb.rules.get(query.strip().lower())
        if exact is not None:  # a rule id, as the CLI's and the bot's choice lists print them
            return MatchResult(query, (), "answer", (Candidate(exact, 1.0),), True)
        text = query[:MAX_QUERY_CHARS]
        tokens = [self._correct(t) for t in self.normaliser.tokens(text)]
        in_domain = self.normaliser.is_in_domain(tokens)
        if not tokens or not in_domain:
            return MatchResult(query, tuple(tokens), "none", (), in_domain)
        scores = self._score(tokens)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        return self._decide(query, tuple(tokens), ranked, in_domain)

    def search(self, query: str, limit: int = 8) -> list[Candidate]:
        """Rules ranked for a keyword search (/cari): no domain gate, no thresholds beyond a floor."""
        tokens = [self._correct(t) for t in self.normaliser.tokens(query[:MAX_QUERY_CHARS])]
        if not tokens:
            return []
        ranked = sorted(self._score(tokens).items(), key=lambda kv: kv[1], reverse=True)
        return [Candidate(self.rules[i], round(s, 3)) for i, s in ranked[:limit] if s >= 0.25]

    def _correct(self, token: str) -> str:
        if token in self.idf or len(token) < 4 or token.isdigit():
            return token
        return self._nearest_known(token) or token

    def _find_nearest_known(self, token: str) -> str | None:
        hit = process.extractOne(token, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return hit[0] if hit else None

    def _score(self, tokens: list[str]) -> dict[int, float]:
        """BM25 over whole rules picks the candidates; only their entries get the costlier entry scores,
        so a query costs one pass over the postings plus a bounded amount of fuzzy matching."""
        query_weights = {t: self.idf.get(t, self._unknown_idf) for t in set(tokens)}
        query_norm = sum(query_weights.values())
        bm25 = np.zeros(len(self.rules))
        touched = np.zeros(len(self.rules), dtype=bool)
        for tok, weight in query_weights.items():
            if (posting := self._postings.get(tok)) is not None:
                bm25[posting[0]] += weight * posting[1]
                touched[posting[0]] = True
        candidates = np.flatnonzero(touched)
        if not len(candidates):
            return {}
        shortlist = candidates[np.argsort(-bm25[candidates], kind="stable")[:CANDIDATE_RULES]].tolist()
        entry_ids = np.array([i for r in shortlist for i in self._rule_entries[r]], dtype=np.intp)
        best_entry = np.zeros(len(self.rules))
        if len(entry_ids):
            query_sorted = " ".join(sorted(tokens))
            ratios = process.cdist([query_sorted], [self._entry_sorted[i] for i in entry_ids], scorer=fuzz.ratio)[0]
            shared = np.zeros(len(self.entries))
            for tok, weight in query_weights.items():
                if (having := self._entries_having.get(tok)) is not None:
                    shared[having] += weight
            overlap = 2 * shared[entry_ids] / (query_norm + self._entry_norm[entry_ids])
            scores = OVERLAP_WEIGHT * overlap + FUZZY_WEIGHT * ratios / 100
            np.maximum.at(best_entry, self._entry_rule[entry_ids], scores)
        return {r: float(best_entry[r] + BM25_WEIGHT * bm25[r] / query_norm) for r in shortlist}

    def _decide(
        self, query: str, tokens: tuple[str, ...], ranked: list[tuple[int, float]], in_domain: bool
    ) -> MatchResult:
        if not ranked or ranked[0][1] < MAYBE_THRESHOLD:
            return MatchResult(query, tokens, "none", (), in_domain)
        best = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        close = [
            Candidate(self.rules[i], round(s, 3))
            for i, s in ranked[:MAX_ALTERNATIVES]
            if s >= best - ALTERNATIVE_WINDOW
        ]
        short = len(set(tokens)) <= SHORT_QUERY
        margin = SHORT_MARGIN if short else CLEAR_MARGIN
        # rivals within the margin that give the same verdict do not make the answer uncertain
        rivals = {self.rules[i].verdict for i, s in ranked[:MAX_ALTERNATIVES] if s > best - margin}
        agreed = not short and best >= ANSWER_THRESHOLD and len(rivals) == 1
        if best >= SURE_THRESHOLD or agreed or (best >= ANSWER_THRESHOLD and best - second >= margin):
            return MatchResult(query, tokens, "answer", tuple(close), in_domain)
        if len(close) < 2:
            close = [Candidate(self.rules[i], round(s, 3)) for i, s in ranked[:2]]
        return MatchResult(query, tokens, "ambiguous", tuple(close), in_domain)


def _entry_texts(rule: Rule) -> list[str]:
    texts = [rule.title, *rule.questions]
    if rule.keywords:
        texts.append(" ".join(rule.keywords))
    if rule.en is not None:
        texts.extend([rule.en.title, *rule.en.questions])
    return texts


FEATURES = ("lead", "over_out", "svm", "lexical", "lexical_lead", "agree", "words", "same_verdict")


@dataclass(frozen=True)
class Calibration:
    """How the evidence becomes a probability, and the probabilities that decide. Fitted on real questions
    (the corpus's tuning half, out of fold) by bench/calibrate.py, and kept in knowledge/matcher.yaml."""

    weights: tuple[float, ...] = (2.0, 1.0, 1.0, 2.0, 2.0, 1.0, 0.0, 1.0)  # one per FEATURES
    bias: float = -2.0
    answer_at: float = 0.8  # answer when the first rule is at least this likely right
    offer_at: float = 0.3  # below that, offer the closest rules when the first is at least this likely
    lexical_weight: float = 1.5  # a rule's rank score: the model's margin plus this times its lexical score

    @classmethod
    def load(cls, path: Path) -> Calibration:
        if not path.is_file():
            return cls()
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        weights = data.get("weights") or {}
        return cls(
            weights=tuple(float(weights.get(name, 0.0)) for name in FEATURES),
            bias=float(data.get("bias", cls.bias)),
            answer_at=float(data.get("answer_at", cls.answer_at)),
            offer_at=float(data.get("offer_at", cls.offer_at)),
            lexical_weight=float(data.get("lexical_weight", cls.lexical_weight)),
        )

    def probability(self, features: np.ndarray) -> float:
        z = float(np.dot(self.weights, features)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Evidence:
    """What the two readings say about one question: rules best first with their rank scores, and for
    each of the first few, the features the calibration reads."""

    tokens: tuple[str, ...]
    in_domain: bool
    ranked: tuple[tuple[int, float], ...]  # (rule index, rank score), best first
    features: tuple[np.ndarray, ...] = field(default=())  # one per rule in `ranked[:MAX_ALTERNATIVES]`
    out_margin: float = 0.0  # how far the best rule's model margin is above "out of scope"


class Matcher:
    """Built once per knowledge base (the model trains in well under a second for the shipped rules);
    `match` is pure and safe to call from any task."""

    def __init__(
        self,
        kb: KnowledgeBase,
        normaliser: Normaliser,
        out_of_scope: Iterable[str] = (),
        calibration: Calibration | None = None,
        model: IntentModel | None = None,
    ) -> None:
        """`model`: an intent model trained on other rules, used as it is instead of training one (a rule edit
        is served with the old model at once while the new one trains: rules it does not know get no margin
        from it, and rules it knows that are gone are ignored)."""
        self.kb = kb
        self.normaliser = normaliser
        self.calibration = calibration or Calibration()
        self.out_of_scope = tuple(out_of_scope)
        self.lexical = LexicalMatcher(kb, normaliser, _model_texts)
        self.rules = self.lexical.rules
        self.entries = self.lexical.entries
        self.model = model if model is not None else self._train(normaliser)
        labels = self.model.labels if self.model else ()
        self._model_rule = np.array([labels.index(r.id) if r.id in labels else -1 for r in self.rules])
        self._out = labels.index(OUT) if OUT in labels else -1

    def _train(self, normaliser: Normaliser) -> IntentModel | None:
        labelled = [(t, r.id) for r in self.rules for t in _model_texts(r)] + [(t, OUT) for t in self.out_of_scope]
        examples = [(" ".join(toks), label) for t, label in labelled if (toks := normaliser.tokens(t))]
        return _trained(tuple(examples)) if len({label for _, label in examples}) > 1 else None

    def match(self, query: str) -> MatchResult:
        exact = self.kb.rules.get(query.strip().lower())
        if exact is not None:  # a rule id, as the CLI's and the bot's choice lists print them
            return MatchResult(query, (), "answer", (Candidate(exact, 1.0),), True, 1.0)
        evidence = self.evidence(query)
        return self.decide(query, evidence)

    def search(self, query: str, limit: int = 8) -> list[Candidate]:
        return self.lexical.search(query, limit)

    def evidence(self, query: str) -> Evidence:
        tokens = tuple(self.lexical._correct(t) for t in self.normaliser.tokens(query[:MAX_QUERY_CHARS]))
        in_domain = self.normaliser.is_in_domain(list(tokens))
        if not tokens or not in_domain or self.model is None:
            return Evidence(tokens, in_domain, ())
        lexical = self.lexical._score(list(tokens))
        margins = self.model.scores(" ".join(tokens))
        rule_margins = np.where(self._model_rule >= 0, margins[self._model_rule], -10.0)
        rank = rule_margins.copy()
        for i, s in lexical.items():
            rank[i] += self.calibration.lexical_weight * s
        order = np.argsort(-rank)[: max(MAX_ALTERNATIVES, 2)]
        ranked = tuple((int(i), float(rank[i])) for i in order)
        out = float(margins[self._out]) if self._out >= 0 else -10.0
        lexical_sorted = [*sorted(lexical.values(), reverse=True), 0.0, 0.0]
        features = []
        for position, (i, score) in enumerate(ranked[:MAX_ALTERNATIVES]):
            rival_index, rival = (ranked[1] if len(ranked) > 1 else (i, score)) if position == 0 else ranked[0]
            lex = lexical.get(i, 0.0)
            lex_rival = lexical_sorted[1] if lex >= lexical_sorted[0] else lexical_sorted[0]
            features.append(np.array([
                score - rival,
                float(rule_margins[i]) - out,
                float(rule_margins[i]),
                lex,
                lex - lex_rival,
                1.0 if lex >= lexical_sorted[0] > 0 and position == 0 else 0.0,
                math.log1p(len(set(tokens))),
                1.0 if self.rules[rival_index].verdict == self.rules[i].verdict else 0.0,
            ]))  # fmt: skip
        return Evidence(tokens, in_domain, ranked, tuple(features), float(rule_margins[ranked[0][0]]) - out)

    def decide(self, query: str, evidence: Evidence) -> MatchResult:
        if not evidence.ranked:
            return MatchResult(query, evidence.tokens, "none", (), evidence.in_domain)
        probabilities = [self.calibration.probability(f) for f in evidence.features]
        candidates = tuple(
            Candidate(self.rules[i], round(p, 3)) for (i, _), p in zip(evidence.ranked, probabilities, strict=False)
        )
        first = probabilities[0]
        calibration = self.calibration
        if first >= calibration.answer_at:
            close = tuple(c for c in candidates if c.score >= calibration.offer_at)
            return MatchResult(query, evidence.tokens, "answer", close, True, first)
        if first >= calibration.offer_at and evidence.out_margin > 0:
            offered = tuple(c for c in candidates if c.score >= calibration.offer_at / 2) or candidates[:2]
            if len(offered) < 2:
                offered = candidates[:2]
            return MatchResult(query, evidence.tokens, "ambiguous", offered, True, first)
        return MatchResult(query, evidence.tokens, "none", (), True, first)


def _model_texts(rule: Rule) -> list[str]:
    """What the model learns a rule from: its search entries and its answer, whose wording long, story-like
    questions share more than they share the short phrasings'."""
    return [*_entry_texts(rule), rule.answer, *([rule.en.answer] if rule.en else [])]


@functools.lru_cache(maxsize=4)
def _trained(examples: tuple[tuple[str, str], ...]) -> IntentModel:
    """The same phrasings give the same model (it is immutable): a second engine over the same knowledge,
    as the tests and a hot swap after a no-op change build, does not train again."""
    return IntentModel(examples)
