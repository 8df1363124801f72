"""A report as long as the form allows, through the real Application and the fake Bot API: the reporter's review,
the reviewer's view and the export all carry the whole description (security review 2026-12, finding 3)."""

from __future__ import annotations

import csv
import io

import pytest

from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import ButtonSpec, Chat, find
from tests.fake_telegram import Call, utf16_len
from tests.tipchat import fill_until_evidence

OWNER = 9101
FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # an emoji built with zero-width joiners


def long_description() -> str:
    """4,000 characters in paragraphs, with `&` runs, text that looks like tags, and emoji."""
    paras = []
    for i in range(1, 40):
        paras.append(
            f"Paragraf {i}: kepala dinas & staf menulis <b>bukan tag</b> & <blockquote> di grup 😀 {FAMILY}, "
            + "lalu mengajak pegawai memilih calon nomor urut dua. " * (i % 4)
            + "&" * (i * 37 % 90)
        )
        if i == 9:
            paras.append("&" * 900)  # longer than a message once escaped to &amp;
    text = "\n\n".join(paras)[:4000]
    return text[:-1] + "." if text[-1].isspace() else text


@pytest.fixture
async def env(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as e:
        yield e


def failures(env) -> list[str]:
    return [f"{c.method}: {c.error}" for c in env.fake.calls if not c.ok]


async def until_button(env, chat: Chat, spec: ButtonSpec, **fields) -> list[Call]:
    """The bot's new messages to `chat`, up to the one carrying the button `spec` names (fails fast on a
    rejected call)."""
    new = await chat.replies_until(lambda c: bool(find(c, spec, **fields)), give_up=lambda: bool(failures(env)))
    assert not failures(env)
    return new


def squashed(text: str) -> str:
    """Text without whitespace: chunks may drop the space or line break they were split at."""
    return "".join(text.split())


async def test_a_4000_character_report_reaches_the_reviewer_whole(env):
    description = long_description()
    assert len(description) == 4000 and "\n\n" in description and utf16_len(description) <= 4096  # one message
    reporter = Chat(env.fake, 6301)
    link = "lihat https://instagram.com/p/contoh123?a=1&b=2"
    evidence = await fill_until_evidence(reporter, "Kepala Bidang & <Wakil> Dinas", description, link)
    reporter.tap(evidence, callbacks.TipButton, action="done")
    review = await until_button(env, reporter, callbacks.TipButton("send"))
    assert len(review) >= 2 and "Periksa laporan" in review[0].text
    assert squashed(description) in squashed("".join(c.text for c in review))
    [receipt] = await reporter.press(review[-1], callbacks.TipButton("send"))
    assert "Laporan diterima" in receipt.text
    await reporter.press(receipt, callbacks.TipButton("saved"))

    owner = Chat(env.fake, OWNER)
    [listing] = await owner.say("/tips")
    owner.tap(listing, callbacks.ReviewButton, action="o")
    opened = await until_button(env, owner, callbacks.ReviewButton, action="s")
    seen = "".join(c.text for c in opened)
    assert len(opened) >= 2 and squashed(description) in squashed(seen)
    assert "<b>bukan tag</b>" in seen and "Kepala Bidang & <Wakil> Dinas" in seen and FAMILY in seen

    owner.send("/export")
    [document] = await owner.wait_sent("sendDocument")
    [row] = list(csv.DictReader(io.StringIO(document.params["document"]["content"].decode("utf-8-sig"))))
    assert row["description"] == description
    assert not failures(env)
