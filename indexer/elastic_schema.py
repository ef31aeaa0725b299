"""What trendwatch keeps in Elasticsearch: names, analysis, mappings and the document shape.

Posts live in the `<prefix>-posts` data stream (document `_id` = post id) whose index template
carries the mappings and a data stream lifecycle (rollover is automatic; `data_retention` from
config). Alerts live in `<prefix>-alerts`, state in `<prefix>-state`. The document shape is the
contract with the Grafana dashboards (docs/ARCHITECTURE.md); `record` additionally keeps the
lossless JSON of the post (indexer.codec) so the store can give back exactly what it was given.

Text analysis mirrors the query language (trendwatch.query) so that a search means the same in
every backend: `title` and `text` use `tw_text` — the very character folding of
`trendwatch.query.fold` (generated from its table: letter variants, presentation forms, digits,
nonspacing marks), words as maximal runs of letters, digits and `_`, lower case, no stemming and
no stop words. Sub-fields `text.fa` (Persian stop words: Lucene's list folded the same way, see
`indexer.elastic_stopwords`; `_persian_` would not match text folded by us) and `text.en`
(English stop words and stemming) are not used by the store's own queries, which must match
exactly what SQLite matches; they are part of the documents' contract with the dashboards
(trendwatch/service/grafana/contract.py), for Lucene queries typed into Grafana.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from indexer import codec
from indexer.elastic_stopwords import persian_stop_words
from trendwatch.models import EnrichedPost
from trendwatch.query import FOLD_MAPPINGS

TEMPLATE_VERSION = 2
"""Bumped when the template below changes; sent as the template's `version`."""


@dataclass(frozen=True, slots=True)
class Names:
    """The Elasticsearch names for one configured prefix."""

    prefix: str

    @property
    def posts(self) -> str:
        return f"{self.prefix}-posts"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def state(self) -> str:
        return f"{self.prefix}-state"

    @property
    def template(self) -> str:
        return f"{self.prefix}-posts"


def _escape(ch: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else c for c in ch)


def fold_char_filter() -> dict[str, Any]:
    """`trendwatch.query.FOLD_MAPPINGS` as a `mapping` char filter (each rule `\\uXXXX=>...`)."""
    rules = [f"{_escape(k)}=>{_escape(v)}" for k, v in sorted(FOLD_MAPPINGS.items())]
    return {"type": "mapping", "mappings": rules}


def analysis() -> dict[str, Any]:
    folding = ["tw_fold", "tw_marks"]
    return {
        "char_filter": {
            "tw_fold": fold_char_filter(),
            "tw_marks": {"type": "pattern_replace", "pattern": "\\p{Mn}", "replacement": ""},
        },
        "tokenizer": {"tw_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}_]+"}},
        "filter": {
            "tw_fa_stop": {"type": "stop", "stopwords": list(persian_stop_words())},
            "tw_en_stop": {"type": "stop", "stopwords": "_english_"},
            "tw_en_stem": {"type": "stemmer", "language": "english"},
        },
        "analyzer": {
            "tw_text": {"type": "custom", "char_filter": folding, "tokenizer": "tw_words", "filter": ["lowercase"]},
            "tw_persian": {
                "type": "custom",
                "char_filter": folding,
                "tokenizer": "tw_words",
                "filter": ["lowercase", "tw_fa_stop"],
            },
            "tw_english": {
                "type": "custom",
                "char_filter": folding,
                "tokenizer": "tw_words",
                "filter": ["lowercase", "tw_en_stop", "tw_en_stem"],
            },
        },
    }


def _text() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "tw_text",
        "fields": {"fa": {"type": "text", "analyzer": "tw_persian"}, "en": {"type": "text", "analyzer": "tw_english"}},
    }


KEYWORD = {"type": "keyword"}


def post_mappings() -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "properties": {
            "@timestamp": {"type": "date"},
            "created_at": {"type": "date"},
            "id": KEYWORD,
            "platform": KEYWORD,
            "source": KEYWORD,
            "url": {"type": "keyword", "index": False},
            "title": _text(),
            "text": _text(),
            "lang": KEYWORD,
            "declared_lang": KEYWORD,
            "author": {
                "type": "object",
                "properties": {
                    "id": KEYWORD,
                    "handle": KEYWORD,
                    "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
                    "followers": {"type": "long"},
                },
            },
            "hashtags": KEYWORD,
            "hashtag_keys": KEYWORD,
            "mentions": KEYWORD,
            "topics": KEYWORD,
            "brands": KEYWORD,
            "sentiment": {"type": "float"},
            "sentiment_label": KEYWORD,
            "brand_sentiment": {
                "type": "nested",
                "properties": {"brand": KEYWORD, "score": {"type": "float"}, "label": KEYWORD},
            },
            "engagement": {
                "type": "object",
                "properties": {
                    "likes": {"type": "long"},
                    "reposts": {"type": "long"},
                    "replies": {"type": "long"},
                    "views": {"type": "long"},
                    "total": {"type": "long"},
                },
            },
            "raw": {"type": "object", "enabled": False},
            "record": {"type": "object", "enabled": False},
        },
    }


def posts_template(names: Names, retention: str | None, shards: int | None, replicas: int | None) -> dict[str, Any]:
    """Body of `PUT _index_template/<prefix>-posts`."""
    settings: dict[str, Any] = {"analysis": analysis()}
    if shards is not None:
        settings["number_of_shards"] = shards
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    template: dict[str, Any] = {"settings": settings, "mappings": post_mappings()}
    template["lifecycle"] = lifecycle(retention)
    return {
        "index_patterns": [f"{names.posts}*"],
        "data_stream": {},
        "priority": 200,
        "template": template,
        "version": TEMPLATE_VERSION,
        "_meta": {"trendwatch": {"managed": True, "docs": "docs/store.md"}},
    }


def lifecycle(retention: str | None) -> dict[str, Any]:
    """Body of `PUT _data_stream/<prefix>-posts/_lifecycle` (and the template's lifecycle)."""
    body: dict[str, Any] = {"enabled": True}
    if retention:
        body["data_retention"] = retention
    return body


def alerts_index() -> dict[str, Any]:
    """Body of `PUT <prefix>-alerts`."""
    return {
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "key": KEYWORD,
                "rule": KEYWORD,
                "kind": KEYWORD,
                "subject": KEYWORD,
                "metric": KEYWORD,
                "status": KEYWORD,
                "severity": KEYWORD,
                "direction": KEYWORD,
                "started_at": {"type": "date"},
                "at": {"type": "date"},
                "expected": {"type": "double"},
                "observed": {"type": "double"},
                "score": {"type": "double"},
                "z": {"type": "double"},
                "platform": KEYWORD,
                "lang": KEYWORD,
                "related": KEYWORD,
                "seq": {"type": "long"},
                "record": {"type": "object", "enabled": False},
            },
        }
    }


def state_index() -> dict[str, Any]:
    """Body of `PUT <prefix>-state`: one document per key (`_id` = key)."""
    return {
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "key": KEYWORD,
                "value": {"type": "object", "enabled": False},
                "updated_at": {"type": "date"},
            },
        }
    }


# --------------------------------------------------------------------------- documents

_WRAPPED = "__trendwatch_value__"
"""`raw` is an object field: a payload that is not a JSON object is kept under this key."""


def to_document(post: EnrichedPost) -> dict[str, Any]:
    """The shared document shape (docs/ARCHITECTURE.md) of a post."""
    p, e = post.post, post.enrichment
    record = orjson.loads(codec.dump_post(post))
    raw = record["post"].pop("raw", None)
    created = record["post"]["created_at"]
    author = p.author
    doc: dict[str, Any] = {
        "@timestamp": created,
        "created_at": created,
        "id": p.id,
        "platform": p.platform,
        "source": p.source,
        "url": p.url,
        "title": p.title,
        "text": p.text,
        "lang": e.lang,
        "declared_lang": p.lang,
        "author": (
            _compact({"id": author.id, "handle": author.handle, "name": author.name, "followers": author.followers})
            if author
            else None
        ),
        "hashtags": list(codec.hashtags_of(post)),
        "hashtag_keys": list(codec.searchable_hashtags(post)),
        "mentions": list(p.mentions),
        "topics": list(codec.topics_of(post)),
        "brands": list(e.brands),
        "sentiment": e.sentiment,
        "sentiment_label": e.sentiment_label,
        "brand_sentiment": [{"brand": b, "score": s, "label": lab} for b, s, lab in codec.brand_tones(e)],
        "engagement": _compact(
            {
                "likes": p.engagement.likes,
                "reposts": p.engagement.reposts,
                "replies": p.engagement.replies,
                "views": p.engagement.views,
                "total": codec.engagement_total(p),
            }
        ),
        "raw": raw if isinstance(raw, dict) else {_WRAPPED: raw} if raw is not None else None,
        "record": record,
    }
    return {k: v for k, v in doc.items() if v is not None}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def from_document(source: dict[str, Any]) -> EnrichedPost:
    """The post a document was made from (from its `record` and `raw`)."""
    record = source["record"]
    raw = source.get("raw")
    if isinstance(raw, dict) and set(raw) == {_WRAPPED}:
        raw = raw[_WRAPPED]
    record["post"]["raw"] = raw
    return codec.post_from_dict(record)


# --------------------------------------------------------------------------- deploy files


def deploy_files(names: Names, retention: str | None) -> dict[str, dict[str, Any]]:
    """The set-up bodies the store sends on open, as files for deploy/elasticsearch/:
    `PUT _index_template/<prefix>-posts`, `PUT _data_stream/<prefix>-posts/_lifecycle`,
    `PUT <prefix>-alerts`, `PUT <prefix>-state`."""
    return {
        "posts-index-template.json": posts_template(names, retention, None, None),
        "posts-lifecycle.json": lifecycle(retention),
        "alerts-index.json": alerts_index(),
        "state-index.json": state_index(),
    }


def write_deploy_files(directory: Path, names: Names, retention: str | None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in deploy_files(names, retention).items():
        path = directory / name
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
