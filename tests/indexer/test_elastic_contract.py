"""Every request body the Elasticsearch store can build validates against Elastic's OpenAPI
specification (../shared/contracts/elasticsearch; skipped with the reason when absent), and the
files in deploy/elasticsearch/ are exactly what the store sends."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from indexer import elastic_requests as req
from indexer import elastic_schema as schema
from indexer.elastic_query import compile_query
from indexer.elastic_requests import Request
from indexer.elastic_stopwords import LUCENE_PERSIAN, persian_stop_words
from tests.indexer import es_contract
from tests.indexer.factory import T0, at, make
from trendwatch.models import Alert, SeriesQuery
from trendwatch.query import FOLD_MAPPINGS, fold, parse

NAMES = schema.Names("trendwatch")
DAY = timedelta(days=1)
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "elasticsearch"

QUERIES = [
    "late",
    '"very late delivery"',
    "دیجی‌کالا",
    "refund*",
    "delivery NEAR/3 late",
    '(late OR "very slow") NEAR/0 deliver*',
    "a AND b OR c",
    "NOT spam",
    "late NOT (spam OR #ad)",
    "lang:fa platform:telegram",
    'brand:"Snapp Shop" author:@ali',
    "#تخفیف OR #sale",
    "(a OR b) (c OR NOT d)",
]


def _alert() -> Alert:
    return Alert(
        rule="spike", kind="brand", subject="Digikala", metric="posts", status="open", severity="warning",
        direction="up", started_at=T0, at=at(60), expected=2.0, observed=9.0, score=0.9, z=3.1, lang="fa",
    )  # fmt: skip


def every_request() -> list[tuple[str, Request]]:
    """(label, request) for every shape the store sends."""
    out: list[tuple[str, Request]] = [
        ("template", req.put_template(NAMES, "365d", 1, 1)),
        ("template, serverless defaults", req.put_template(NAMES, None, None, None)),
        ("create data stream", req.create_data_stream(NAMES)),
        ("lifecycle", req.put_lifecycle(NAMES, "30d")),
        ("lifecycle without retention", req.put_lifecycle(NAMES, None)),
        ("alerts index", req.create_index(NAMES.alerts, schema.alerts_index())),
        ("state index", req.create_index(NAMES.state, schema.state_index())),
        ("refresh", req.refresh(NAMES)),
        ("refresh posts", req.refresh_posts(NAMES)),
        ("locate", req.locate(NAMES, ["mastodon:1", "bluesky:at://x/y"])),
        ("get posts", req.get_posts(NAMES, ["mastodon:1"])),
        ("count, all", req.count(NAMES, None, None)),
        ("count, window", req.count(NAMES, T0, T0 + DAY)),
        ("delete posts", req.delete_posts_before(NAMES, T0)),
        ("scan, first page", req.scan_posts(NAMES, None, None, 500)),
        ("scan, next page", req.scan_posts(NAMES, T0, [1795132800000, "mastodon:1"], 500)),
        ("get state", req.get_state(NAMES, "cursor:news feed/1")),
        ("put state", req.put_state(NAMES, "outbox:webhook:1", {"alert": [1, "x"], "n": None}, T0)),
        ("delete state", req.delete_state(NAMES, "outbox:webhook:1")),
        ("states", req.states(NAMES, "outbox:")),
        ("alerts", req.alerts(NAMES, None, None, 200)),
        ("alerts, filtered", req.alerts(NAMES, T0, "resolved", 10)),
        ("delete alerts", req.delete_alerts_before(NAMES, T0)),
    ]
    alert = _alert()
    out.append(("record alert", req.record_alert(NAMES, alert, json.loads(json.dumps({"rule": "spike"})), 1)))
    posts = [
        make(1, "Digikala late", brands=["Digikala"], hashtags=["#late"], brand_sentiment={"Digikala": -0.7}, likes=3),
        make(2, "no author", author=None, raw=["not", "an", "object"], title="T", topics=["delivery"]),
    ]
    lines: list[dict[str, Any]] = []
    for post in posts:
        lines += [req.create_line(NAMES, post.id), schema.to_document(post)]
    found = req.Location(".ds-trendwatch-posts-2026.11.20-000001", seq_no=41, primary_term=1)
    lines += [req.index_line(found, "mastodon:1"), schema.to_document(posts[0])]
    out.append(("bulk", req.bulk(lines, None)))
    out.append(("bulk, wait_for", req.bulk(lines, "wait_for")))
    for kind in ("brand", "hashtag", "topic"):
        for subject in (None, "#Late" if kind == "hashtag" else "Digikala"):
            for narrow in ({}, {"platform": "telegram", "lang": "fa"}):
                query = SeriesQuery(kind=kind, step=timedelta(minutes=5), limit=7, **narrow)  # type: ignore[arg-type]
                out.append((f"series {kind} {subject} {narrow}", req.series(NAMES, query, T0, T0 + DAY, subject)))
                out.append((f"drivers {kind} {narrow}", req.drivers(NAMES, query, subject or "x", T0, T0 + DAY, 5)))
        if kind != "brand":
            out.append((f"top {kind}", req.top_terms(NAMES, kind, T0, T0 + DAY, None, None, 20)))
            out.append((f"top {kind} of a brand", req.top_terms(NAMES, kind, T0, T0 + DAY, "Digikala", "fa", 5)))
            for brand in (None, "Digikala"):
                out.append(
                    (
                        f"emerging {kind} {brand}",
                        req.emerging_terms(NAMES, kind, T0, T0 + DAY, (T0 - 7 * DAY, T0), brand, "en", 10, 3),
                    )
                )
    for text in QUERIES:
        out.append((f"search {text}", req.search(NAMES, parse(text), T0, T0 + DAY, 50)))
        out.append((f"search all time {text}", req.search(NAMES, parse(text), None, None, 10)))
    out.extend((f"drop {r.path}", r) for r in req.drop(NAMES))
    return out


REQUESTS = every_request()


@pytest.mark.parametrize(("label", "request_"), REQUESTS, ids=[label for label, _ in REQUESTS])
def test_request_validates_against_the_specification(label: str, request_: Request) -> None:
    assert es_contract.validate(request_)


def test_the_validator_catches_a_wrong_body() -> None:
    good = req.search(NAMES, parse("late"), T0, T0 + DAY, 10)
    broken = Request(good.method, good.path, {**good.body, "size": "ten"})
    with pytest.raises(AssertionError, match="size"):
        es_contract.validate(broken)
    short_form = Request(good.method, good.path, {"query": {"term": {"lang": "fa"}}})
    with pytest.raises(AssertionError, match="lang"):  # the store always uses the long form
        es_contract.validate(short_form)
    with pytest.raises(AssertionError, match="no query parameter"):
        es_contract.validate(Request("POST", "/_bulk", [], params={"refreshh": "true"}))
    with pytest.raises(AssertionError, match="not an operation"):
        es_contract.validate(Request("POST", "/trendwatch-posts/_serch", {}))


@pytest.mark.parametrize("text", QUERIES)
def test_compiled_queries_use_only_the_analysed_fields(text: str) -> None:
    fields: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                interval_rule = key == "prefix" and set(value) == {"prefix"}  # inside intervals, not a field
                if key in ("term", "prefix", "intervals") and isinstance(value, dict) and not interval_rule:
                    fields.update(value)
                if key == "multi_match":
                    fields.update(value["fields"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(compile_query(parse(text)))
    mapped = set(schema.post_mappings()["properties"]) | {"author.id", "author.handle"}
    assert fields <= mapped


def test_the_analyser_folds_with_the_query_languages_own_table() -> None:
    rules = schema.fold_char_filter()["mappings"]
    assert len(rules) == len(FOLD_MAPPINGS)
    decoded = {}
    for rule in rules:
        left, right = rule.split("=>")
        decoded[left.encode().decode("unicode_escape")] = right.encode().decode("unicode_escape")
    assert decoded == FOLD_MAPPINGS


def analyse(analyzer: str, text: str) -> list[str]:
    """Run `text` through an analyser exactly as defined in the index template the store sends
    (char filters, tokenizer, token filters); fails on any component it cannot interpret."""
    analysis = req.put_template(NAMES, None, None, None).body["template"]["settings"]["analysis"]
    spec = analysis["analyzer"][analyzer]
    assert spec["type"] == "custom"
    for name in spec["char_filter"]:
        char_filter = analysis["char_filter"][name]
        if char_filter["type"] == "mapping":
            rules = {}
            for rule in char_filter["mappings"]:
                left, right = (side.encode().decode("unicode_escape") for side in rule.split("=>"))
                assert len(left) == 1, rule
                rules[left] = right
            text = "".join(rules.get(ch, ch) for ch in text)
        else:
            assert char_filter == {"type": "pattern_replace", "pattern": "\\p{Mn}", "replacement": ""}
            text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    assert analysis["tokenizer"][spec["tokenizer"]] == {"type": "pattern", "pattern": "[^\\p{L}\\p{N}_]+"}
    tokens = "".join(ch if unicodedata.category(ch)[0] in "LN" or ch == "_" else " " for ch in text).split()
    for name in spec["filter"]:
        if name == "lowercase":
            tokens = [t.lower() for t in tokens]
            continue
        token_filter = analysis["filter"][name]
        assert token_filter["type"] == "stop", f"{name}: cannot interpret {token_filter}"
        stop = token_filter["stopwords"]
        assert isinstance(stop, list), f"{name}: a named list ({stop}) is Lucene's, not folded like our text"
        tokens = [t for t in tokens if t not in set(stop)]
    return tokens


@pytest.mark.parametrize("word", ["آن", "آنها", "آیا", "دیگر", "کجا", "برای", "می", "اين", "ديگر", "كه"])
def test_persian_stop_words_are_dropped_by_the_analyser_we_send(word: str) -> None:
    """Spelt with Farsi or Arabic yeh and kaf, with or without madda: `text.fa` drops it."""
    assert analyse("tw_text", word)  # the searchable field keeps every word
    assert analyse("tw_persian", word) == []


def test_the_persian_analyser_keeps_the_other_words() -> None:
    text = "آیا دیجی‌کالا سفارش را برای من فرستاد؟"
    assert analyse("tw_text", text) == ["ایا", "دیجی", "کالا", "سفارش", "را", "برای", "من", "فرستاد"]
    assert analyse("tw_persian", text) == ["دیجی", "کالا", "سفارش", "فرستاد"]


def test_the_persian_stop_list_is_lucenes_folded_like_our_text() -> None:
    folded = persian_stop_words()
    assert len(LUCENE_PERSIAN) == 308
    assert set(folded) == {fold(word) for word in LUCENE_PERSIAN}
    assert "ايا" in LUCENE_PERSIAN  # Lucene spells it with Arabic yeh ...
    assert "ایا" in folded  # ... we fold it to Farsi yeh
    assert fold("آیا") not in LUCENE_PERSIAN  # why `_persian_` could not match our folded tokens
    assert all(analyse("tw_text", word) == [word] for word in folded)  # each is one token as we split text


def test_documents_follow_the_shared_shape_and_round_trip() -> None:
    post = make(
        7, "text", title="title", brands=["Digikala", "Torob"], hashtags=["#Sale"], topics=["price"], likes=2,
        reposts=1, brand_sentiment={"Torob": -0.5}, sentiment=0.4, raw={"deep": {"list": [1, 2]}},
    )  # fmt: skip
    doc = schema.to_document(post)
    assert doc["@timestamp"] == doc["created_at"] == post.post.created_at.isoformat()
    assert doc["brands"] == ["Digikala", "Torob"]
    assert doc["hashtags"] == ["sale"]
    assert doc["brand_sentiment"] == [
        {"brand": "Digikala", "score": 0.4, "label": "positive"},
        {"brand": "Torob", "score": -0.5, "label": "negative"},
    ]
    assert doc["engagement"] == {"likes": 2, "reposts": 1, "total": 3}
    assert doc["raw"] == {"deep": {"list": [1, 2]}}
    assert set(doc) <= set(schema.post_mappings()["properties"])
    assert schema.from_document(json.loads(json.dumps(doc))) == post
    odd = make(8, raw=["a", "list"])
    assert schema.from_document(json.loads(json.dumps(schema.to_document(odd)))) == odd


def test_deploy_files_are_what_the_store_sends() -> None:
    """deploy/elasticsearch/ holds the defaults; `trendwatch es-templates DIR` rewrites them."""
    expected = schema.deploy_files(NAMES, retention=None)
    present = {p.name for p in DEPLOY.glob("*.json")}
    assert present == set(expected)
    for name, body in expected.items():
        assert json.loads((DEPLOY / name).read_text(encoding="utf-8")) == body, f"{name} is stale"


def _mapped(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in properties.items():
        path = prefix + name
        out[path] = spec.get("type", "object")
        out.update(_mapped(spec.get("properties", {}), path + "."))
        out.update({f"{path}.{sub}": s["type"] for sub, s in spec.get("fields", {}).items()})
    return out


def test_every_field_the_dashboards_read_is_mapped_with_its_type() -> None:
    """The Grafana dashboards' field table (trendwatch/service/grafana/contract.py) and the
    store's mappings describe the same documents."""
    contract = pytest.importorskip("trendwatch.service.grafana.contract")
    numeric = {"float", "double", "long"}
    for fields, mappings in (
        (contract.POST_FIELDS, schema.post_mappings()),
        (contract.ALERT_FIELDS, schema.alerts_index()["mappings"]),
    ):
        mapped = _mapped(mappings["properties"])
        for name, kind in fields.items():
            assert name in mapped, f"the dashboards read {name!r}, which the store does not map"
            assert mapped[name] == kind or {mapped[name], kind} <= numeric, (name, mapped[name], kind)
    assert NAMES.posts == contract.POSTS_INDEX
    assert NAMES.alerts == contract.ALERTS_INDEX
