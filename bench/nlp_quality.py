"""Quality of the NLP core, measured on the repositories' own material: brand matching and language.

    python bench/nlp_quality.py [brands|language]     (finds ../shared; or set TRENDWATCH_SHARED)

**Brands — Sentiment140's manually labelled test set.** Sentiment140 (Go, Bhayani & Huang 2009)
tied every tweet to the search `query` that found it. The companies and products among those
queries are configured as `BRANDS`, with the names a user would configure (official names and
product names; no spelling taken from the rows), and every row is checked:

- recall: rows of a brand query (and rows that name another configured brand, see below) in
  which the brand is found;
- precision: brand mentions found that are right.

A query is only a *lower bound* on what a tweet names: "Talk is Cheap: Bing that, I'll stick
with Google" was found by `bing` but names Google too, and a `wolfram alpha` tweet can compare
it with Google. `NAMED_IN_TEXT` lists, by row id, the configured brands such rows name, read by
hand from the text; "strict" precision ignores it and counts every mention outside the row's
query as wrong.

**Language — labelled posts from ../shared plus our own sentences.** English: TweetEval (every
40th row), Sentiment140, the Guardian RSS items, Bluesky posts declared `en`, Mastodon statuses
declared `en`. Persian: Snappfood comments (every 40th row), the Hoder weblog RSS items. Other:
the heise developer Atom feed (German), a Telegram channel preview (Russian). Arabic has no
labelled material in ../shared, so `OWN_SENTENCES` adds short posts we wrote in Arabic (MSA and
dialect), colloquial Persian, English and eleven other languages. (Mastodon's `ja` statuses are
English test toots with a wrong declared language, so they are not used.)

The tests tests/nlp/test_sentiment140_brands.py and tests/nlp/test_language_accuracy.py assert
the figures this script prints.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from nlp import extensions as ext
from nlp.pipeline import build_pipeline
from trendwatch.config import BrandConfig, NlpConfig


def _find_shared() -> Path:
    """$TRENDWATCH_SHARED, else ../shared next to the checkout (or next to the main checkout
    when this is a git worktree), as tests/conftest.py finds it."""
    if "TRENDWATCH_SHARED" in os.environ:
        return Path(os.environ["TRENDWATCH_SHARED"])
    root = Path(__file__).resolve().parents[1]
    candidates = [root.parent / "shared"]
    if (root / ".git").is_file():  # a worktree: ".git" names the main repository's git directory
        gitdir = Path((root / ".git").read_text(encoding="utf-8").split(":", 1)[1].strip())
        candidates.append(gitdir.parents[2].parent / "shared")
    return next((c for c in candidates if c.exists()), candidates[0])


SHARED = _find_shared()
DATA = SHARED / "data/sentiment/en/sentiment140_testdata_manual_2009-06-14.csv"

# ------------------------------------------------------------------------------------ brands

BRANDS = [
    BrandConfig(name="Nike"),
    BrandConfig(name="Kindle", aliases=["Kindle 2", "Kindle DX"]),
    BrandConfig(name="Time Warner", aliases=["Time Warner Cable", "TWC"]),
    BrandConfig(name="AT&T"),
    BrandConfig(name="GM", aliases=["General Motors"]),
    BrandConfig(name="Safeway"),
    BrandConfig(name="Google", aliases=["Google I/O"]),
    BrandConfig(name="McDonald's"),
    BrandConfig(name="Comcast"),
    BrandConfig(name="Visa"),
    BrandConfig(name="Sony"),
    BrandConfig(name="Yahoo"),
    BrandConfig(name="Bing"),
    BrandConfig(name="ESPN"),
    BrandConfig(name="AIG"),
    BrandConfig(name="jQuery"),
]

QUERY_BRAND = {
    "nike": "Nike",
    "kindle2": "Kindle",
    "time warner": "Time Warner",
    "at&t": "AT&T",
    "gm": "GM",
    "safeway": "Safeway",
    "google": "Google",
    "googleio": "Google",  # Google I/O, Google's developer conference
    "mcdonalds": "McDonald's",
    "comcast": "Comcast",
    "visa": "Visa",
    "visa card": "Visa",
    "sony": "Sony",
    "yahoo": "Yahoo",
    "bing": "Bing",
    "espn": "ESPN",
    "aig": "AIG",
    "jquery": "jQuery",
    "jquery book": "jQuery",
}

NAMED_IN_TEXT: dict[str, frozenset[str]] = {
    # row id: configured brands the tweet names besides its query's (checked by reading it)
    "16": frozenset({"ESPN"}),  # nike: "Watchin Espn.. this new Nike Commercial"
    "172": frozenset({"Google"}),  # wolfram alpha: "... Better Than Google"
    "212": frozenset({"GM"}),  # bailout: "than Chrysler and GM?"
    "239": frozenset({"Nike"}),  # wieden: "Love the nike #mostvaluablepuppets campaign"
    "253": frozenset({"Google"}),  # g2: "at google i/o"
    "254": frozenset({"Google"}),  # g2: "#googleio"
    "586": frozenset({"Google"}),  # stanford: "Google mentor"
    "589": frozenset({"Google"}),  # car warranty call: "using Google Voice"
    "603": frozenset({"Google"}),  # wave sandbox: "Google Wave Developer Sandbox"
    "613": frozenset({"Google"}),  # bing: "I'll stick with Google"
    "1031": frozenset({"Google"}),  # fred wilson: "his talk at Google HQ"
    "2137": frozenset({"Google"}),  # wolfram alpha: "Makes Google seem so quaint"
    "2138": frozenset({"Google"}),  # wolfram alpha: "#google or #wikipedia"
    "2220": frozenset({"Google"}),  # g2: "the Google I/O conference"
    "2221": frozenset({"Google"}),  # g2: "a free google android phone"
    "2368": frozenset({"AIG"}),  # gm: "nor AIG, Lehman"
    "2533": frozenset({"Google"}),  # jquery: "google's chart//visualization API"
    "7011": frozenset({"Sony"}),  # kindle2: "(& Sony PRS-500)"
    "8052": frozenset({"Google"}),  # visa card: "dearest @google"
}


@dataclass(frozen=True)
class Scores:
    rows: int
    brand_rows: int
    expected: int
    found: int
    predicted: int
    correct: int
    strict_correct: int
    misses: tuple[str, ...]
    wrong: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.found / self.expected

    @property
    def precision(self) -> float:
        return self.correct / self.predicted

    @property
    def strict_precision(self) -> float:
        return self.strict_correct / self.predicted


def evaluate(path: Path = DATA) -> Scores:
    nlp = build_pipeline(NlpConfig(), BRANDS)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = found = predicted = correct = strict = brand_rows = 0
    misses: list[str] = []
    wrong: list[str] = []
    for row in rows:
        doc = nlp(row["text"])
        got = {span.label_ for span in doc.spans[ext.BRAND_SPANS]}
        query = QUERY_BRAND.get(row["query"])
        brand_rows += query is not None
        gold = ({query} if query else set()) | NAMED_IN_TEXT.get(row["id"], frozenset())
        expected += len(gold)
        found += len(gold & got)
        predicted += len(got)
        correct += len(got & gold)
        strict += query in got
        misses += [f"{row['id']} {b}: {row['text']}" for b in sorted(gold - got)]
        wrong += [f"{row['id']} {b}: {row['text']}" for b in sorted(got - gold)]
    return Scores(len(rows), brand_rows, expected, found, predicted, correct, strict, tuple(misses), tuple(wrong))


# ---------------------------------------------------------------------------------- language

OWN_SENTENCES: dict[str, tuple[str, ...]] = {
    "ar": (
        "هذا المنتج رائع جدا وأنصح الجميع بشرائه",
        "وصل الطلب متأخرا ولكن الجودة ممتازة",
        "لم يعجبني التطبيق الجديد على الإطلاق",
        "ما هو أفضل هاتف في السوق هذا العام؟",
        "خدمة العملاء كانت سيئة للغاية اليوم",
        "شكرا لكم على التوصيل السريع",
        "أين يمكنني شراء هذه الساعة في الرياض؟",
        "السعر مرتفع جدا مقارنة بالمنافسين",
        "الله يعطيكم العافية على هذا العرض",
        "هل يوجد خصم على الملابس في نهاية الأسبوع؟",
        "اشتريت الجهاز من المتجر الإلكتروني وكان التغليف ممتازا",
        "أنا لا أثق بهذه الشركة بعد ما حدث",
        "كان الفيلم جميلا لكن النهاية مخيبة",
        "المطعم الجديد في وسط المدينة مزدحم دائما",
        "نحن بانتظار الإصدار القادم من اللعبة",
        "يا جماعة مين جرب هالمطعم؟",
        "والله الخدمة عندهم ممتازة",
        "ليش التطبيق بطيء كذا اليوم؟",
        "الطقس حار جدا في دبي هذا الصيف",
        "قرأت الخبر في الجريدة صباح اليوم",
        "تم إطلاق الهاتف الجديد رسميا في مصر",
        "أفضل قهوة شربتها في حياتي",
        "الشحن مجاني للطلبات فوق مئة ريال",
        "لا أنصح أحدا بالتعامل مع هذا المحل",
        "متى سيعود المنتج إلى المخزون؟",
        "الفريق فاز بالمباراة بعد أداء رائع",
        "هذه أول مرة أطلب من هذا الموقع",
        "كل شيء كان جيدا ما عدا التوصيل",
        "عندي مشكلة في الحساب ولا أستطيع الدخول",
        "الكتاب الذي اشتريته أمس وصل اليوم",
        "نتمنى لكم عيدا سعيدا وكل عام وأنتم بخير",
        "البطارية تنفد بسرعة كبيرة",
        "كيف أستطيع إلغاء الاشتراك؟",
        "الجودة عالية والسعر مناسب",
        "شاهدت الإعلان الجديد على التلفاز",
        "التحديث الأخير أصلح كل المشاكل",
        "المدرسة قريبة من البيت",
        "سافرنا إلى القاهرة في العطلة",
        "لماذا ألغيت الرحلة دون إشعار؟",
        "هذا أسوأ مطعم زرته في المدينة",
    ),
    "fa": (
        "سفارشم دیر رسید ولی غذاش داغ بود",
        "این گوشی رو نخرید، باتریش افتضاحه",
        "پشتیبانی دیجی کالا جواب نمیده",
        "کسی میدونه قیمت دلار امروز چنده؟",
        "عالی بود مرسی از پیک محترم",
        "امروز هوا خیلی سرده",
        "فیلم دیشب رو دیدین؟ آخرش خیلی عجیب بود",
        "اسنپ دوباره قیمت‌ها رو برد بالا",
        "تخفیف‌های بلک فرایدی شروع شد",
        "کیفیت پارچه خوب نبود",
        "بسته بندی سالم بود و به موقع رسید",
        "اینترنت همراه اول قطعه",
        "نمیدونم چرا اپلیکیشن باز نمیشه",
        "دمتون گرم، خیلی خوب بود",
        "یه سوال داشتم درباره ارسال رایگان",
        "رستوران جدید خیابون ولیعصر شلوغ بود",
        "تولدت مبارک رفیق",
        "مثل همیشه عالی",
        "کتاب رو دیروز خریدم",
        "ترافیک تهران امروز وحشتناک بود",
    ),
    "en": (
        "just got my order, super fast delivery!",
        "worst customer service ever, never again",
        "anyone else having trouble logging in?",
        "new phone who dis",
        "Loving the new update 🔥",
        "Can't wait for the weekend",
        "The battery life is amazing",
        "Our team won the finals!!!",
        "Is the store open on Sundays?",
        "Great coffee, terrible parking.",
    ),
    "other": (
        "El pedido llegó tarde pero la comida estaba rica",
        "¿Alguien sabe si la tienda abre hoy?",
        "Me encanta este producto",
        "Le service client est vraiment nul",
        "Je ne recommande pas cette marque",
        "C'est le meilleur café de la ville",
        "Die Lieferung war schnell und gut verpackt",
        "Ich bin sehr zufrieden mit dem Handy",
        "Il servizio è stato ottimo, grazie",
        "Non mi piace questo nuovo aggiornamento",
        "O produto chegou com defeito",
        "Adorei o atendimento da loja",
        "Bu ürün gerçekten çok iyi",
        "Sipariş hâlâ gelmedi",
        "Het eten was heerlijk en de bediening vriendelijk",
        "Pengiriman cepat dan barang sesuai pesanan",
        "Доставка была очень быстрой",
        "这个手机的电池很耐用",
        "新しいアップデートが楽しみです",
        "배송이 정말 빨랐어요",
        "यह फोन बहुत अच्छा है",
        "השירות היה מצוין",
        "یہ فون بہت اچھا ہے اور قیمت بھی مناسب ہے",
        "Η παράδοση ήταν γρήγορη",
    ),
}

_TAGS = re.compile(r"<[^>]+>")
_TELEGRAM_TEXT = re.compile(r'<div class="tgme_widget_message_text[^"]*"[^>]*>(.*?)</div>', re.S)


def _plain(markup: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", markup)).split())


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _feed_texts(path: Path) -> Iterator[str]:
    for entry in feedparser.parse(path.read_bytes()).entries:
        yield _plain(entry.get("title", ""))
        if entry.get("summary"):
            yield _plain(entry["summary"])


def language_samples(shared: Path = SHARED) -> Iterator[tuple[str, str, str]]:
    """(source, expected language, text) for every sample; shared files that are absent are skipped."""
    sentiment, fixtures = shared / "data" / "sentiment", shared / "fixtures"
    if (path := sentiment / "en" / "tweeteval_sentiment_val_test.csv").exists():
        for row in _csv_rows(path)[::40]:
            yield "tweeteval", "en", row["text"]
    if (path := sentiment / "en" / "sentiment140_testdata_manual_2009-06-14.csv").exists():
        for row in _csv_rows(path):
            yield "sentiment140", "en", row["text"]
    if (path := sentiment / "fa" / "snappfood_test.csv").exists():
        for row in _csv_rows(path)[::40]:
            yield "snappfood", "fa", row["comment"]
    feeds = [("guardian.rss", "en"), ("hoder_persian_weblog_2005.rss.xml", "fa"), ("heise.atom", "other")]
    for name, lang in feeds:
        if (path := fixtures / "rss" / name).exists():
            for text in _feed_texts(path):
                yield f"rss/{name}", lang, text
    if (path := fixtures / "bluesky" / "app.bsky.feed.searchPosts_q-redistricting.json").exists():
        for item in json.loads(path.read_text(encoding="utf-8"))["posts"]:
            if item["record"].get("langs") == ["en"]:
                yield "bluesky", "en", item["record"]["text"]
    if (path := fixtures / "mastodon" / "timelines_public.json").exists():
        for status in json.loads(path.read_text(encoding="utf-8")):
            if status.get("language") == "en":
                yield "mastodon", "en", _plain(status["content"])
    if (path := fixtures / "telegram" / "t_me_s_full.html").exists():
        for markup in _TELEGRAM_TEXT.findall(path.read_text(encoding="utf-8")):
            yield "telegram", "other", _plain(markup)
    for lang, sentences in OWN_SENTENCES.items():
        for text in sentences:
            yield "own", lang, text


@dataclass(frozen=True)
class LanguageScores:
    total: int
    correct: int
    by_language: dict[str, tuple[int, int]]  # expected language -> (correct, total)
    by_source: dict[str, tuple[int, int]]
    confusion: Counter[tuple[str, str]]  # (expected, detected) -> count
    errors: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    def language_accuracy(self, lang: str) -> float:
        correct, total = self.by_language[lang]
        return correct / total


def evaluate_language(shared: Path = SHARED) -> LanguageScores:
    nlp = build_pipeline(NlpConfig(), [])
    confusion: Counter[tuple[str, str]] = Counter()
    by_source: Counter[tuple[str, bool]] = Counter()
    errors: list[str] = []
    for source, expected, text in language_samples(shared):
        if not text.strip():
            continue
        got = ext.get(nlp(text), ext.LANG)
        confusion[expected, got] += 1
        by_source[source, got == expected] += 1
        if got != expected:
            errors.append(f"{source} {expected}->{got}: {text[:100]}")
    languages = sorted({e for e, _ in confusion})
    by_language = {
        lang: (confusion[lang, lang], sum(n for (e, _), n in confusion.items() if e == lang)) for lang in languages
    }
    sources = sorted({s for s, _ in by_source})
    per_source = {src: (by_source[src, True], by_source[src, True] + by_source[src, False]) for src in sources}
    total = sum(confusion.values())
    correct = sum(n for (e, g), n in confusion.items() if e == g)
    return LanguageScores(total, correct, by_language, per_source, confusion, tuple(errors))


# -------------------------------------------------------------------------------------- main


def print_brands(path: Path) -> None:
    s = evaluate(path)
    print(f"Brands — Sentiment140 manual test set: {s.rows} rows, {s.brand_rows} found by a brand query, ", end="")
    print(f"{len(BRANDS)} brands")
    print(f"  {'measure':<34}{'value':>8}")
    print(f"  {'recall (brand rows + named)':<34}{s.recall:>8.3f}   {s.found}/{s.expected}")
    print(f"  {'precision (adjudicated)':<34}{s.precision:>8.3f}   {s.correct}/{s.predicted}")
    print(f"  {'precision (strict: query only)':<34}{s.strict_precision:>8.3f}   {s.strict_correct}/{s.predicted}")
    for line in s.misses:
        print("    missed", line)
    for line in s.wrong:
        print("    wrong ", line)


def print_language(shared: Path) -> None:
    s = evaluate_language(shared)
    print(f"Language — {s.total} labelled posts: accuracy {s.accuracy:.3f}")
    print(f"  {'expected':<10}{'accuracy':>9}{'posts':>7}   detected as")
    for lang, (correct, total) in s.by_language.items():
        detected = {g: n for (e, g), n in sorted(s.confusion.items()) if e == lang}
        print(f"  {lang:<10}{correct / total:>9.3f}{total:>7}   {detected}")
    print(f"  {'source':<40}{'accuracy':>9}{'posts':>7}")
    for source, (correct, total) in s.by_source.items():
        print(f"  {source:<40}{correct / total:>9.3f}{total:>7}")
    for line in s.errors:
        print("    wrong", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=["brands", "language", "all"], default="all")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data directory (../shared)")
    args = parser.parse_args()
    if args.what in ("brands", "all"):
        print_brands(args.shared / DATA.relative_to(SHARED))
    if args.what in ("language", "all"):
        print_language(args.shared)


if __name__ == "__main__":
    main()
