"""A realistic synthetic week of social posts about a fictional brand and two competitors.

Persian and English posts about Kavehmart (the own brand), Parsamall and Shabdiz (competitors),
plus general shopping chatter that names no brand. Volume follows a daily rhythm in Tehran time
and a weekly one (quieter Thursday/Friday, the Iranian weekend), with Poisson noise. Authors come
from a fixed pool with Zipf-like activity. Brand names are written the ways people write them:
with a half-space, a space or nothing, with Arabic letter variants, as hashtags and handles.

One incident is injected: for a few evening hours near the end, a burst of angry posts about
Kavehmart (late orders, a suspected data leak) from many distinct authors, with its own hashtag.
Everything is deterministic for a given seed and end time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import floor_time

TEHRAN = ZoneInfo("Asia/Tehran")
HOUR = timedelta(hours=1)

# Posts per hour at the daily peak, per brand ("" = no brand named).
PEAK_RATE = {"Kavehmart": 16.0, "Parsamall": 11.0, "Shabdiz": 7.0, "": 6.0}
# Share of the daily peak by local (Tehran) hour.
DAILY = [0.35, 0.22, 0.14, 0.1, 0.1, 0.14, 0.25, 0.45, 0.7, 0.85, 0.92, 0.95,
         0.97, 0.93, 0.88, 0.88, 0.9, 0.95, 1.0, 1.0, 0.98, 0.9, 0.75, 0.55]  # fmt: skip
# Python weekday (Mon=0): Thursday and Friday are the Iranian weekend.
WEEKLY = [1.0, 1.0, 1.0, 0.95, 0.85, 0.75, 0.95]
PERSIAN_SHARE = 0.65
# Extra angry posts per hour about the own brand, hour by hour: a crisis rises fast and fades.
INCIDENT_RATES = (45.0, 110.0, 80.0, 40.0)
INCIDENT_HOURS = len(INCIDENT_RATES)
INCIDENT_HASHTAG = "کاوه_مارت_پاسخگو_باش"


@dataclass(frozen=True, slots=True)
class DemoBrand:
    name: str
    aliases: tuple[str, ...]
    handles: tuple[str, ...]
    hashtags: tuple[str, ...]
    spellings_fa: tuple[str, ...]
    spellings_en: tuple[str, ...]


BRANDS = (
    DemoBrand(
        "Kavehmart",
        aliases=("کاوه‌مارت", "Kaveh Mart"),
        handles=("@kavehmart",),
        hashtags=("#کاوه_مارت", "#kavehmart"),
        spellings_fa=("کاوه‌مارت", "کاوه مارت", "کاوه‌مارت", "كاوه مارت", "کاوهمارت", "#کاوه_مارت", "@kavehmart"),
        spellings_en=("Kavehmart", "Kaveh Mart", "KAVEHMART", "#kavehmart", "@kavehmart"),
    ),
    DemoBrand(
        "Parsamall",
        aliases=("پارسامال", "Parsa Mall"),
        handles=("@parsamall",),
        hashtags=("#پارسامال", "#parsamall"),
        spellings_fa=("پارسامال", "پارسا مال", "پارسا‌مال", "#پارسامال", "@parsamall"),
        spellings_en=("Parsamall", "Parsa Mall", "#parsamall", "@parsamall"),
    ),
    DemoBrand(
        "Shabdiz",
        aliases=("شبدیز",),
        handles=("@shabdiz_shop",),
        hashtags=("#شبدیز",),
        spellings_fa=("شبدیز", "شبديز", "#شبدیز", "@shabdiz_shop"),
        spellings_en=("Shabdiz", "SHABDIZ", "@shabdiz_shop"),
    ),
)

TEMPLATES_FA = {
    "positive": [
        "سفارشم از {b} خیلی سریع رسید، واقعا راضی‌ام",
        "{b} بهترین قیمت رو برای گوشی داشت، ممنون",
        "پشتیبانی {b} عالی بود و مشکلم همون روز حل شد",
        "از خرید امروزم از {b} خیلی خوشحالم 😍",
        "تخفیف‌های {b} این هفته فوق‌العاده است",
    ],
    "neutral": [
        "کسی از {b} لپ‌تاپ خریده؟ تجربه‌تون چطور بود؟",
        "{b} امروز حراج ساعت ۱۸ داره",
        "قیمت این هدفون تو {b} چنده؟",
        "دارم بین {b} و جاهای دیگه مقایسه می‌کنم",
        "آپدیت جدید اپلیکیشن {b} منتشر شد",
    ],
    "negative": [
        "ارسال {b} این بار خیلی کند بود",
        "از پشتیبانی {b} راضی نیستم، جواب نمی‌دن",
        "کالای {b} با عکسش فرق داشت 😞",
        "هزینه ارسال {b} خیلی گرون شده",
    ],
}
TEMPLATES_EN = {
    "positive": [
        "Got my order from {b} in one day, really impressed",
        "{b} had the best price on headphones, love it",
        "Great support from {b} today, problem solved fast",
        "{b} deals this week are amazing 😍",
    ],
    "neutral": [
        "Anyone bought a laptop from {b}? How was it?",
        "{b} has a flash sale at 6pm",
        "Comparing prices between {b} and others",
        "New {b} app update is out",
    ],
    "negative": [
        "{b} delivery was slow again",
        "Not happy with {b} support, no reply for days",
        "The item from {b} looked nothing like the photo 😞",
    ],
}
CHATTER_FA = [
    "بهترین سایت برای خرید لوازم خانگی کدومه؟",
    "امروز کلی خرید اینترنتی کردم",
    "قیمت‌ها این ماه خیلی بالا رفته",
    "کسی کد تخفیف داره؟",
]
CHATTER_EN = [
    "What is the best place to buy a phone online?",
    "Online shopping is getting expensive",
    "Anyone have a discount code?",
    "Waiting for my parcels like",
]
INCIDENT_FA = [
    "سفارشم دو هفته است نرسیده و {b} هیچ جوابی نمی‌ده! #{tag}",
    "اطلاعات کارت بانکی‌ام از {b} لو رفته؟ چرا توضیح نمی‌دید؟ #{tag}",
    "دیگه هیچ‌وقت از {b} خرید نمی‌کنم، افتضاحه #{tag}",
    "پولم رو گرفتن و کالا رو نفرستادن، {b} کلاهبرداری؟ #{tag}",
    "پشتیبانی {b} تلفن رو جواب نمی‌ده، خیلی بده #{tag}",
]
INCIDENT_EN = [
    "Did {b} leak my card details?! Terrible, no explanation #KavehmartLeak",
    "Two weeks and still no order from {b}, awful service #KavehmartLeak",
    "Never buying from {b} again, worst experience #KavehmartLeak",
]
HASHTAGS_FA = ["خرید_آنلاین", "تخفیف", "حراج", "ارسال_رایگان", "جمعه_سیاه"]
HASHTAGS_EN = ["onlineshopping", "deals", "BlackFriday", "ecommerce"]
NEWS_TITLES = {
    "Kavehmart": ["کاوه‌مارت از گسترش انبارهای خود خبر داد", "Kavehmart reports record sales week"],
    "Parsamall": ["پارسامال ارسال رایگان را به شهرهای جدید برد", "Parsa Mall launches same-day delivery"],
    "Shabdiz": ["شبدیز اپلیکیشن تازه‌ای منتشر کرد", "Shabdiz opens a new fulfilment centre"],
}
INCIDENT_NEWS = [
    "گزارش‌ها از نشت احتمالی اطلاعات مشتریان کاوه‌مارت",
    "Customers report delays and a possible data leak at Kavehmart",
]
SENTIMENT_MIX = {"Kavehmart": (0.5, 0.32, 0.18), "Parsamall": (0.45, 0.35, 0.2), "Shabdiz": (0.4, 0.4, 0.2)}


@dataclass(frozen=True, slots=True)
class DemoAuthor:
    id: str
    handle: str
    name: str
    followers: int


@dataclass(frozen=True, slots=True)
class DemoPost:
    """One synthetic post, before any platform's wire format."""

    seq: int
    platform: str  # "mastodon" | "rss"
    created_at: datetime
    author: DemoAuthor
    text: str
    lang: str
    hashtags: tuple[str, ...]
    brand: str
    mood: str
    incident: bool
    likes: int
    reposts: int
    replies: int
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Stream:
    posts: tuple[DemoPost, ...]
    start: datetime
    end: datetime
    incident_start: datetime
    incident_end: datetime

    def by_platform(self, platform: str) -> list[DemoPost]:
        return [p for p in self.posts if p.platform == platform]


def _authors(rng: random.Random, count: int = 900) -> list[DemoAuthor]:
    first_fa = ["علی", "مریم", "رضا", "سارا", "حسین", "نگار", "امیر", "زهرا", "مهدی", "الهام"]
    first_en = ["Sam", "Dana", "Alex", "Nima", "Sara", "Omid", "Lena", "Arash", "Mina", "Kian"]
    out = []
    for i in range(count):
        persian = i % 3 != 0
        name = rng.choice(first_fa if persian else first_en) + ("" if persian else f" {chr(65 + i % 26)}.")
        followers = int(rng.paretovariate(1.2) * 40)
        out.append(DemoAuthor(id=str(10_000 + i), handle=f"user{i:03d}", name=name, followers=followers))
    return out


def _zipf_weights(count: int, exponent: float = 0.8) -> list[float]:
    """Cumulative Zipf weights: a few very active accounts, a long tail of occasional ones."""
    total, out = 0.0, []
    for rank in range(1, count + 1):
        total += rank**-exponent
        out.append(total)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small means used here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _mood(rng: random.Random, brand: str) -> str:
    pos, neu, _ = SENTIMENT_MIX.get(brand, (0.3, 0.6, 0.1))
    roll = rng.random()
    return "positive" if roll < pos else "neutral" if roll < pos + neu else "negative"


def generate(end: datetime, *, days: int = 7, seed: int = 7, scale: float = 1.0) -> Stream:
    """The stream of `days` days ending at `end` (floored to the hour)."""
    rng = random.Random(seed)
    authors = _authors(rng)
    end = floor_time(end, HOUR)
    start = end - timedelta(days=days)
    # The incident starts at 19:00 Tehran time on the last full day before `end`.
    local_end = end.astimezone(TEHRAN)
    incident_local = (local_end - timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
    if incident_local + INCIDENT_HOURS * HOUR > local_end - 2 * HOUR:
        incident_local -= timedelta(days=1)
    incident_start = floor_time(incident_local, HOUR)
    incident_end = incident_start + INCIDENT_HOURS * HOUR
    by_name = {b.name: b for b in BRANDS}
    weights = _zipf_weights(len(authors))

    def author() -> DemoAuthor:
        return rng.choices(authors, cum_weights=weights)[0]

    posts: list[DemoPost] = []

    def add(**fields: object) -> None:
        posts.append(DemoPost(seq=len(posts), **fields))  # type: ignore[arg-type]

    hour = start
    while hour < end:
        local = hour.astimezone(TEHRAN)
        rhythm = DAILY[local.hour] * WEEKLY[local.weekday()]
        for brand, peak in PEAK_RATE.items():
            for _ in range(_poisson(rng, peak * rhythm * scale)):
                when = hour + timedelta(seconds=rng.randrange(3600))
                persian = rng.random() < PERSIAN_SHARE
                mood = _mood(rng, brand)
                if brand:
                    spec = by_name[brand]
                    spelled = rng.choice(spec.spellings_fa if persian else spec.spellings_en)
                    text = rng.choice((TEMPLATES_FA if persian else TEMPLATES_EN)[mood]).format(b=spelled)
                else:
                    text = rng.choice(CHATTER_FA if persian else CHATTER_EN)
                tags = tuple(rng.sample(HASHTAGS_FA if persian else HASHTAGS_EN, k=rng.choice((0, 0, 1, 1, 2))))
                if tags:
                    text += " " + " ".join(f"#{t}" for t in tags)
                add(
                    platform="mastodon", created_at=when, author=author(), text=text,
                    lang="fa" if persian else "en", hashtags=tags, brand=brand, mood=mood, incident=False,
                    likes=_poisson(rng, 3), reposts=_poisson(rng, 0.8), replies=_poisson(rng, 0.6),
                )  # fmt: skip
        if local.hour == 10:  # one news article per brand per day, in the morning
            for brand, titles in NEWS_TITLES.items():
                persian = rng.random() < 0.6
                title = titles[0] if persian else titles[1]
                add(
                    platform="rss", created_at=hour + timedelta(minutes=rng.randrange(60)),
                    author=DemoAuthor("newsroom", "newsroom", "Tejarat News", 0), text=title, title=title,
                    lang="fa" if persian else "en", hashtags=(), brand=brand, mood="neutral", incident=False,
                    likes=0, reposts=0, replies=0,
                )  # fmt: skip
        if incident_start <= hour < incident_end:
            spec = by_name["Kavehmart"]
            angry_authors = rng.sample(authors[60:], k=len(authors) - 60)
            rate = INCIDENT_RATES[int((hour - incident_start) / HOUR)]
            for i in range(_poisson(rng, rate * scale)):
                persian = rng.random() < 0.75
                spelled = rng.choice(spec.spellings_fa if persian else spec.spellings_en[:3])
                template = rng.choice(INCIDENT_FA if persian else INCIDENT_EN)
                text = template.format(b=spelled, tag=INCIDENT_HASHTAG)
                tag = INCIDENT_HASHTAG if persian else "KavehmartLeak"
                add(
                    platform="mastodon", created_at=hour + timedelta(seconds=rng.randrange(3600)),
                    author=angry_authors[i % len(angry_authors)], text=text, lang="fa" if persian else "en",
                    hashtags=(tag,), brand="Kavehmart", mood="negative", incident=True,
                    likes=_poisson(rng, 12), reposts=_poisson(rng, 6), replies=_poisson(rng, 3),
                )  # fmt: skip
            if hour == incident_start + HOUR:
                for title in INCIDENT_NEWS:
                    add(
                        platform="rss", created_at=hour + timedelta(minutes=20),
                        author=DemoAuthor("newsroom", "newsroom", "Tejarat News", 0), text=title, title=title,
                        lang="fa" if title == INCIDENT_NEWS[0] else "en", hashtags=(), brand="Kavehmart",
                        mood="negative", incident=True, likes=0, reposts=0, replies=0,
                    )  # fmt: skip
        hour += HOUR
    posts.sort(key=lambda p: (p.created_at, p.seq))
    return Stream(tuple(posts), start, end, incident_start, incident_end)


def as_post(post: DemoPost, source: str = "synthetic") -> Post:
    """The `Post` a source would have mapped from this synthetic post (for benchmarks and tests)."""
    from trendwatch.service.demo.server import status_id

    return Post(
        id=f"{post.platform}:{status_id(post)}",
        platform=post.platform,
        source=source,
        text=post.text,
        title=post.title,
        created_at=post.created_at,
        author=Author(
            id=post.author.id, handle=post.author.handle, name=post.author.name, followers=post.author.followers
        ),
        lang=post.lang,
        hashtags=post.hashtags,
        engagement=Engagement(likes=post.likes, reposts=post.reposts, replies=post.replies),
    )
