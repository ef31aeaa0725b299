"""Fixtures for the NLP tests: pipelines are built once per module (a build takes ~0.1 s)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from spacy.language import Language

from nlp.pipeline import blank, build_pipeline
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Post

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tokenizer() -> Callable[[str], list[str]]:
    """Normalise + tokenise, returning the token texts."""
    nlp = blank()

    def tokens(text: str) -> list[str]:
        return [t.text for t in nlp.make_doc(text)]

    return tokens


def pipeline(brands: Sequence[BrandConfig] = ()) -> Language:
    return build_pipeline(NlpConfig(), list(brands))


def post(text: str, n: int = 0, title: str | None = None) -> Post:
    return Post(id=f"test:{n}", platform="test", source="tests", text=text, title=title, created_at=NOW)
