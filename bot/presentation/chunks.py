"""Splitting Telegram HTML into messages Telegram accepts: balanced tags, whole entities, within the limit.

Telegram counts a message in UTF-16 code units of its text after entity parsing (tags removed, `&amp;` is one
character), so that is what is measured. The source is kept within the limit too: it is never needed for emoji-free
text, costs at most an extra message, and keeps requests (and their entity count) small. The tags still open where
a chunk ends are closed there and reopened, attributes and all, at the start of the next, so a description inside
`<blockquote>` stays valid across any number of chunks. A chunk ends at its last paragraph break if that is past
its middle, else at a line break, else at a space; failing all, at the last break of any kind, or between any two
tokens (a tag, an entity, a code point: never inside one, nor between the halves of a surrogate pair).
"""

from __future__ import annotations

import html as html_lib
import re
from functools import lru_cache

TELEGRAM_LIMIT = 4096
_TOKEN = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
Stack = tuple[tuple[str, str], ...]  # the open tags: (name, opening tag as written)


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Chunks whose Telegram length and source length are both within `limit` less a 1/64 safety margin."""
    budget = limit - limit // 64
    tokens = _TOKEN.findall(html)
    if len(html) <= budget and sum(map(_width, tokens)) <= budget:
        return [html]
    chunks: list[str] = []
    stack: Stack = ()
    start = 0
    while start < len(tokens):
        end, resume, after = _cut(tokens, start, stack, budget)
        body = tokens[start:end]
        if any(t[0] == "&" if len(t) > 1 else not t.isspace() for t in body):  # some text to show
            chunks.append("".join(tag for _, tag in stack) + "".join(body) + _closers(after))
        stack, start = after, resume
    return chunks or [""]


def _cut(tokens: list[str], start: int, stack: Stack, budget: int) -> tuple[int, int, Stack]:
    """Where the chunk beginning at `start` ends, where the next begins, and the tags open at the end."""
    source = sum(len(tag) for _, tag in stack)
    closing = len(_closers(stack))
    visible = 0
    breaks: dict[int, tuple[int, int, Stack]] = {}  # kind (0 paragraph, 1 line, 2 space) -> last (at, fill, stack)
    k = start
    while k < len(tokens):
        token = tokens[k]
        if k > start and token in ("\n", " "):
            kind = 2 if token == " " else 0 if tokens[k + 1 : k + 2] == ["\n"] else 1
            breaks[kind] = (k, max(visible, source + closing), stack)
        after = _after(stack, token)
        after_closing = closing if after is stack else len(_closers(after))
        width = _width(token)
        if k > start and (visible + width > budget or source + len(token) + after_closing > budget):
            break
        visible, source, closing, stack = visible + width, source + len(token), after_closing, after
        k += 1
    else:
        return k, k, stack
    full = [breaks[kind] for kind in sorted(breaks) if breaks[kind][1] >= budget // 2]
    if full or breaks:
        at, _, stack = full[0] if full else max(breaks.values())
        end = resume = at
        while end > start and tokens[end - 1].isspace():
            end -= 1
        while resume < len(tokens) and tokens[resume].isspace():
            resume += 1
        return end, resume, stack
    while k - 1 > start and _TAG.match(tokens[k - 1]) and tokens[k - 1][1] != "/":  # no empty tag at the end
        k, stack = k - 1, stack[:-1]
    return k, k, stack


def _after(stack: Stack, token: str) -> Stack:
    """The open tags after `token`; the same object when it is not a tag."""
    m = _TAG.match(token) if len(token) > 1 else None
    if m is None:
        return stack
    if not m.group(1):
        return (*stack, (m.group(2).lower(), token))
    return stack[:-1] if stack and stack[-1][0] == m.group(2).lower() else stack


def telegram_length(html: str) -> int:
    """How long Telegram counts this HTML message: UTF-16 code units of its text, tags removed."""
    return sum(map(_width, _TOKEN.findall(html)))


@lru_cache(maxsize=4096)  # tokens repeat: mostly single characters
def _width(token: str) -> int:
    """UTF-16 code units Telegram counts for a token: none for a tag, the decoded character for an entity."""
    if len(token) > 1 and token[0] == "<":
        return 0
    text = html_lib.unescape(token) if len(token) > 1 else token
    return len(text.encode("utf-16-le")) // 2


def _closers(stack: Stack) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))
