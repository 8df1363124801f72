"""`split_html` against the fake Bot API's own checks: every chunk is HTML Telegram parses and within its limit,
and together the chunks say everything the input said."""

from __future__ import annotations

import random

from bot.presentation.chunks import split_html
from tests.fake_telegram import check_text, parse_html, utf16_len

HEAD = "<b>Periksa laporan</b>\n\n<b>Jenis:</b> Media sosial\n<b>Uraian:</b>\n"


def checked(html: str, limit: int = 4096) -> list[str]:
    """The chunks, each accepted by the fake; their text together is the input's, up to whitespace at splits."""
    chunks = split_html(html, limit)
    texts = [check_text(chunk) if limit == 4096 else parse_html(chunk) for chunk in chunks]
    assert all(utf16_len(text) <= limit and len(chunk) <= limit for text, chunk in zip(texts, chunks, strict=True))
    "".join(chunks).encode("utf-8")  # no lone surrogate
    assert "".join("".join(texts).split()) == "".join(parse_html(html).split())
    return chunks


def paragraphs(total: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    words = ["kepala", "dinas", "mengunggah", "foto", "bersama", "calon", "bupati", "di", "grup", "pegawai"]
    paras, length = [], 0
    while length < total:
        para = " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 90))) + "."
        paras.append(para)
        length += len(para) + 2
    return "\n\n".join(paras)[:total]


def test_paragraphs_inside_a_blockquote_are_closed_and_reopened():
    html = f"{HEAD}<blockquote>{paragraphs(4000)}</blockquote>\n<b>Bukti:</b> tidak ada"
    chunks = checked(html)
    assert len(chunks) == 2
    assert chunks[0].endswith("</blockquote>") and chunks[1].startswith("<blockquote>")
    first = parse_html(chunks[0])
    assert first.endswith(".") and len(first) > 2016  # at a paragraph break, past the middle


def test_an_expandable_blockquote_keeps_its_attribute():
    html = f"<blockquote expandable>{paragraphs(9000, seed=2)}</blockquote>"
    chunks = checked(html)
    assert len(chunks) == 3 and all(c.startswith("<blockquote expandable>") for c in chunks)


def test_runs_of_ampersands_are_never_cut_inside_an_entity():
    for n in range(700, 1201):  # every alignment of the cut against the 5-character entity
        chunks = checked(f"{HEAD}<blockquote>{'&amp;' * n}</blockquote>")
        assert "".join(parse_html(c) for c in chunks).count("&") == n


def test_spaced_emoji_are_measured_in_utf16_units():
    html = f"{HEAD}<blockquote>{'😀 ' * 1350}</blockquote>\n<b>Bukti:</b> tidak ada"
    assert len(html) < 4096 < utf16_len(parse_html(html))
    chunks = checked(html)
    assert len(chunks) == 2


def test_unspaced_emoji_are_cut_between_code_points():
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    chunks = checked("<i>" + family * 900 + "</i>")  # no break anywhere; surrogate pairs and joiners
    assert len(chunks) == 2 and all(c.startswith("<i>") and c.endswith("</i>") for c in chunks)


def test_a_long_link_text_keeps_its_href_in_every_chunk():
    opening = '<a href="https://example.com/laporan?id=1&amp;ref=bot">'
    chunks = checked(f"Lihat {opening}{'tautan panjang ' * 700}</a> selesai")
    assert len(chunks) == 3
    assert all(opening in c and c.count("<a ") == c.count("</a>") == 1 for c in chunks)


def test_nested_bold_italic_lines_and_paragraphs():
    chunks = checked("<b><i>" + "tebal dan miring\n" * 300 + "tebal\n\nmiring\n" * 300 + "</i></b>")
    assert len(chunks) >= 3
    assert all(c.startswith("<b><i>") and c.endswith("</i></b>") for c in chunks)
    assert all(not parse_html(c).startswith("\n") for c in chunks)


def test_paragraph_break_preferred_then_line_then_space():
    a, b = "a" * 3000, "b" * 3000
    assert split_html(f"{a}\n\n{b}") == [a, b]
    lines = "\n".join(["baris " * 10] * 100)
    chunks = checked(f"pendek\n\n{lines}")
    assert len(parse_html(chunks[0])) > 2016 and chunks[0].endswith("baris")  # not the early paragraph break


def test_input_that_fits_is_returned_unchanged():
    html = f"{HEAD}<blockquote expandable>{'&amp;&lt;tag&gt; 😀 ' * 150}</blockquote>"
    assert utf16_len(parse_html(html)) < 4032 and len(html) < 4032
    assert split_html(html) == [html]
    assert split_html("") == [""]


def test_random_markup_at_small_limits():
    rnd = random.Random(7)
    pieces = ["kata ", "\n", "\n\n", "&amp;", "&lt;", "&#128512;", "😀", "é", "  ", "x" * 30]
    tags = ['<a href="https://e.com/?a=1&amp;b=2">', "<b>", "<i>", "<blockquote expandable>", "<code>"]
    for _ in range(300):
        html, stack = "", []
        for _ in range(rnd.randint(10, 400)):
            roll = rnd.random()
            if roll < 0.1 and len(stack) < 3:
                tag = rnd.choice(tags)
                stack.append(tag[1:].split()[0].rstrip(">"))
                html += tag
            elif roll < 0.2 and stack:
                html += f"</{stack.pop()}>"
            else:
                html += rnd.choice(pieces)
        html += "".join(f"</{name}>" for name in reversed(stack))
        if "".join(parse_html(html).split()):
            checked(html, limit=rnd.randint(150, 400))
