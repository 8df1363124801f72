"""The tip services without Telegram: dates, receipt codes, the form, encryption, evidence, limits, storage."""

from __future__ import annotations

import io
import math
import os
import stat
from datetime import date, timedelta

import pytest
from PIL import Image, PngImagePlugin

from bot.config import SettingsError
from bot.privacy.crypto import CryptoError, Vault
from bot.privacy.keys import load_master
from bot.privacy.throttle import KeyedLimit
from bot.storage.database import Database
from bot.storage.drafts import MemoryDrafts
from bot.storage.ephemeral import MemoryStore
from bot.storage.tips import TipStore
from bot.tg import callbacks
from bot.tips import receipts
from bot.tips.dates import format_date, parse_date
from bot.tips.evidence import MAX_FILE_BYTES, EvidenceError, EvidenceFiles, clean_file, strip_image
from bot.tips.form import TipForm, load_categories, load_provinces
from bot.tips.model import MAX_EVIDENCE, Draft, EvidenceItem
from bot.tips.service import TipService
from tests.conftest import KNOWLEDGE
from tests.tipchat import DESCRIPTION, jpeg_with_gps

TODAY = date(2026, 11, 23)


# ---------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("17/9/2024", date(2024, 9, 17)),
        ("17-09-2024", date(2024, 9, 17)),
        ("17.9.24", date(2024, 9, 17)),
        ("17 September 2024", date(2024, 9, 17)),
        ("tgl 17 sept 2024", date(2024, 9, 17)),
        ("2024-09-17", date(2024, 9, 17)),
        ("hari ini", TODAY),
        ("Kemarin", TODAY - timedelta(days=1)),
        ("3 hari lalu", TODAY - timedelta(days=3)),
        # weekdays (TODAY is a Monday)
        ("sabtu", date(2026, 11, 21)),
        ("Sabtu kemarin", date(2026, 11, 21)),
        ("sabtu minggu lalu", date(2026, 11, 21)),
        ("minggu kemarin, hari sabtu", date(2026, 11, 21)),
        ("hari minggu lalu", date(2026, 11, 22)),
        ("senin", TODAY),
        ("senin kemarin", date(2026, 11, 16)),
        ("jum'at", date(2026, 11, 20)),
        ("last saturday", date(2026, 11, 21)),
        ("sabtu 21 nov 2026", date(2026, 11, 21)),
    ],
)
def test_dates_people_type(typed, expected):
    assert parse_date(typed, TODAY).value == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("31/2/2024", "invalid"),
        ("1/13/2024", "invalid"),
        ("besok", "future"),
        ("24/11/2026", "future"),
        ("17/9/1999", "too_old"),
        ("minggu lalu pas apel", "unreadable"),
        ("minggu lalu", "which_day"),  # a week, not a day: the user is asked which
        ("pekan kemarin", "which_day"),
        ("17 Foo 2024", "unreadable"),
        ("", "unreadable"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(typed, problem):
    result = parse_date(typed, TODAY)
    assert result.value is None and result.problem == problem


def test_dates_are_shown_in_words():
    assert format_date("2024-09-17", "id") == "17 September 2024"
    assert format_date("2024-08-01", "en") == "1 August 2024"


# ---------------------------------------------------------------------- receipt codes


def test_receipt_codes_are_long_random_and_unambiguous():
    codes = {receipts.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert math.log2(len(receipts.ALPHABET)) * receipts.GROUPS * receipts.GROUP_LEN >= 80
    assert not set("01ILO") & set(receipts.ALPHABET)
    code = next(iter(codes))
    assert len(code) == 23 and code.count("-") == 3
    assert receipts.normalise(code.lower().replace("-", " ")) == code
    assert receipts.normalise(code.replace("-", "")) == code
    assert receipts.normalise("O" * 20) is None and receipts.normalise("abc") is None


def test_receipt_hash_is_salted_and_verifies():
    code = receipts.new_code()
    first, second = receipts.hash_code(code), receipts.hash_code(code)
    assert first != second  # a fresh salt each time
    assert receipts.verify(code, first) and receipts.verify(code, second)
    assert not receipts.verify(receipts.new_code(), first)
    assert code.encode() not in first


# ---------------------------------------------------------------------- the form


@pytest.fixture
def form() -> TipForm:
    choices, retired = load_categories(KNOWLEDGE)
    return TipForm(choices, load_provinces(KNOWLEDGE), retired)


def test_provinces_file_has_all_38_provinces():
    provinces = load_provinces(KNOWLEDGE)
    assert len([p for p in provinces if p != "ln"]) == 38
    assert all(len(callbacks.TipButton("p", p).pack().encode()) <= 64 for p in provinces)


def test_categories_name_what_a_citizen_saw_and_old_reports_keep_their_titles(form):
    ids = [c.id for c in form.choices]
    assert {"kepala-desa", "fasilitas-negara", "medsos", "lainnya"} <= set(ids) and ids[-1] == "lainnya"
    assert all(c.seen and c.en_seen for c in form.choices)
    assert form.categories["jabatan-fasilitas"][0].startswith("Jabatan")  # filed before the list changed
    assert not {"media-sosial", "sanksi"} & set(ids)


def test_form_walks_every_step_and_returns_to_review_after_an_edit(form):
    draft = Draft()
    assert form.choose(draft, "category", "media-sosial", TODAY) is not None  # retired: shown, not offered
    assert form.choose(draft, "category", "kepala-desa", TODAY) is None
    assert form.choose(draft, "election", "pemilu", TODAY) is None
    assert form.skip(draft) is None and draft.step == "province"
    assert form.enter_text(draft, "jawa tengah", TODAY) is None and draft.province == "33"
    assert form.skip(draft) is None and draft.step == "date"
    assert form.choose(draft, "date", "1", TODAY) is None and draft.incident_date == "2026-11-22"
    assert form.enter_text(draft, "terlalu pendek", TODAY).key == "tip_description_short"
    assert form.enter_text(draft, "x" * 4001, TODAY).key == "tip_description_long"
    assert form.enter_text(draft, DESCRIPTION, TODAY) is None and draft.step == "evidence"
    assert form.enter_text(draft, "tanpa tautan", TODAY).key == "tip_evidence_expected"
    assert form.evidence_done(draft) is None and draft.step == "review"
    assert form.ready(draft)
    assert form.edit(draft, "province") is None and draft.step == "province"
    assert form.choose(draft, "province", "31", TODAY) is None and draft.step == "review"
    assert form.edit(draft, "who") is None
    form.back(draft)
    assert draft.step == "review"


def test_form_refuses_old_buttons_and_required_skips(form):
    draft = Draft()
    assert form.choose(draft, "province", "33", TODAY).key == "tip_stale_button"
    assert form.skip(draft).key == "tip_not_optional"
    assert form.enter_text(draft, "media sosial", TODAY).key == "tip_use_buttons"
    assert not form.ready(draft)


def test_evidence_is_limited_to_ten_items(form):
    draft = Draft(step="evidence")
    for i in range(MAX_EVIDENCE):
        assert form.add_file(draft, EvidenceItem(kind="photo", file=f"f{i}")) is None
    assert form.add_file(draft, EvidenceItem(kind="photo", file="x")).key == "tip_evidence_full"
    assert form.add_links(draft, "https://example.org/a").key == "tip_evidence_full"


# ---------------------------------------------------------------------- encryption and evidence


def test_data_key_file_is_private_and_values_are_bound_to_their_purpose(tmp_path):
    key, in_data_dir = load_master(tmp_path, None)
    assert in_data_dir and stat.S_IMODE(os.stat(tmp_path / "data.key").st_mode) == 0o600
    assert load_master(tmp_path, None) == (key, True)
    vault = Vault(key)
    sealed = vault.seal(b"rahasia", "report")
    assert b"rahasia" not in sealed and vault.open(sealed, "report") == b"rahasia"
    with pytest.raises(CryptoError):
        vault.open(sealed, "draft")
    with pytest.raises(CryptoError):
        Vault(load_master(tmp_path / "other", None)[0]).open(sealed, "report")


def test_a_malformed_data_key_is_a_one_line_settings_error(tmp_path):
    from bot.config import Settings
    from bot.tg.app import build_services

    with pytest.raises(SettingsError, match="DATA_KEY"):
        build_services(Settings(data_dir=tmp_path, data_key="not-base64!"))


def test_photos_lose_exif_and_gps():
    data = jpeg_with_gps("Budi Santoso")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    clean, mime = strip_image(data)
    img = Image.open(io.BytesIO(clean))
    assert mime == "image/jpeg" and not img.getexif() and b"Budi" not in clean and b"ExampleCam" not in clean


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Budi Santoso")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    clean, mime = strip_image(out.getvalue())
    assert mime == "image/png" and b"Budi" not in clean


@pytest.mark.parametrize(
    ("data", "mime", "key"),
    [
        (b"MZ\x90\x00", "application/x-msdownload", "tip_file_unsupported"),
        (b"not an image", "image/jpeg", "tip_file_unreadable"),
        (b"\0" * (MAX_FILE_BYTES + 1), "application/pdf", "tip_file_too_big"),
    ],
)
def test_unusable_files_are_refused(data, mime, key):
    with pytest.raises(EvidenceError) as err:
        clean_file(data, mime, as_photo=False)
    assert err.value.key == key


def test_pdfs_are_kept_as_sent_and_flagged():
    clean = clean_file(b"%PDF-1.4 ...", "application/pdf", as_photo=False)
    assert clean.kind == "document" and not clean.metadata_removed


# ---------------------------------------------------------------------- limits


async def test_keyed_limit_counts_per_user_and_forgets_each_window():
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    limit = KeyedLimit("t", 2, 60, store, clock=lambda: now[0])
    await limit.hit(1)
    await limit.hit(1)
    assert await limit.exhausted(1) and not await limit.exhausted(2)
    assert not any(k.endswith(":1") for k in store._items)  # keyed, not the id
    now[0] += 60
    assert not await limit.exhausted(1)
    now[0] += 240  # two windows later the first window's secret and counts are gone from memory
    assert all(store._live(key) is None for key in list(store._items) if key.startswith("limit:t:16:"))


# ---------------------------------------------------------------------- the service and storage


@pytest.fixture
async def tips(tmp_path):
    store = Database(tmp_path / "netra.sqlite3")
    await store.open()
    vault = Vault(load_master(tmp_path, None)[0])
    tip_store = TipStore(store)
    service = TipService(tip_store, vault, EvidenceFiles(tip_store, vault), b"k" * 32)
    await service.open()
    yield service
    await store.close()


def _ready_draft() -> Draft:
    return Draft(
        step="review", category="kampanye", election="pemilu", province="35", regency="Kota Malang",
        incident_date="2026-11-20", description=DESCRIPTION,
    )  # fmt: skip


async def test_a_sent_report_opens_only_with_its_code(tips, tmp_path):
    await tips.save_draft("user-key", _ready_draft())
    assert "user-key" in tips.draft_keys
    receipt = await tips.submit("user-key", _ready_draft())
    assert receipt.public_no.startswith("LPR-") and receipt.public_no.endswith("-000001")
    pending = await tips.pending_receipt("user-key")  # only the receipt is left, until the user confirms
    assert pending.receipt == receipt and pending.description is None
    await tips.discard_draft("user-key", pending)
    assert await tips.load_draft("user-key") is None and "user-key" not in tips.draft_keys
    report_id = await tips.find(receipt.code.lower())
    view = await tips.view(report_id)
    assert view.status == "baru" and view.province == "35"
    assert await tips.find(receipts.new_code()) is None
    assert (await tips.details(report_id))["description"] == DESCRIPTION
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("netra.sqlite3*"))
    assert DESCRIPTION[:40].encode() not in raw and b"Kota Malang" not in raw
    assert receipt.code.encode() not in raw and receipt.code.replace("-", "").encode() not in raw


async def test_drafts_in_memory_a_crash_between_the_commit_and_the_receipt_files_the_report_once(tips):
    """On PostgreSQL drafts live in the short-lived store and the report's transaction cannot carry the receipt:
    the draft keeps its code before the commit, and the next Send finds the committed report."""
    tips.drafts = drafts = MemoryDrafts(MemoryStore())
    await tips.save_draft("user-key", _ready_draft())
    put = drafts.put
    writes: list[bytes] = []

    async def dies_at_the_receipt(user_key: str, body: bytes) -> None:
        writes.append(body)
        if len(writes) == 2:  # the first saves the code it is sent under; the second would save the receipt
            raise ConnectionError("the replica died")
        await put(user_key, body)

    drafts.put = dies_at_the_receipt
    with pytest.raises(ConnectionError):
        await tips.submit("user-key", _ready_draft())
    drafts.put = put
    draft = await tips.load_draft("user-key")
    assert draft.step == "review" and draft.sending  # not sent, as far as the draft knows
    receipt = await tips.submit("user-key", draft)  # the reporter presses Send again
    assert receipt.code == draft.sending and receipt.public_no.endswith("-000001")
    assert len(await tips.store.list_reports(None, 0, None)) == 1
    assert (await tips.pending_receipt("user-key")).receipt == receipt
    assert await tips.store.draft("user-key") is None  # nothing of it in the database


async def test_handlers_messages_reach_the_reporter_but_internal_notes_do_not(tips):
    receipt = await tips.submit("k", _ready_draft())
    report_id = await tips.find(receipt.code)
    await tips.set_status(report_id, "diverifikasi", "Sedang kami telusuri.")
    await tips.note(report_id, "catatan internal", public=False)
    await tips.ask(report_id, "Jam berapa kejadiannya?")
    view = await tips.view(report_id)
    assert view.status == "diverifikasi" and view.open_question
    assert [e.kind for e in view.events] == ["status", "status", "question"]
    assert "catatan internal" not in str(view)
    await tips.reply(report_id, "Sekitar pukul 09.00")
    assert not (await tips.view(report_id)).open_question


async def test_retention_removes_text_and_evidence_but_keeps_statistics(tips, tmp_path):
    draft = _ready_draft()
    item = await tips.store_file(clean_file(jpeg_with_gps(), "image/jpeg", as_photo=True))
    draft.evidence.append(item)
    receipt = await tips.submit("k", draft)
    report_id = await tips.find(receipt.code)
    assert item.file in await tips.files.names()
    await tips.set_status(report_id, "selesai")
    assert (await tips.purge(retention_days=365))["reports"] == 0
    await tips.store.store.write("UPDATE reports SET status_on = '2020-01-01' WHERE id = ?", (report_id,))
    assert (await tips.purge(retention_days=365))["reports"] == 1
    view = await tips.view(report_id)
    assert view.purged and view.category == "kampanye" and view.province == "35" and view.evidence_count == 0
    assert await tips.details(report_id) == {}
    assert item.file not in await tips.files.names()


async def test_abandoned_drafts_and_orphan_files_are_removed(tips, tmp_path):
    draft = Draft(step="evidence")
    item = await tips.store_file(clean_file(jpeg_with_gps(), "image/jpeg", as_photo=True))
    draft.evidence.append(item)
    await tips.save_draft("old", draft)
    await tips.save_draft("fresh", Draft())
    orphan = await tips.files.write(b"left by a crash")
    await tips.store.store.write("UPDATE tip_drafts SET updated_on = '2020-01-01' WHERE user_key = 'old'")
    result = await tips.purge(retention_days=365)
    assert result == {"drafts": 1, "reports": 0, "orphans": 0}  # an orphan goes at the second sweep
    assert orphan in await tips.files.names()
    assert (await tips.purge(retention_days=365))["orphans"] == 1
    assert await tips.load_draft("old") is None and await tips.load_draft("fresh") is not None
    assert await tips.files.names() == set()


def test_articles_cited_in_the_after_report_guidance_are_in_the_knowledge_base(engine):
    """The guidance after a report quotes deadlines and requirements; each article it names must be a
    basis of a rule, so the template cannot drift from the checked knowledge base."""
    import re

    from bot.presentation.render import TEMPLATES_DIR

    text = (TEMPLATES_DIR / "tips" / "after.html.j2").read_text(encoding="utf-8")
    cited = set(re.findall(r"Pasal \d+ ayat \(\d+\)", text))
    assert len(cited) == 4
    bases = {b.article for rule in engine.kb.rules.values() for b in rule.basis}
    assert cited <= bases
    rules = re.findall(r"/aturan ([a-z-]+)", text)
    assert rules and all(r in engine.kb.rules for r in rules)


def test_the_formal_report_deadline():
    from bot.tips.deadline import formal_deadline

    friday = date(2026, 11, 27)
    assert formal_deadline("pemilu", friday) == date(2026, 12, 8)  # 7 working days: weekends not counted
    assert formal_deadline("pilkada", friday) == date(2026, 12, 4)  # 7 calendar days
    assert formal_deadline("tidak_tahu", friday) is None
