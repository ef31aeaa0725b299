"""Our own generated labelled posts for the textcat and command tests (never the shared data).

The sentiment is carried by invented words no lexicon knows ("glimmy" praises, "blorky"
complains; in Persian "شیلوک" and "ترمیز"), so a model that gets these right has learnt from
the training rows, not from the lexicon.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

EN_SUBJECTS = ["the app", "my order", "the courier", "this phone", "the update", "support", "the store", "delivery"]
EN_POSITIVE = ["glimmy", "so glimmy", "totally glimmy", "glimmy as always", "really glimmy today"]
EN_NEGATIVE = ["blorky", "so blorky", "totally blorky", "blorky again", "really blorky today"]
EN_NEUTRAL = ["arrives at {n}", "opens at {n} tomorrow", "costs {n} dollars", "has version {n}", "is on page {n}"]

FA_SUBJECTS = ["غذا", "پیک", "سفارش", "بسته", "پیتزا", "نوشابه", "برنامه", "فروشگاه"]
FA_POSITIVE = ["شیلوک بود", "خیلی شیلوک بود", "مثل همیشه شیلوک", "واقعا شیلوک"]
FA_NEGATIVE = ["ترمیز بود", "خیلی ترمیز بود", "باز هم ترمیز", "واقعا ترمیز"]


def english(count: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        subject = rng.choice(EN_SUBJECTS)
        kind = ("positive", "negative", "neutral")[i % 3]
        if kind == "positive":
            text = f"{subject} is {rng.choice(EN_POSITIVE)}"
        elif kind == "negative":
            text = f"{subject} is {rng.choice(EN_NEGATIVE)}"
        else:
            text = f"{subject} {rng.choice(EN_NEUTRAL).format(n=rng.randint(1, 99))}"
        rows.append((text, kind))
    return rows


def persian(count: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        kind = ("positive", "negative")[i % 2]
        phrase = rng.choice(FA_POSITIVE if kind == "positive" else FA_NEGATIVE)
        rows.append((f"{rng.choice(FA_SUBJECTS)} {phrase}", kind))
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]], text_col: str = "text", label_col: str = "label") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([text_col, label_col])
        writer.writerows(rows)
    return path
