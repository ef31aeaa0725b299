"""Persian stop words for the `text.fa` sub-field, in the folding our analyser applies first.

Elasticsearch's `_persian_` list is Lucene's, written for Lucene's own Persian normalisation
(which turns Farsi yeh and keheh into Arabic yeh and kaf and alef with madda into alef). Our
analyser folds the other way (`trendwatch.query.fold`: Arabic yeh/kaf to Farsi yeh/keheh,
alef with madda to alef, ...) before any token filter runs, so most entries of `_persian_`
(آیا, دیگر, کجا, ...: every one spelled with ي or ك) could never match a token. The list is
therefore written out here and folded with the very same `fold` as the text.

Provenance and licence: `LUCENE_PERSIAN` is Apache Lucene's
`lucene/analysis/common/src/resources/org/apache/lucene/analysis/fa/stopwords.txt`, word for
word and in its order. Lucene's NOTICE says of it: "The Arabic,Persian,Romanian,Bulgarian,
Hindi and Bengali analyzers (common) come with a default stopword list that is BSD-licensed
created by Jacques Savoy." The file's own header, kept as its licence asks:

    # This file was created by Jacques Savoy and is distributed under the BSD license.
    # See http://members.unine.ch/jacques.savoy/clef/index.html.
    # Also see http://www.opensource.org/licenses/bsd-license.html

The BSD licence is compatible with trendwatch's Apache-2.0.
"""

from __future__ import annotations

from functools import cache

from trendwatch.query import fold, words

_LUCENE_PERSIAN_FILE = """
انان نداشته سراسر خياه ايشان وي تاكنون بيشتري دوم پس ناشي وگو يا داشتند سپس هنگام هرگز پنج نشان
امسال ديگر گروهي شدند چطور ده و دو نخستين ولي چرا چه وسط ه كدام قابل يك رفت هفت همچنين در هزار بله
بلي شايد اما شناسي گرفته دهد داشته دانست داشتن خواهيم ميليارد وقتيكه امد خواهد جز اورده شده بلكه
خدمات شدن برخي نبود بسياري جلوگيري حق كردند نوعي بعري نكرده نظير نبايد بوده بودن داد اورد هست جايي
شود دنبال داده بايد سابق هيچ همان انجا كمتر كجاست گردد كسي تر مردم تان دادن بودند سري جدا ندارند مگر
يكديگر دارد دهند بنابراين هنگامي سمت جا انچه خود دادند زياد دارند اثر بدون بهترين بيشتر البته به
براساس بيرون كرد بعضي گرفت توي اي ميليون او جريان تول بر مانند برابر باشيم مدتي گويند اكنون تا تنها
جديد چند بي نشده كردن كردم گويد كرده كنيم نمي نزد روي قصد فقط بالاي ديگران اين ديروز توسط سوم ايم
دانند سوي استفاده شما كنار داريم ساخته طور امده رفته نخست بيست نزديك طي كنيد از انها تمامي داشت يكي
طريق اش چيست روب نمايد گفت چندين چيزي تواند ام ايا با ان ايد ترين اينكه ديگري راه هايي بروز همچنان
پاعين كس حدود مختلف مقابل چيز گيرد ندارد ضد همچون سازي شان مورد باره مرسي خويش برخوردار چون خارج شش
هنوز تحت ضمن هستيم گفته فكر بسيار پيش براي روزهاي انكه نخواهد بالا كل وقتي كي چنين كه گيري نيست است
كجا كند نيز يابد بندي حتي توانند عقب خواست كنند بين تمام همه ما باشند مثل شد اري باشد اره طبق بعد
اگر صورت غير جاي بيش ريزي اند زيرا چگونه بار لطفا مي درباره من ديده همين گذاري برداري علت گذاشته هم
فوق نه ها شوند اباد همواره هر اول خواهند چهار نام امروز مان هاي قبل كنم سعي تازه را هستند زير جلوي
عنوان بود
"""
LUCENE_PERSIAN: tuple[str, ...] = tuple(_LUCENE_PERSIAN_FILE.split())
"""The words of Lucene's file, in its order."""


@cache
def persian_stop_words() -> tuple[str, ...]:
    """Lucene's Persian stop words folded like indexed text (`trendwatch.query.fold`), without
    repeats, sorted. Each is a single word as our tokenizer splits text (checked here)."""
    folded = sorted({fold(word) for word in LUCENE_PERSIAN})
    for word in folded:
        if words(word) != [word]:
            raise ValueError(f"Persian stop word {word!r} is not a single word after folding")
    return tuple(folded)
