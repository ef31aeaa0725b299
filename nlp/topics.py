"""Hashtags and key phrases: what a post is about, in terms the store can count.

`doc._.hashtags` — the post's hashtags in one comparable form (`hashtag_text`: no `#`,
lower-case; Persian words joined by `_`, Latin separators dropped), each once. Variants merge:
`#Brand` and `#brand` by case, `#BlackFriday` and `#black_friday` by separator,
`#دیجی_کالا` and `#دیجی‌کالا` by joiner, and any hashtag that names a configured brand
(`#برند`, `#Brand`, `#brand_name` for a brand "Brand" with those aliases) becomes that brand's
tag, so a brand's hashtags count as one.

`doc._.topics` — key phrases: the 1-, 2- and 3-grams of content words, in order of appearance,
each once, at most `MAX_TOPICS`, for Persian and English posts. A content word has a letter
or digit, at least two characters, is not a Persian or English stop word (nlp/data), a number,
a URL, an @mention, a hashtag or an emoji, and is not part of a brand mention (brands have
their own series). Phrases never cross
punctuation, stop words or a brand mention, so "the new Nike Air shoes" gives "air", "shoes",
"air shoes".

The store counts these per time bucket and by unique authors; that is what emerging-topic
detection reads. `TermCounter` does the same count in memory (used by `trendwatch enrich`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.attrs import ORTH  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.tokens import Doc

from nlp import extensions as ext
from nlp.normalise import ZWNJ
from nlp.stopwords import is_stop
from nlp.tokens import HASHTAG_IN_TEXT, hashtag_text
from trendwatch.models import Enrichment, TermCount

MAX_TOPICS = 24
KEY_PHRASE_LANGUAGES = frozenset({"fa", "en"})
"""Languages with stop-word lists; posts in others get hashtags but no key phrases."""
MAX_NGRAM = 3
_JOINERS = str.maketrans({ZWNJ: None, "'": None, "&": None, "-": None})


def is_topic_word(word: str) -> bool:
    """Whether a token can be part of a key phrase (runs once per lexeme)."""
    if len(word) < 2 or not word[0].isalnum() or word.isdigit():
        return False
    if not word.translate(_JOINERS).isalnum():
        return False
    return not is_stop(word)


def key_phrases(words: list[str | None], limit: int = MAX_TOPICS) -> list[str]:
    """1..MAX_NGRAM-grams of consecutive content words; None marks a break."""
    out: dict[str, None] = {}
    run: list[str] = []
    for word in [*words, None]:
        if word is not None:
            run.append(word)
            continue
        for n in range(1, min(MAX_NGRAM, len(run)) + 1):
            for i in range(len(run) - n + 1):
                out[" ".join(run[i : i + n])] = None
        run = []
    return list(out)[:limit]


class TopicExtractor:
    """spaCy component: sets `doc._.hashtags` and `doc._.topics`.

    Which words are content words is decided once per distinct word and remembered by its
    string id (`_words`, as large as the vocabulary and rebuilt with it), so a post costs one
    array of ids and a dictionary lookup per token instead of a spaCy Token object per token.
    """

    def __init__(self, nlp: Language) -> None:
        self._strings = nlp.vocab.strings
        self._words: dict[int, str | None] = {}

    def _word(self, orth: int) -> str | None:
        text = self._strings[orth]
        word = text.lower() if is_topic_word(text) else None
        self._words[orth] = word
        return word

    def __call__(self, doc: Doc) -> Doc:
        mentions = ext.mentions(doc)
        text = ext.text(doc)
        tags: dict[str, None] = {}
        if "#" in text:
            for match in HASHTAG_IN_TEXT.finditer(text):
                at = match.start()
                brand = next((m[0] for m in mentions if m[3] <= at < m[4]), None)
                tags[hashtag_text(brand if brand is not None else match.group())] = None
        ext.put(doc, ext.HASHTAGS, tuple(tags))
        if ext.get(doc, ext.LANG) in KEY_PHRASE_LANGUAGES:
            known, learn = self._words, self._word
            words = [known[o] if o in known else learn(o) for o in doc.to_array(ORTH).tolist()]
            for _, start, end, _, _ in mentions:
                words[start:end] = [None] * (end - start)
            ext.put(doc, ext.TOPICS, tuple(key_phrases(words)))
        return doc


@Language.factory(
    "trendwatch_topics",
    requires=["doc.spans", f"doc._.{ext.LANG}"],
    assigns=[f"doc._.{ext.HASHTAGS}", f"doc._.{ext.TOPICS}"],
)
def make_topic_extractor(nlp: Language, name: str) -> TopicExtractor:
    return TopicExtractor(nlp)


@dataclass
class TermCounter:
    """Counts hashtags and topics over many enrichments, with unique authors per term."""

    hashtags: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    _authors: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, enrichment: Enrichment, author: str | None = None) -> None:
        for kind, terms in (("hashtag", enrichment.hashtags), ("topic", enrichment.topics)):
            counter = self.hashtags if kind == "hashtag" else self.topics
            counter.update(terms)
            if author is not None:
                for term in terms:
                    self._authors[kind, term].add(author)

    def top(self, kind: str, n: int = 10) -> list[TermCount]:
        counter = self.hashtags if kind == "hashtag" else self.topics
        return [
            TermCount(term, count, len(self._authors.get((kind, term), ()))) for term, count in counter.most_common(n)
        ]

    def extend(self, items: Iterable[tuple[Enrichment, str | None]]) -> None:
        for enrichment, author in items:
            self.add(enrichment, author)
