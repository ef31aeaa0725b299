"""The embedded store's browsing queries: facets and post lists over filtered posts.

Both start from one *scope*: the posts of a window narrowed by a `PostFilter`. Without a brand
the scope is the `posts` table read through its time index; with one it is that brand's
`brand_facts` range (clustered by brand and time), joined to `posts`, and its tone is the
brand-specific one. Facets group the scope by a column of it (platform, language, author), by
the terms of its posts (`term_facts`, looked up by kind, time and post), or by the brands its
posts mention (one `brand_facts` lookup per brand: few brands, each a primary-key probe).

Pure functions of a read connection, like `indexer.sqlite_read`, which they build on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from indexer import codec
from indexer.sqlite_read import name_key
from indexer.sqlite_write import BRAND, HASHTAG, LANG, PLATFORM, TOPIC, micros
from indexer.store import Facet, FacetField, FacetOrder, PostFilter, PostOrder
from trendwatch.models import EnrichedPost

_ORDER: dict[str, str] = {
    "count": "c DESC",
    "authors": "a DESC, c DESC",
    "engagement": "e DESC, c DESC",
}
_RANK: dict[str, Callable[[Facet], tuple[Any, ...]]] = {
    "count": lambda f: (-f.count, f.value),
    "authors": lambda f: (-f.authors, -f.count, f.value),
    "engagement": lambda f: (-f.engagement, -f.count, f.value),
}
_AGGREGATES = "count(*) AS c, count(DISTINCT s.author) AS a, total(s.engagement) AS e"
_TONE = "total({t}.sentiment), total({t}.label < 0), total({t}.label > 0)"


class _Scope:
    """The filtered posts of a window as a SQL sub-select with columns post, ts, author,
    platform, lang, sentiment, label, engagement; `empty` when a filter value was never seen."""

    def __init__(self, db: sqlite3.Connection, since: datetime, until: datetime, where: PostFilter) -> None:
        self.empty = False
        args: list[Any] = []
        conditions: list[str] = []
        if where.brand is not None:
            brand = name_key(db, BRAND, where.brand)
            self.empty |= brand is None
            source = (
                "SELECT b.post AS post, b.ts AS ts, b.author AS author, b.platform AS platform, b.lang AS lang, "
                "b.sentiment AS sentiment, b.label AS label, p.engagement AS engagement "
                "FROM brand_facts b JOIN posts p ON p.rowid = b.post"
            )
            conditions.append("b.brand = ? AND b.ts >= ? AND b.ts < ?")
            args += [brand, micros(since), micros(until)]
            alias = "b"
        else:
            source = (
                "SELECT p.rowid AS post, p.created_at AS ts, p.author AS author, p.platform AS platform, "
                "p.lang AS lang, p.sentiment AS sentiment, p.label AS label, p.engagement AS engagement FROM posts p"
            )
            conditions.append("p.created_at >= ? AND p.created_at < ?")
            args += [micros(since), micros(until)]
            alias = "p"
        for column, kind, value in (("platform", PLATFORM, where.platform), ("lang", LANG, where.lang)):
            if value is not None:
                key = name_key(db, kind, value)
                self.empty |= key is None
                conditions.append(f"{alias}.{column} = ?")
                args.append(key)
        if where.tone is not None:
            conditions.append(f"{alias}.label = ?")
            args.append(codec.LABEL_VALUE[where.tone])
        self.sql = f"{source} WHERE {' AND '.join(conditions)}"
        self.args = args


def facets(
    db: sqlite3.Connection,
    field: FacetField,
    since: datetime,
    until: datetime,
    where: PostFilter,
    order: FacetOrder,
    limit: int,
) -> list[Facet]:
    scope = _Scope(db, since, until, where)
    if scope.empty or until <= since or limit <= 0:
        return []
    ranking = _ORDER[order]
    if field == "brand":
        return sorted(_brand_facets(db, scope), key=_RANK[order])[:limit]
    if field == "author":
        rows = db.execute(
            f"SELECT au.id, {_AGGREGATES}, {_TONE.format(t='s')}, au.handle FROM ({scope.sql}) s "
            f"JOIN authors au ON au.key = s.author GROUP BY s.author ORDER BY {ranking}, au.id LIMIT ?",
            [*scope.args, limit],
        )
        return [_facet(row[:-1], label=row[-1]) for row in rows]
    if field in ("platform", "lang"):
        rows = db.execute(
            f"SELECT n.name, {_AGGREGATES}, {_TONE.format(t='s')} FROM ({scope.sql}) s "
            f"JOIN names n ON n.key = s.{field} GROUP BY s.{field} ORDER BY {ranking}, n.name LIMIT ?",
            [*scope.args, limit],
        )
        return [_facet(row) for row in rows]
    kind = HASHTAG if field == "hashtag" else TOPIC
    rows = db.execute(
        f"SELECT n.name, {_AGGREGATES}, {_TONE.format(t='s')} FROM ({scope.sql}) s "
        "JOIN term_facts t ON t.kind = ? AND t.ts = s.ts AND t.post = s.post JOIN names n ON n.key = t.term "
        f"GROUP BY t.term ORDER BY {ranking}, n.name LIMIT ?",
        [*scope.args, kind, limit],
    )
    return [_facet(row) for row in rows]


def _brand_facets(db: sqlite3.Connection, scope: _Scope) -> list[Facet]:
    """Per brand, the scope's posts that mention it, with the tone about that brand."""
    out = []
    for key, name in db.execute("SELECT key, name FROM names WHERE kind = ?", (BRAND,)).fetchall():
        row = db.execute(
            f"SELECT ?, {_AGGREGATES}, {_TONE.format(t='m')} FROM ({scope.sql}) s "
            "JOIN brand_facts m ON m.brand = ? AND m.ts = s.ts AND m.post = s.post",
            [name, *scope.args, key],
        ).fetchone()
        if row[1]:
            out.append(_facet(row))
    return out


def _facet(row: Any, label: str | None = None) -> Facet:
    value, count, authors, engagement, sentiment, negative, positive = row
    return Facet(
        value=str(value),
        count=int(count),
        authors=int(authors),
        engagement=int(engagement),
        sentiment_sum=float(sentiment),
        negative=int(negative),
        positive=int(positive),
        label=label,
    )


def posts(
    db: sqlite3.Connection,
    since: datetime,
    until: datetime,
    where: PostFilter,
    order: PostOrder,
    limit: int,
    offset: int,
) -> list[EnrichedPost]:
    scope = _Scope(db, since, until, where)
    if scope.empty or until <= since or limit <= 0:
        return []
    ranking = "s.engagement DESC, s.ts DESC, p.id DESC" if order == "engagement" else "s.ts DESC, p.id DESC"
    rows = db.execute(
        f"SELECT p.doc FROM ({scope.sql}) s JOIN posts p ON p.rowid = s.post ORDER BY {ranking} LIMIT ? OFFSET ?",
        [*scope.args, limit, max(0, offset)],
    )
    return [codec.load_post(doc) for (doc,) in rows]
