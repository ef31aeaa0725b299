"""Settings of the Python runtime for the `trendwatch` process (applied once, at start).

Garbage collection. CPython's cyclic collector runs a full collection, a pass over every
tracked object in the process, once ten middle-generation collections have passed and the
objects promoted to the oldest generation have grown by a quarter since the last full one.
Ingest allocates posts in batches that stay alive through two young collections (enriched,
then stored), so nearly every batch counts as long-lived and buys a full pass: measured at
15-20% of the embedded store's insert time (`bench/store.py`, collector on defaults vs off).
Our objects are freed by reference counting and the cycles we make die young, in the young
collections, which stay as they are; only full collections are made a hundred times rarer,
which still bounds what cyclic garbage can hold. (The NLP workers are unaffected by this
setting: `bench/nlp.py` measures the same either way, so they keep the defaults.)
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (700, 10, 1000)
"""Young and middle generations as CPython's defaults; full collections 100x rarer (default 10)."""


def tune_gc() -> None:
    """Apply `GC_THRESHOLDS` to this process."""
    gc.set_threshold(*GC_THRESHOLDS)
