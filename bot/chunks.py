"""Splitting Telegram HTML below the 4096-character limit without cutting a tag in half.

Templates keep every tag inside one paragraph (blank-line separated), so paragraphs are packed greedily;
a paragraph that alone is too long is split at line ends, then at spaces, with its tags closed and reopened.
Lengths are counted on the HTML source, which is never shorter than the text Telegram counts.
"""

from __future__ import annotations

import re

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-z\-]+)[^>]*>")


def split_html(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    chunks: list[str] = []
    current = ""
    for para in html.split("\n\n"):
        for piece in _split_long(para, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks or [""]


def _split_long(para: str, limit: int) -> list[str]:
    if len(para) <= limit:
        return [para]
    budget = limit - 200  # room for re-opened and closed tags
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<=[\n ])", para):
        while len(word) > budget:  # one enormous "word": cut it, outside any tag
            pieces.append(current + word[: budget - len(current)])
            word = word[budget - len(current) :]
            current = ""
        if len(current) + len(word) > budget:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return _balance(pieces)


def _balance(pieces: list[str]) -> list[str]:
    """Close the tags a piece leaves open, and reopen them at the start of the next piece."""
    out: list[str] = []
    carried: list[tuple[str, str]] = []  # (name, opening tag) still open
    for piece in pieces:
        text = "".join(tag for _, tag in carried) + piece
        stack = list(carried)
        for m in _TAG.finditer(piece):
            closing, name = m.group(1) == "/", m.group(2)
            if not closing:
                stack.append((name, m.group(0)))
            elif stack and stack[-1][0] == name:
                stack.pop()
        out.append(text + "".join(f"</{name}>" for name, _ in reversed(stack)))
        carried = stack
    return out
