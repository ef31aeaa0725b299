"""Compile a parsed user query (trendwatch.query) to Elasticsearch query DSL.

Text goes to `title` and `text`, analysed by `tw_text` exactly as the query language folds and
splits words, so a phrase here matches what FTS5 and the in-memory matcher match:

- a word or phrase: `multi_match` of type `phrase` over both fields;
- `word*`: `prefix` on either field (the prefix is already folded);
- `a NEAR/n b`: `intervals` with `all_of`, unordered, `max_gaps: n`, per field (an OR group on
  a side becomes `any_of`), i.e. at most n words between, in either order, within one field;
- `lang:`, `platform:`, `brand:`, `author:` (id or handle, with or without `@`): case-insensitive
  `term` queries; `#tag`: a `term` on `hashtag_keys` (counted and as-written hashtags, folded);
- AND / OR / NOT: `bool` filter / should / must_not. A `bool` with only `must_not` matches all
  other documents, which is what a leading NOT means.

Every query uses the long form of each clause (`{"term": {"f": {"value": v}}}`), which is what
Elastic's OpenAPI specification describes (and the contract tests check).
"""

from __future__ import annotations

from typing import Any

from trendwatch.query import Field, Near, Node, Not, Or, Query, Words

TEXT_FIELDS = ("title", "text")
_KEYWORD_FIELD = {"lang": "lang", "platform": "platform", "brand": "brands", "hashtag": "hashtag_keys"}

Clause = dict[str, Any]


def compile_query(query: Query) -> Clause:
    """The query clause matching exactly the posts `query.matches` accepts."""
    return _compile(query.root)


def _should(clauses: list[Clause]) -> Clause:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _term(field: str, value: str, case_insensitive: bool = True) -> Clause:
    body: dict[str, Any] = {"value": value}
    if case_insensitive:
        body["case_insensitive"] = True
    return {"term": {field: body}}


def _words(node: Words) -> Clause:
    if node.prefix:
        return _should([{"prefix": {field: {"value": node.words[0]}}} for field in TEXT_FIELDS])
    return {"multi_match": {"query": " ".join(node.words), "fields": list(TEXT_FIELDS), "type": "phrase"}}


def _interval(node: Words) -> Clause:
    if node.prefix:
        return {"prefix": {"prefix": node.words[0]}}
    return {"match": {"query": " ".join(node.words), "max_gaps": 0, "ordered": True}}


def _side(alternatives: tuple[Words, ...]) -> Clause:
    if len(alternatives) == 1:
        return _interval(alternatives[0])
    return {"any_of": {"intervals": [_interval(w) for w in alternatives]}}


def _near(node: Near) -> Clause:
    rule = {"all_of": {"ordered": False, "max_gaps": node.distance, "intervals": [_side(node.left), _side(node.right)]}}
    return _should([{"intervals": {field: rule}} for field in TEXT_FIELDS])


def _field(node: Field) -> Clause:
    if node.name == "author":
        return _should(
            [
                _term("author.id", node.value),
                _term("author.handle", node.value),
                _term("author.handle", "@" + node.value),
            ]
        )
    if node.name == "hashtag":
        return _term("hashtag_keys", node.value, case_insensitive=False)
    return _term(_KEYWORD_FIELD[node.name], node.value)


def _compile(node: Node) -> Clause:
    if isinstance(node, Words):
        return _words(node)
    if isinstance(node, Near):
        return _near(node)
    if isinstance(node, Field):
        return _field(node)
    if isinstance(node, Not):
        return {"bool": {"must_not": [_compile(node.child)]}}
    if isinstance(node, Or):
        return _should([_compile(c) for c in node.children])
    positives = [_compile(c) for c in node.children if not isinstance(c, Not)]
    negatives = [_compile(c.child) for c in node.children if isinstance(c, Not)]
    body: dict[str, Any] = {}
    if positives:
        body["filter"] = positives
    if negatives:
        body["must_not"] = negatives
    return {"bool": body}
