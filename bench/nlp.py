"""NLP throughput and memory: posts per second on one core, and memory growth over a long run.

    python bench/nlp.py [--posts 200000] [--batch 500] [--string-budget 50000]

Posts are synthetic and tweet-length (our own generator: 30-160 characters, ~80 on average, half
Persian, half English, one or two brands each in several spellings, hashtags, @mentions, URLs
and emoji). Every post
carries a fresh @handle or URL slug some of the time, as real streams do, so spaCy's string store
keeps meeting new strings: that is what makes memory grow in a long-running worker unless the
pipeline is rebuilt (`--string-budget 0` turns rebuilding off to show the difference).

The enricher is the service's (`nlp.enricher.build_enricher` with the default `NlpConfig`), so
the sentiment component is included once `nlp.sentiment` is installed. One process = one core;
the service scales by running one enricher per worker process. Generation is not timed.
Throughput is given per CPU-second of this process (what one core does, unaffected by other
processes on a shared machine) and per wall-second (equal on an idle machine).

Targets (issue 4): >= 10,000 posts/s on one core; < 50 MB growth over 1,000,000 posts
(`--posts 1000000`).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import string
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from spacy.tokens import Doc

from nlp.enricher import STRING_BUDGET, PipelineEnricher, enrichment
from nlp.normalise import normalise
from nlp.pipeline import SENTIMENT_FACTORIES
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Post

BRANDS = [
    BrandConfig(name="Digikala", aliases=["دیجی‌کالا"], hashtags=["#digikala"], finglish=True),
    BrandConfig(name="Snappfood", aliases=["اسنپ فود", "Snapp Food"], finglish=True),
    BrandConfig(name="Torob", aliases=["ترب"]),
    BrandConfig(name="Nike", exclude=["nike greek goddess"]),
    BrandConfig(name="Time Warner", aliases=["Time Warner Cable"]),
]

EN_BRANDS = ["Digikala", "digikala", "Snapp Food", "Snappfood", "Nike", "NIKE", "Time Warner", "TimeWarner", "Torob"]
FA_BRANDS = ["دیجی‌کالا", "دیجی کالا", "ديجي كالا", "اسنپ فود", "اسنپ‌فود", "ترب", "نایکی"]
EN_OPEN = ["just", "honestly", "wow", "ugh", "so", "ok", "omg", "lol", "finally", "again", "today", "btw"]
EN_SUBJ = ["my order from", "the delivery by", "customer service at", "the new app of", "prices on", "the ad from"]
EN_VERB = ["was", "is", "looks", "feels", "seems", "has been", "got", "keeps being"]
EN_ADJ = ["great", "terrible", "sooooo slow", "amazing", "late again", "fine i guess", "not bad", "awful", "cheap"]
EN_BUT = ["but", "unlike", "while", "and", "same with", "whereas"]
EN_TAIL = ["never again", "love it", "what a joke", "highly recommend", "can't believe it", "thanks", "meh", ""]
FA_OPEN = ["امروز", "دیروز", "بازم", "واقعا", "راستش", "خب", "ای بابا", "وای"]
FA_SUBJ = ["سفارشم از", "پیک", "پشتیبانی", "اپلیکیشن جدید", "قیمت‌های", "تبلیغ"]
FA_VERB = ["خیلی", "اصلا", "یکم", "کاملا", "همیشه", "دوباره"]
FA_ADJ = ["عالی بود", "افتضاح بود", "دیر رسید", "خوب نبود", "ارزون بود", "کند شده", "خرابه", "بد نیست"]
FA_BUT = ["ولی", "اما", "برعکس", "و", "در حالی که"]
FA_TAIL = ["ممنون", "دیگه خرید نمی کنم", "پیشنهاد میکنم", "مرسی از همه", "چرا آخه", "۱۰ از ۱۰", ""]
HASHTAGS = ["#deal", "#sale", "#تخفیف", "#خرید_آنلاین", "#delivery", "#customer_service", "#بلک_فرایدی", "#fail"]
EMOJI = ["😍", "😡", "🔥", "👍🏽", "😂", "💔", "🙏", "👩\u200d💻", ""]


def synthetic_posts(n: int, seed: int = 7) -> Iterator[Post]:
    """n tweet-length posts, alternating Persian and English."""
    rnd = random.Random(seed)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    letters = string.ascii_lowercase + string.digits
    for i in range(n):
        pick = rnd.choice
        if i % 2:
            words = [pick(FA_OPEN), pick(FA_SUBJ), pick(FA_BRANDS), pick(FA_VERB), pick(FA_ADJ), pick(FA_TAIL)]
            if rnd.random() < 0.5:
                words[-1:-1] = [pick(FA_BUT), pick(FA_BRANDS), pick(FA_VERB), pick(FA_ADJ)]
        else:
            words = [pick(EN_OPEN), pick(EN_SUBJ), pick(EN_BRANDS), pick(EN_VERB), pick(EN_ADJ), pick(EN_TAIL)]
            if rnd.random() < 0.5:
                words[-1:-1] = [pick(EN_BUT), pick(EN_BRANDS), pick(EN_VERB), pick(EN_ADJ)]
        if rnd.random() < 0.5:
            words.append(pick(HASHTAGS))
        if rnd.random() < 0.3:
            words.insert(0, f"@user{rnd.randrange(1_000_000)}")
        if rnd.random() < 0.3:
            words.append("https://t.co/" + "".join(rnd.choices(letters, k=10)))
        words.append(pick(EMOJI))
        text = " ".join(w for w in words if w)
        yield Post(id=f"bench:{i}", platform="bench", source="bench", text=text, created_at=at)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000, help="posts to enrich (1,000,000 for the memory target)")
    parser.add_argument("--batch", type=int, default=500, help="posts per enricher call (the service's batch size)")
    parser.add_argument(
        "--string-budget", type=int, default=STRING_BUDGET, help="new strings before a rebuild; 0 = never rebuild"
    )
    parser.add_argument("--warmup", type=int, default=20_000, help="posts enriched before measuring")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # keep the table clean

    config = NlpConfig()
    enricher = PipelineEnricher(config, BRANDS, string_budget=args.string_budget or 10**15)
    sentiment = SENTIMENT_FACTORIES[config.sentiment]
    has_sentiment = sentiment in enricher.nlp.pipe_names

    sample = list(synthetic_posts(2_000, seed=1))
    chars = sum(len(p.text) for p in sample) / len(sample)
    tokens = sum(len(enricher.nlp.make_doc(p.text)) for p in sample) / len(sample)

    def batches(n: int, seed: int) -> Iterator[list[Post]]:
        stream = synthetic_posts(n, seed)
        while batch := [p for _, p in zip(range(args.batch), stream, strict=False)]:
            yield batch

    for batch in batches(args.warmup, seed=2):
        enricher(batch)
    stages = stage_times(enricher, sample)

    gc.collect()
    rss_start = rss_mb()
    busy = cpu = 0.0
    done = 0
    for batch in batches(args.posts, seed=3):
        t, c = time.perf_counter(), time.process_time()
        out = enricher(batch)
        busy += time.perf_counter() - t
        cpu += time.process_time() - c
        done += len(out)
    gc.collect()
    rss_end = rss_mb()

    print(f"trendwatch NLP benchmark: {done:,} synthetic posts, 50% Persian / 50% English, ", end="")
    print(f"{chars:.0f} chars and {tokens:.1f} tokens per post on average")
    print(f"pipeline: {' -> '.join(enricher.nlp.pipe_names)}", end="")
    print("" if has_sentiment else f"   (sentiment NOT included: {sentiment} is not installed)")
    rebuilds = f"rebuilt after every {args.string_budget:,} new strings" if args.string_budget else "never rebuilt"
    print(f"batch {args.batch}, pipeline {rebuilds} ({enricher.rebuilds} rebuilds in this run)")
    print()
    print(f"{'measure':<40}{'value':>14}")
    print(f"{'full enricher, posts per CPU-second':<40}{done / cpu:>14,.0f}")
    print(f"{'full enricher, posts per wall-second':<40}{done / busy:>14,.0f}")
    print(f"{'RSS after warm-up (MB)':<40}{rss_start:>14.1f}")
    print(f"{'RSS at the end (MB)':<40}{rss_end:>14.1f}")
    print(f"{'growth over the run (MB)':<40}{rss_end - rss_start:>14.1f}")
    print(f"{'peak RSS (MB)':<40}{peak_mb():>14.1f}")
    print()
    print(f"{'stage (on a 2,000-post sample)':<40}{'us/post':>14}")
    for stage, seconds in stages.items():
        print(f"{stage:<40}{seconds / len(sample) * 1e6:>14.1f}")


def stage_times(enricher: PipelineEnricher, posts: list[Post], rounds: int = 3) -> dict[str, float]:
    """Best-of-`rounds` seconds each stage takes over `posts` (run stage by stage)."""
    nlp = enricher.nlp
    texts = [p.text for p in posts]
    tokenizer = nlp.tokenizer.tokenizer  # type: ignore[union-attr]  # spaCy's, inside the normalising wrapper
    normalised = [normalise(t) for t in texts]
    times: dict[str, float] = {}

    def best(name: str, run: Callable[[], object]) -> None:
        times[name] = min(_timed(run) for _ in range(rounds))

    best("normalise", lambda: [normalise(t) for t in texts])
    best("tokenizer", lambda: [tokenizer(t) for t in normalised])
    docs = [nlp.make_doc(t) for t in texts]
    for name, proc in nlp.pipeline:  # each component sees docs the earlier ones have processed

        def run(proc: Callable[[Doc], Doc] = proc) -> object:
            return [proc(d) for d in docs]

        best(name, run)
    best("Enrichment objects", lambda: [enrichment(p, d) for p, d in zip(posts, docs, strict=True)])
    return times


def _timed(run: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


if __name__ == "__main__":
    main()
