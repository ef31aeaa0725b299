"""Every store backend, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from indexer.elastic import ElasticStore
from indexer.sqlite import SqliteStore
from trendwatch.registry import Registry

STORES: Registry[Any] = Registry("store")
STORES.register("sqlite", SqliteStore)
STORES.register("elasticsearch", ElasticStore)
