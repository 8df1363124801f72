"""Which language a question is written in, as far as the reply cares: English or not.

A question typed in English ("can a civil servant like a candidate's post?") is answered in English even
when the user's app is set to Indonesian; anything else keeps the user's language, so a mixed or short
message never flips an English reader's answers into Indonesian. The test is on function words, the words
every sentence needs whatever its topic: English ones must be at least two and more than twice the
Indonesian (and regional) ones. Content words decide nothing: chat Indonesian borrows "like", "post",
"share" and "vote" freely. No dependency, no model: a few hundred microseconds per message.
"""

from __future__ import annotations

import re
import unicodedata


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words with the same spelling in both languages' chat ("no" for nomor, "di", "dan") are left out of both.
ENGLISH = _words(
    """
    a an the is are am was were be been being do does did doesn don didn isn aren wasn can could cannot
    may might must should would will shall won wouldn shouldn couldn have has had i you he she we they
    me him us them my your his our their its it this that these those what which who whom whose why
    when where how if or and but not of to in on at for with from by about as into than then there here
    any some every also only just still because so such very too while whether allowed
    """
)
INDONESIAN = _words(
    """
    yang dan di ke dari ini itu apa apakah boleh tidak gak ga gk nggak enggak tdk bukan jangan saya aku
    kamu anda kita kami dia mereka untuk utk dengan dgn pada dalam atau jika kalau kalo klo bisa sudah
    udah belum akan juga saja aja ya sih dong kok kah nya bagaimana gimana gmn kenapa mengapa siapa mana
    kapan ada adalah jadi karena tapi tetapi harus wajib sebagai oleh tentang seperti masih lagi mau
    ingin sama buat bagi para tersebut agar supaya
    opo ora iso melu nek neng wae mboten pripun piye teu henteu kumaha naon atuh mah teh kagak gimane
    """
)
_WORD = re.compile(r"[a-z]+")


def counts(text: str) -> tuple[int, int]:
    """How many of the text's words are English function words, and how many Indonesian ones."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    return sum(w in ENGLISH for w in words), sum(w in INDONESIAN for w in words)


def is_english(text: str) -> bool:
    english, indonesian = counts(text)
    return english >= 2 and english > 2 * indonesian


def reply_language(text: str, default: str) -> str:
    """The language to answer `text` in: English for clearly English text, else the user's `default`."""
    return "en" if is_english(text) else default
