"""The Enricher protocol and its factory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Enrichment, Post


class Enricher(Protocol):
    def __call__(self, posts: Sequence[Post]) -> list[Enrichment]:
        """One Enrichment per post, in the same order. Never raises for one bad post."""
        ...


def build_enricher(config: NlpConfig, brands: Sequence[BrandConfig]) -> Enricher:
    raise NotImplementedError("the NLP pipeline lands with the walking skeleton")
