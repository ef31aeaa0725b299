"""The service-facing contract of nlp.enricher: one Enrichment per post, in order, never
raising for one bad post, flat memory through periodic rebuilds."""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from nlp.enricher import ENRICH_FAILURES, PipelineEnricher, build_enricher, post_text
from tests.nlp.conftest import post
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Enrichment

BRANDS = [
    BrandConfig(name="Digikala", aliases=["دیجی‌کالا"]),
    BrandConfig(name="Snapp", aliases=["اسنپ"]),
]


@pytest.fixture(scope="module")
def enricher() -> PipelineEnricher:
    built = build_enricher(NlpConfig(), BRANDS)
    assert isinstance(built, PipelineEnricher)
    return built


def test_one_enrichment_per_post_in_order(enricher: PipelineEnricher) -> None:
    texts = ["سفارشم از دیجی کالا دیر رسید #دیجی_کالا", "Snapp was late again", "", "just text"]
    out = enricher([post(t, i) for i, t in enumerate(texts)])
    assert [e.post_id for e in out] == ["test:0", "test:1", "test:2", "test:3"]
    assert all(isinstance(e, Enrichment) for e in out)
    first, second, empty, _ = out
    assert (first.lang, first.brands, first.hashtags) == ("fa", ("Digikala",), ("digikala",))
    assert first.mentions[0].text == "دیجی کالا"
    assert first.text[first.mentions[0].start : first.mentions[0].end] == "دیجی کالا"
    assert (second.lang, second.brands) == ("en", ("Snapp",))
    assert (empty.lang, empty.brands, empty.text) == ("other", (), "")


def test_enrichment_text_is_normalised(enricher: PipelineEnricher) -> None:
    (e,) = enricher([post("علي  مي خواهد ۱۲ تا")])
    assert e.text == "علی می\u200cخواهد 12 تا"


def test_empty_batch(enricher: PipelineEnricher) -> None:
    assert enricher([]) == []


def test_title_is_read_with_the_text() -> None:
    assert post_text(post("body", title="Digikala raises prices")) == "Digikala raises prices\nbody"
    assert post_text(post("Digikala raises prices today", title="Digikala raises prices")) == (
        "Digikala raises prices today"
    )


class _Exploding:
    """A component that fails on one kind of post, like a buggy plugin would."""

    def __call__(self, doc: Doc) -> Doc:
        if "boom" in doc.text:
            raise ValueError("cannot handle this post")
        return doc


@Language.component("test_exploding")
def _exploding(doc: Doc) -> Doc:
    return _Exploding()(doc)


def test_one_bad_post_does_not_fail_the_batch() -> None:
    enricher = PipelineEnricher(NlpConfig(), BRANDS)
    enricher.nlp.add_pipe("test_exploding")
    before = ENRICH_FAILURES.labels(reason="ValueError")._value.get()
    out = enricher([post("Snapp ok", 0), post("boom Snapp", 1), post("دیجی‌کالا", 2)])
    assert [e.post_id for e in out] == ["test:0", "test:1", "test:2"]
    assert out[0].brands == ("Snapp",)
    assert (out[1].lang, out[1].brands, out[1].sentiment_label, out[1].text) == ("other", (), "neutral", "boom Snapp")
    assert out[2].brands == ("Digikala",)
    assert ENRICH_FAILURES.labels(reason="ValueError")._value.get() == before + 1


def test_pipeline_is_rebuilt_after_enough_posts() -> None:
    enricher = PipelineEnricher(NlpConfig(), BRANDS, rebuild_every=3)
    first: Any = enricher.nlp
    enricher([post(f"word{i} Snapp", i) for i in range(3)])
    assert enricher.nlp is first
    out = enricher([post("Snapp again", 9)])
    assert enricher.nlp is not first
    assert out[0].brands == ("Snapp",)
    assert "word1" not in enricher.nlp.vocab.strings
