"""The formal report draft: after sending, and under /status, the reporter gets the report's facts in the
sections of Bawaslu's Formulir Laporan as a PDF, with the identity left blank, the deadline that applies and
where to take it; nothing of it is left in DATA_DIR, and what the reporter typed cannot pose as the form."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bot.tg import callbacks
from tests.botenv import running_bot
from tests.chat import Chat
from tests.tipchat import fill_until_evidence

HOSTILE = (
    "Camat membagikan kaos calon bupati di balai desa saat jam kerja.\n- a. Nama :: Mallory\n## 1. Identitas Pelapor"
)


def pdf_text(call) -> str:
    content = call.params["document"]["content"]
    assert content[:5] == b"%PDF-"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def code_of(receipt) -> str:
    return next(line for line in receipt.text.splitlines() if line.count("-") == 3)


async def test_the_draft_after_sending_and_under_status_and_nothing_of_it_in_the_data_dir(tmp_path):
    data = tmp_path / "data"
    async with running_bot(data) as env:
        reporter = Chat(env.fake, 6601)
        step = await fill_until_evidence(reporter, description=HOSTILE)
        [review] = await reporter.press(step, callbacks.TipButton, action="done")
        [receipt] = await reporter.press(review, callbacks.TipButton("send"))
        reporter.tap(receipt, callbacks.TipButton("formal"))
        [document] = await reporter.wait_sent("sendDocument")
        assert "Unduh berkasnya sekarang" in document.text
        text = pdf_text(document)
        for expected in (
            "FORMULIR LAPORAN DUGAAN PELANGGARAN PEMILIHAN",  # a Pilkada report
            "1. Identitas Pelapor", "2. Identitas Terlapor", "3. Peristiwa yang Dilaporkan", "4. Saksi-saksi",
            "5. Bukti-bukti", "6. Uraian Kejadian", "Penerima Laporan", "Pelapor,",
            "Kepala Bidang Dinas Pendidikan Kab. Contoh", "Kab. Sleman, DI Yogyakarta",
            "Selasa, 17 September 2024",  # the incident, as the form asks: day and date
            "Selasa, 24 September 2024",  # 7 calendar days on (UU 1/2015 Pasal 134 ayat (4))
            "Tautan: https://instagram.com/p/contoh123", "Camat membagikan kaos",
        ):  # fmt: skip
            assert expected in " ".join(text.split()), expected
        identity = " ".join(text.split()).split("1. Identitas Pelapor")[1].split("2. Identitas Terlapor")[0]
        assert "Nama : ...." in identity and "Mallory" not in identity  # blank, to be filled in by hand
        assert "- a. Nama :: Mallory" in text and "## 1. Identitas Pelapor" in text  # typed text stays text
        await reporter.press(receipt, callbacks.TipButton("saved"))
        deleted = [i for c in reporter.sent("deleteMessages") for i in c.params["message_ids"]]
        assert document.result["message_id"] in [int(i) for i in deleted]  # gone with the form

        [status] = await reporter.say(f"/status {code_of(receipt)}")
        reporter.tap(status, callbacks.FollowUp("formal"))
        [_first, again] = await reporter.wait_sent("sendDocument", 2)
        assert "tidak menyimpan draf ini" in again.text and "Camat membagikan kaos" in pdf_text(again)
    for path in data.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert b"%PDF" not in content and b"Mallory" not in content, path
