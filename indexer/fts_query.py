"""Compile a parsed user query (trendwatch.query) to one SQLite FTS5 MATCH expression.

The FTS5 table has three columns: `title` and `body` hold the folded words of the post (see
`trendwatch.query.words`), and `meta` holds one opaque token per keyword value of the post —
`l_<lang>`, `p_<platform>`, `b_<brand>`, `a_<author>`, `h_<hashtag>` and the universe token
`u_all` — so field filters and pure negations are answered by the same full-text index, in one
MATCH, with no join (the time window is a rowid range: see indexer.sqlite_read.search). Values
are hex-encoded so every value is exactly one token whatever its script or punctuation.
"""

from __future__ import annotations

from functools import lru_cache

from trendwatch.query import And, Field, Near, Node, Not, Or, Query, Words

UNIVERSE = "u_all"
LAYOUT = 2
"""Version of what the meta column holds (1 also had a `d_<day>` token per post)."""
_PREFIX = {"lang": "l", "platform": "p", "brand": "b", "author": "a", "hashtag": "h"}
_TEXT = "{title body}"


@lru_cache(maxsize=65536)
def meta_token(kind: str, value: str) -> str:
    """The meta-column token for a normalised keyword value (`kind` is a query field name)."""
    return f"{_PREFIX[kind]}_{value.encode('utf-8').hex()}"


def compile_match(query: Query) -> str:
    """The FTS5 expression matching exactly the posts `query.matches` accepts."""
    return _compile(query.root)


def _phrase(words: Words) -> str:
    quoted = '"' + " ".join(words.words) + '"'
    return f"{quoted} *" if words.prefix else quoted


def _compile(node: Node) -> str:
    if isinstance(node, Words):
        return f"{_TEXT} : {_phrase(node)}"
    if isinstance(node, Near):
        groups = [
            f"{_TEXT} : NEAR({_phrase(left)} {_phrase(right)}, {node.distance})"
            for left in node.left
            for right in node.right
        ]
        return groups[0] if len(groups) == 1 else "(" + " OR ".join(groups) + ")"
    if isinstance(node, Field):
        return f"meta : {meta_token(node.name, node.value)}"
    if isinstance(node, Not):
        return f"(meta : {UNIVERSE} NOT {_compile(node.child)})"
    if isinstance(node, Or):
        return "(" + " OR ".join(_compile(c) for c in node.children) + ")"
    return _compile_and(node)


def _compile_and(node: And) -> str:
    positives = [_compile(c) for c in node.children if not isinstance(c, Not)]
    negatives = [_compile(c.child) for c in node.children if isinstance(c, Not)]
    base = "(" + " AND ".join(positives) + ")" if positives else f"meta : {UNIVERSE}"
    if not negatives:
        return base
    return f"({base} NOT ({' OR '.join(negatives)}))"
