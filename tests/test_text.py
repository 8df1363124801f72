import pytest

from bot.qa.text import Lexicon, Normaliser
from tests.conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def norm() -> Normaliser:
    return Normaliser(Lexicon.load(KNOWLEDGE))


def test_case_punctuation_and_slang(norm):
    assert norm.tokens("Boleh GAK pns ngelike postingan caleg??") == norm.tokens(
        "boleh tidak asn like posting calon legislatif"
    )


@pytest.mark.parametrize("word", ["gak", "ga", "nggak", "tdk", "enggak", "gk"])
def test_negations_become_tidak(norm, word):
    assert norm.tokens(word) == ["tidak"]


@pytest.mark.parametrize("word", ["tidak", "bukan", "boleh", "bisa", "wajib", "harus"])
def test_negations_and_modals_are_never_dropped(norm, word):
    assert norm.tokens(f"apakah saya {word} ikut") == [word, "ikut"]


def test_repeated_letters_collapse(norm):
    assert norm.tokens("bolehhhh") == ["boleh"]


def test_abbreviations_expand(norm):
    assert norm.tokens("paslon") == ["pasangan", "calon"]
    assert norm.tokens("capres") == ["calon", "presiden"]
    assert "tim" in norm.tokens("timses") and "sukses" in norm.tokens("timses")
    assert norm.tokens("medsos") == norm.tokens("sosmed")
    assert norm.tokens("ig") == ["instagram"]


def test_stemming_meets_affixed_forms(norm):
    assert norm.tokens("mendukung") == norm.tokens("dukungan") == ["dukung"]
    assert norm.tokens("mencalonkan") == ["calon"]


def test_multiword_phrases(norm):
    assert norm.tokens("civil servant") == ["asn"]
    assert norm.tokens("tim sukses") == norm.tokens("timses")


def test_html_urls_and_emoji_are_harmless(norm):
    assert norm.tokens("<b>kampanye</b> & </ 🎉 https://x.example/a?b=1") == ["kampanye"]
    assert norm.tokens("") == []
    assert norm.tokens("!!! ??? 😀") == []


def test_domain_gate(norm):
    assert norm.is_in_domain(norm.tokens("pns boleh ikut kampanye?"))
    assert not norm.is_in_domain(norm.tokens("cara daftar cpns"))


# ---- regional languages and Betawi, mixed with Indonesian


@pytest.mark.parametrize("word", ["ora", "mboten", "boten", "teu", "henteu", "moal", "kagak", "kaga", "gak"])
def test_regional_negations_become_tidak_and_stay(norm, word):
    assert norm.tokens(f"pns {word} ikut") == ["asn", "tidak", "ikut"]


@pytest.mark.parametrize(
    ("regional", "indonesian"),
    [
        ("pns oleh melu kampanye ora?", "pns boleh ikut kampanye tidak?"),  # Javanese
        ("opo asn iso dadi timses?", "apakah asn bisa jadi timses?"),
        ("nek sampeyan mung like postingan caleg piye?", "kalau anda cuma like postingan caleg bagaimana?"),
        ("kumaha atuh, asn teu kenging milu kampanye nya?", "bagaimana asn tidak boleh ikut kampanye?"),  # Sundanese
        ("naon sanksi mun pns ngiring kampanye", "apa sanksi kalau pns ikut kampanye"),
        ("gimane kalo pns kagak netral?", "bagaimana kalau pns tidak netral?"),  # Betawi
        ("ngapain aje nyang dilarang buat asn", "apa saja yang dilarang buat asn"),
    ],
)
def test_regional_questions_meet_the_indonesian_ones(norm, regional, indonesian):
    assert norm.tokens(regional) == norm.tokens(indonesian)


def test_regional_particles_are_dropped(norm):
    assert norm.tokens("teh atuh mah euy wae nggih neng") == []


def test_oleh_is_by_unless_it_stands_by_a_javanese_negation_or_tag(norm):
    assert "boleh" not in norm.tokens("dilarang oleh undang-undang, dijatuhkan oleh pejabat")
    assert norm.tokens("oleh ora") == norm.tokens("ora oleh")[::-1] == ["boleh", "tidak"]
    assert norm.tokens("pns oleh gak melu kampanye") == norm.tokens("pns boleh gak ikut kampanye")
    assert norm.tokens("pns oleh melu kampanye") == norm.tokens("pns boleh ikut kampanye")
