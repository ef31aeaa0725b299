"""Language of a short post: "fa", "ar", "en" or "other", from script plus function words.

Every word is classified once, when spaCy first creates its lexeme, into the language it is
evidence for; that class is stored as the lexeme's LANG attribute (so `token.lang_` is "fa" for
`است`, "en" for `the`). Deciding a post is then one C-level count over its tokens
(`doc.count_by(LANG)`) and a few comparisons — no per-token Python.

Word classes: `ur` (Urdu-only letters ٹ ڈ ڑ ں ے), `fa` (Persian-only letters پ چ ژ گ, a
Persian function word, a `می‌` verb or a `‌ها` plural), `ar` (an Arabic function word, or an
`ال`-prefixed word that is not a Persian word), `arabic` (other Arabic-script words), `en` (an
English function word), `finglish` (a Persian function word in Latin letters: `kheili`,
`mikham`), `latin_other` (a function word of another Latin-script language: `der`, `que`,
`est`, or a letter English does not use: ü, ñ, ş), `latin` (other Latin words), `script_other`
(Cyrillic, CJK, Hebrew, Devanagari, ...) and "" (no letters: numbers, punctuation, emoji, URLs,
@mentions). Besides words, each Arabic-only letter of the *raw* text (ة أ إ ؤ, which
normalisation folds away) counts as an Arabic cue.

Decision: Arabic-script words count double against Latin ones (Persian posts are full of Latin
brand names; English posts rarely contain Persian words). If Arabic script wins, the post is
"ar" when Arabic cues outnumber Persian ones, "other" when Urdu letters dominate, else "fa"
(Persian is the common case for our users). If Latin wins, it is "fa" for clear Finglish, "other"
when another language's function words outnumber English ones, else "en". Other scripts, or no
letters at all, give "other". Accuracy is measured by tests/nlp/test_language_accuracy.py.
"""

from __future__ import annotations

import re

from spacy.attrs import LANG  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.tokens import Doc

from nlp import extensions as ext
from nlp.normalise import ZWNJ

FA_WORDS = frozenset(
    """است که را از به با برای این آن هم یک یه من تو شما اون اینو اونو نیست بود شد کرد کنم
    دارم داره خیلی چی چرا کجا ولی هست باید رو تا اگه اگر دیگه دیگر همه شده کنید میشه هستش چه
    چون پس الان البته خوب خوبه بد بده نه آره بهم بهش ازش اینکه وقتی هیچ چیزی نمیشه کنه کردم
    ممنون مرسی سلام عالی واقعا اصلا فقط بودم شدم هستم هستیم هستند بودند کردند شدند توی روی
    برا بخاطر خودم خودش یعنی""".split()  # noqa: SIM905
)
AR_WORDS = frozenset(
    """فی علی الی عن هذا هذه ذلک تلک التی الذی الذین کان کانت قد لم لن هو هی نحن انا هل لا
    مع ثم لکن ایضا جدا ان انه انها لیس کیف ماذا لماذا متی این اذا عند منذ بین هناک یکون
    الله""".split()  # noqa: SIM905
) - {"این"}  # "این" is Persian's "this"; in Arabic "where" (أين) normalises to it too
FA_AL_WORDS = frozenset("البته الان الکی الهام الگو الماس البرز الکترونیک الکل الف الو".split())  # noqa: SIM905
EN_WORDS = frozenset(
    """the and is are was were to of i you it that this for with my me on be have has not but
    just so your at we they what can do dont don't im i'm its it's will get got like if or
    from about there their when how all an no would should could been being our out up one
    he she his her them who which than then too very really today love thanks""".split()  # noqa: SIM905
)
LATIN_OTHER_WORDS = frozenset(
    """el la los las que del y es por para con una le les des du et est pas je vous nous ce
    der und das ist nicht ich mit sie ein eine auf für zu von dem den ja auch sich wir
    il di che non sono per della gli het een van niet ik zijn en este esta pero muy hay
    não é um uma com os muito você yang dan ini itu tidak dengan bir ve bu için değil och att är
    jag""".split()  # noqa: SIM905
)
FINGLISH_WORDS = frozenset(
    """ke va az ro hast nist kheili kheyli khaili kheily chera chon vali mikham mikhay mikhad
    mishe nemishe nemikham bood shod dige khoob khob mamnoon merci salam chetori chetory
    khubi khobi hamin ino oono midoonam nemidoonam kojaei kojai baram barat""".split()  # noqa: SIM905
)

_FA_LETTERS = frozenset("پچژگ")
_NOT_ENGLISH_LETTERS = frozenset("àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿßğışœčřšžźżłńőű")
ARABIC_MARKS = re.compile("[\u0629\u0623\u0625\u0624]")
"""ة أ إ ؤ: letters Arabic writes and Persian hardly ever does (ى is not one: Persian keyboards
type it for a final ی). Normalisation folds them away,
so the tokenizer counts them in the raw text (`doc.user_data[ARABIC_MARKS_KEY]`)."""
ARABIC_MARKS_KEY = "trendwatch.arabic_marks"
_UR_LETTERS = frozenset("ٹڈڑںےۓ")


def _is_arabic_letter(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff"


def word_class(word: str) -> str:
    """The language `word` is evidence for (see the module docstring). Runs once per lexeme."""
    if not word or word[0] == "@" or "://" in word or word.startswith("www."):
        return ""
    body = word[1:] if word[0] in "#$" else word
    first = next((ch for ch in body if ch.isalpha()), None)
    if first is None:
        return ""
    lower = body.lower()
    if _is_arabic_letter(first):
        if not _UR_LETTERS.isdisjoint(body):
            return "ur"
        if not _FA_LETTERS.isdisjoint(body) or lower in FA_WORDS:
            return "fa"
        if lower.startswith(("می" + ZWNJ, "نمی" + ZWNJ)) or lower.endswith((ZWNJ + "ها", ZWNJ + "های")):
            return "fa"
        if lower in AR_WORDS or (lower.startswith("ال") and len(lower) > 3 and lower not in FA_AL_WORDS):
            return "ar"
        return "arabic"
    if first.isascii() or "\u00c0" <= first <= "\u024f":
        if lower in EN_WORDS:
            return "en"
        if lower in LATIN_OTHER_WORDS or not _NOT_ENGLISH_LETTERS.isdisjoint(lower):
            return "latin_other"
        if lower in FINGLISH_WORDS:
            return "finglish"
        return "latin"
    return "script_other"


class LanguageDetector:
    """spaCy component: sets `doc._.lang` from the word classes of its tokens."""

    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self._ids = {name: strings.add(name) for name in _CLASSES}

    def __call__(self, doc: Doc) -> Doc:
        ext.put(doc, ext.LANG, self.decide(doc.count_by(LANG), doc.user_data.get(ARABIC_MARKS_KEY, 0)))
        return doc

    def decide(self, counts: dict[int, int], arabic_marks: int = 0) -> str:
        n = {name: counts.get(key, 0) for name, key in self._ids.items()}
        n["ar"] += arabic_marks
        arabic = n["fa"] + n["ar"] + n["arabic"] + n["ur"]
        latin = n["en"] + n["latin_other"] + n["finglish"] + n["latin"]
        other = n["script_other"]
        if arabic and 2 * arabic >= latin and arabic >= other:
            if n["ur"] > n["fa"] + n["ar"]:
                return "other"
            return "ar" if n["ar"] > n["fa"] else "fa"
        if latin and latin >= other:
            if n["finglish"] >= 2 and n["finglish"] > n["en"] and n["finglish"] >= n["latin_other"]:
                return "fa"
            return "other" if n["latin_other"] > n["en"] else "en"
        return "other"


_CLASSES = ("fa", "ar", "arabic", "ur", "en", "finglish", "latin_other", "latin", "script_other")


@Language.factory("trendwatch_language", assigns=[f"doc._.{ext.LANG}"])
def make_language_detector(nlp: Language, name: str) -> LanguageDetector:
    return LanguageDetector(nlp)
