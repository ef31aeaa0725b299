"""The user query language: parse once, then match in memory or compile for a store.

Strategists write the queries they know from Brandwatch and Talkwalker::

    (digikala OR "دیجی کالا") AND NOT #ad lang:fa
    delivery NEAR/3 late -> "late" within 3 words of "delivery", either order
    refund* platform:telegram brand:"Snapp Shop" author:@ali

Grammar (operators are upper case; a lower-case `and` is just a word)::

    query    := or EOF
    or       := and ("OR" and)*
    and      := not (["AND"] not)*              # juxtaposition means AND
    not      := "NOT" not | near
    near     := operand ["NEAR/n" operand]      # operands: words, phrases or (a OR b)
    operand  := "(" or ")" | word | word* | "phrase" | field:value | field:"value" | #hashtag

Fields: `lang:`, `platform:`, `brand:`, `author:` (handle with or without `@`, or author id) and
`#hashtag`. Field values compare case-insensitively; hashtags are folded like text.

Text matching is word-based and identical in every backend (the in-memory matcher here, SQLite
FTS5 and Elasticsearch): text is folded by `fold` — Persian/Arabic letter variants, hamza and
presentation forms, diacritics and tatweel removed, Persian and Arabic digits to ASCII, lower
case — and a word is a maximal run of letters, digits and `_` (`\\w+`), so a half-space (ZWNJ),
a hyphen or an apostrophe separates words. A bare term that folds to several words (`e-mail`,
`دیجی‌کالا`) is a phrase of them. `NEAR/n` allows at most n words between its operands, in either
order, within one field (title or text); operands may overlap (`late NEAR/2 late` needs just one
"late"), as in FTS5 and Elasticsearch. A wildcard only ends a single word (`refund*`).

Errors are `QuerySyntaxError`s whose `position` points at the offending character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, TypeAlias

from trendwatch.errors import QuerySyntaxError
from trendwatch.models import EnrichedPost, Post

# --------------------------------------------------------------------------- folding

_LETTER_FOLDS: dict[str, str] = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u06d2": "\u06cc",  # YEH BARREE
    "\u0626": "\u06cc",  # YEH WITH HAMZA ABOVE
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u06aa": "\u06a9",  # SWASH KAF
    "\u0629": "\u0647",  # TEH MARBUTA -> HEH
    "\u06c0": "\u0647",  # HEH WITH YEH ABOVE
    "\u06c1": "\u0647",  # HEH GOAL
    "\u06c2": "\u0647",  # HEH GOAL WITH HAMZA ABOVE
    "\u06d5": "\u0647",  # AE
    "\u0622": "\u0627",  # ALEF WITH MADDA ABOVE
    "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE
    "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW
    "\u0671": "\u0627",  # ALEF WASLA
    "\u0624": "\u0648",  # WAW WITH HAMZA ABOVE
    "\u0640": "",  # TATWEEL (kashida), a stretching character
    "\u03c2": "\u03c3",  # GREEK FINAL SIGMA (FTS5 folds it; keep every backend alike)
}
_DIGITS = {chr(base + i): str(i) for base in (0x0660, 0x06F0) for i in range(10)}


def _build_fold_table() -> tuple[dict[str, str], dict[int, str]]:
    """(character mappings, the full str.translate table incl. deleting every nonspacing mark)."""
    mappings = {**_LETTER_FOLDS, **_DIGITS}

    def fold_letters(text: str) -> str:
        out = "".join(mappings.get(ch, ch) for ch in text)
        return "".join(ch for ch in out if unicodedata.category(ch) != "Mn")

    # Arabic presentation forms (old encodings, some PDFs and scrapes) fold to their letters.
    for start, end in ((0xFB50, 0xFDFF), (0xFE70, 0xFEFF)):
        for code in range(start, end + 1):
            ch = chr(code)
            decomposed = unicodedata.normalize("NFKC", ch)
            if decomposed != ch and unicodedata.category(ch) != "Mn":
                mappings[ch] = fold_letters(decomposed)
    table: dict[int, str] = {ord(k): v for k, v in mappings.items()}
    # Nonspacing marks live in planes 0, 1 and 14 (variation selectors) only.
    for plane in (0, 1, 14):
        for code in range(plane << 16, (plane + 1) << 16):
            if unicodedata.category(chr(code)) == "Mn":
                table[code] = ""
    return mappings, table


FOLD_MAPPINGS, _FOLD_TABLE = _build_fold_table()
"""Character -> replacement, besides deleting every nonspacing mark (category Mn). Shared with
the Elasticsearch analyser (a `mapping` char filter + a `\\p{Mn}` removal) so both fold alike."""

FOLD_VERSION = 2
"""Bumped whenever `fold`, `words` or `hashtag_key` changes: stores re-index text folded by an
older version (2: Persian hashtag keys joined by `_`)."""

WORD_PATTERN = r"\w+"
"""A word: a maximal run of Unicode letters, digits and `_` (Python `\\w`, FTS5 unicode61 with
categories 'L* N*' and tokenchars '_', Elasticsearch pattern tokenizer `[^\\p{L}\\p{N}_]+`)."""
_WORD = re.compile(WORD_PATTERN)


def _char_class(codes: Iterable[int]) -> str:
    """A regex character class of the given code points, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]"


# A BMP-only class compiles to a bitmap (fast); any astral character takes the slow path.
_NEEDS_FOLD = re.compile(_char_class(c for c in _FOLD_TABLE if c < 0x10000) + "|[\U00010000-\U0010ffff]")


def fold(text: str) -> str:
    """Text folded for matching: letter variants unified, marks dropped, ASCII digits, lower case."""
    if text.isascii() or _NEEDS_FOLD.search(text) is None:  # no ASCII character folds; most text:
        return text.lower()  # one C-speed scan (isascii is a flag lookup), no per-character lookups
    return text.translate(_FOLD_TABLE).lower()


def words(text: str) -> list[str]:
    """The words of `text` after folding, in order (what every backend indexes)."""
    return _WORD.findall(fold(text))


def keyword(value: str) -> str:
    """A field value (lang, platform, brand, author) as compared: trimmed, lower case."""
    return value.strip().lower()


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_TAG_JOINERS = str.maketrans({"_": " ", "\u200c": " "})


@lru_cache(maxsize=65536)
def hashtag_key(tag: str) -> str:
    """A hashtag as stored, counted and compared, the one form every stage uses: folded, no `#`.

    Persian/Arabic-script tags keep their words joined by `_`, as people write them (`#دیجی_کالا`,
    `#دیجی‌کالا`, `#دیجی كالا` -> "دیجی_کالا"); Latin-script tags lose their separators, as
    people type them, so `#BlackFriday`, `#Black_Friday` and `#blackfriday` all become
    "blackfriday" (splitting CamelCase instead would part `#iPhone` from `#iphone`). Either way
    `"#" + key` reads as a hashtag.
    """
    words = fold(tag.strip().lstrip("#＃").translate(_TAG_JOINERS)).split()
    return "_".join(words) if _ARABIC_SCRIPT.search(tag) else "".join(words)


def author_key(value: str) -> str:
    """An author handle or id as compared: lower case, without a leading `@`."""
    return keyword(value).lstrip("@")


# --------------------------------------------------------------------------- the tree

FieldName = Literal["lang", "platform", "brand", "author", "hashtag"]
FIELDS: tuple[FieldName, ...] = ("lang", "platform", "brand", "author", "hashtag")
_FIELD_PREFIXES: tuple[str, ...] = ("lang", "platform", "brand", "author")


@dataclass(frozen=True, slots=True)
class Words:
    """One word or a phrase of consecutive words (already folded); `prefix` marks `word*`."""

    words: tuple[str, ...]
    position: int
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Near:
    """Some alternative of `left` within `distance` words of some alternative of `right`."""

    left: tuple[Words, ...]
    right: tuple[Words, ...]
    distance: int
    position: int


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on a keyword field; `value` is already normalised for comparison."""

    name: FieldName
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node: TypeAlias = Words | Near | Field | And | Or | Not


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: the source text and its tree. Build with `parse`."""

    text: str
    root: Node

    @property
    def fields(self) -> frozenset[FieldName]:
        """The field filters the query uses (a source without enrichment cannot answer `brand:`)."""
        return frozenset(n.name for n in walk(self.root) if isinstance(n, Field))

    @property
    def needs_enrichment(self) -> bool:
        return "brand" in self.fields

    def matches(self, post: Post | EnrichedPost | Document) -> bool:
        """Whether the post matches, exactly as the stores would answer."""
        doc = post if isinstance(post, Document) else Document.of(post)
        return _match(self.root, doc)

    def __str__(self) -> str:
        return self.text


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, And | Or):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)


# --------------------------------------------------------------------------- lexing

_FIELD_RE = re.compile(r"([A-Za-z_]+):")
_NEAR_RE = re.compile(r"NEAR/(\d+)\Z")
_STOP = frozenset(' \t\r\n\f\v()"')
MAX_NEAR = 100
MAX_NEAR_ALTERNATIVES = 64


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["(", ")", "AND", "OR", "NOT", "NEAR", "WORD", "PHRASE", "FIELD", "END"]
    position: int
    text: str = ""
    value: str = ""
    number: int = 0


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError('unterminated phrase: add the closing "', query, i)
            tokens.append(_Token("PHRASE", i, text=query[i + 1 : end]))
            i = end + 1
        else:
            start = i
            field = _FIELD_RE.match(query, i)
            if field and field.group(1).lower() in _FIELD_PREFIXES:
                name = field.group(1).lower()
                i = field.end()
                if i < n and query[i] == '"':
                    end = query.find('"', i + 1)
                    if end < 0:
                        raise QuerySyntaxError('unterminated value: add the closing "', query, i)
                    value, i = query[i + 1 : end], end + 1
                else:
                    while i < n and query[i] not in _STOP:
                        i += 1
                    value = query[field.end() : i]
                if not value.strip():
                    raise QuerySyntaxError(f"{name}: needs a value, e.g. {_EXAMPLES[name]}", query, field.end())
                tokens.append(_Token("FIELD", start, text=name, value=value))
                continue
            if field and not field.group(1).startswith("_"):
                known = ", ".join(f"{f}:" for f in _FIELD_PREFIXES)
                raise QuerySyntaxError(
                    f"unknown field {field.group(1)!r}; known: {known} and #hashtag "
                    "(put the word in quotes to search for it as text)",
                    query,
                    start,
                )
            while i < n and query[i] not in _STOP:
                i += 1
            word = query[start:i]
            if word in ("AND", "OR", "NOT"):
                tokens.append(_Token(word, start))  # type: ignore[arg-type]
            elif word == "NEAR" or word.startswith("NEAR/"):
                near = _NEAR_RE.match(word)
                if not near:
                    raise QuerySyntaxError("NEAR needs a distance in words, e.g. NEAR/3", query, start)
                distance = int(near.group(1))
                if distance > MAX_NEAR:
                    raise QuerySyntaxError(f"NEAR distance must be at most {MAX_NEAR}", query, start + 5)
                tokens.append(_Token("NEAR", start, number=distance))
            else:
                tokens.append(_Token("WORD", start, text=word))
    tokens.append(_Token("END", n))
    return tokens


_EXAMPLES = {"lang": "lang:fa", "platform": "platform:telegram", "brand": "brand:digikala", "author": "author:@ali"}


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.i = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, position)

    def parse(self) -> Node:
        if self.peek.kind == "END":
            raise self.error('empty query: write a word, a "phrase", a field such as lang:fa or a #hashtag', 0)
        node = self.parse_or()
        token = self.peek
        if token.kind == ")":
            raise self.error("unbalanced ')': there is no '(' to close", token.position)
        if token.kind != "END":  # pragma: no cover - parse_and consumes every operand start
            raise self.error(f"unexpected {token.kind}", token.position)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.peek.kind == "OR":
            op = self.take()
            self.expect_operand(op, "OR")
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_not()]
        while True:
            token = self.peek
            if token.kind == "AND":
                self.take()
                self.expect_operand(token, "AND")
            elif token.kind not in ("(", "NOT", "WORD", "PHRASE", "FIELD"):
                break
            children.append(self.parse_not())
        flat: list[Node] = []
        for child in children:
            flat.extend(child.children if isinstance(child, And) else (child,))
        return flat[0] if len(flat) == 1 else And(tuple(flat))

    def parse_not(self) -> Node:
        token = self.peek
        if token.kind == "NOT":
            self.take()
            self.expect_operand(token, "NOT")
            child = self.parse_not()
            return child.child if isinstance(child, Not) else Not(child)
        return self.parse_near()

    def parse_near(self) -> Node:
        left_at = self.peek.position
        left = self.parse_operand()
        if self.peek.kind != "NEAR":
            return left
        op = self.take()
        self.expect_operand(op, f"NEAR/{op.number}")
        right_at = self.peek.position
        right = self.parse_operand()
        if self.peek.kind == "NEAR":
            raise self.error("NEAR joins two terms; combine several with AND", self.peek.position)
        lefts, rights = self.near_side(left, left_at), self.near_side(right, right_at)
        if len(lefts) * len(rights) > MAX_NEAR_ALTERNATIVES:
            raise self.error(f"NEAR over more than {MAX_NEAR_ALTERNATIVES} combinations of terms", op.position)
        return Near(lefts, rights, op.number, op.position)

    def near_side(self, node: Node, position: int) -> tuple[Words, ...]:
        if isinstance(node, Words):
            return (node,)
        if isinstance(node, Or) and all(isinstance(c, Words) for c in node.children):
            return tuple(c for c in node.children if isinstance(c, Words))
        raise self.error("NEAR joins words or phrases (or a parenthesised OR of them)", position)

    def expect_operand(self, op: _Token, name: str) -> None:
        token = self.peek
        if token.kind in ("END", ")", "AND", "OR", "NEAR"):
            where = "at the end" if token.kind == "END" else f"before {token.kind if token.kind != ')' else repr(')')}"
            raise self.error(f"{name} needs a term after it, found none {where}", token.position)

    def parse_operand(self) -> Node:
        token = self.take()
        if token.kind == "(":
            if self.peek.kind == ")":
                raise self.error("empty parentheses", token.position)
            node = self.parse_or()
            if self.peek.kind != ")":
                raise self.error("missing ')' to close this '('", token.position)
            self.take()
            return node
        if token.kind == "WORD":
            return self.word(token)
        if token.kind == "PHRASE":
            found = tuple(words(token.text))
            if not found:
                raise self.error("the phrase has no letters or digits to search for", token.position)
            return Words(found, token.position)
        if token.kind == "FIELD":
            return self.field(token)
        raise self.error(f"expected a term, found {token.kind if token.kind != 'END' else 'the end'}", token.position)

    def word(self, token: _Token) -> Node:
        text = token.text
        if text.startswith("#"):
            tag = hashtag_key(text)
            if not tag or not all(_WORD.fullmatch(part) for part in tag.split("_") if part):
                raise self.error("a #hashtag needs letters, digits or _ after #", token.position)
            return Field("hashtag", tag, token.position)
        if text.startswith("-") and len(text) > 1 and _WORD.match(text, 1):
            raise self.error(f"to exclude a term write NOT {text[1:]}", token.position)
        prefix = text.endswith("*")
        body = text.rstrip("*") if prefix else text
        if "*" in body:
            raise self.error("a wildcard * may only end a word", token.position + body.index("*"))
        found = tuple(words(body))
        if not found:
            raise self.error(
                f"{text!r} has no letters or digits to search for (quote operators to search them)", token.position
            )
        if prefix and len(found) > 1:
            raise self.error("a wildcard applies to a single word", token.position)
        return Words(found, token.position, prefix=prefix)

    def field(self, token: _Token) -> Field:
        name = token.text
        value = author_key(token.value) if name == "author" else keyword(token.value)
        if not value:
            raise self.error(f"{name}: needs a value, e.g. {_EXAMPLES[name]}", token.position)
        return Field(name, value, token.position)  # type: ignore[arg-type]


def parse(query: str) -> Query:
    """Parse a user query; raise QuerySyntaxError pointing at the problem."""
    return Query(query, _Parser(query).parse())


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class Document:
    """The view of a post that queries match against: folded words per field and keyword sets.

    Built from a `Post` (before enrichment: `lang` is the declared language, no brands) or an
    `EnrichedPost` (detected language, brands, the NLP stage's hashtags as well).
    """

    title: tuple[str, ...]
    text: tuple[str, ...]
    platform: str
    lang: str | None = None
    brands: frozenset[str] = frozenset()
    hashtags: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()
    _index: tuple[Mapping[str, tuple[int, ...]], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def build(
        cls,
        *,
        title: str | None,
        text: str,
        platform: str,
        lang: str | None = None,
        brands: Iterable[str] = (),
        hashtags: Iterable[str] = (),
        authors: Iterable[str | None] = (),
    ) -> Document:
        fields = (tuple(words(title)) if title else (), tuple(words(text)))
        index = tuple(_positions(f) for f in fields)
        return cls(
            title=fields[0],
            text=fields[1],
            platform=keyword(platform),
            lang=keyword(lang) if lang else None,
            brands=frozenset(keyword(b) for b in brands),
            hashtags=frozenset(h for h in (hashtag_key(t) for t in hashtags) if h),
            authors=frozenset(author_key(a) for a in authors if a),
            _index=index,
        )

    @classmethod
    def of(cls, post: Post | EnrichedPost) -> Document:
        if isinstance(post, EnrichedPost):
            p, e = post.post, post.enrichment
            lang: str | None = e.lang
            brands: Iterable[str] = e.brands
            tags: Iterable[str] = (*p.hashtags, *e.hashtags)
        else:
            p, lang, brands, tags = post, post.lang, (), post.hashtags
        author = p.author
        authors = (author.id, author.handle) if author else ()
        return cls.build(
            title=p.title, text=p.text, platform=p.platform, lang=lang, brands=brands, hashtags=tags, authors=authors
        )


def _positions(tokens: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        found.setdefault(token, []).append(i)
    return {k: tuple(v) for k, v in found.items()}


def _spans(w: Words, tokens: tuple[str, ...], index: Mapping[str, tuple[int, ...]]) -> Iterator[tuple[int, int]]:
    """(first, last) word positions of each occurrence of `w` in one field."""
    if w.prefix:
        stem = w.words[0]
        for i, token in enumerate(tokens):
            if token.startswith(stem):
                yield i, i
        return
    first, rest = w.words[0], w.words[1:]
    for start in index.get(first, ()):
        end = start + len(rest)
        if end < len(tokens) and tokens[start + 1 : end + 1] == rest:
            yield start, end


def _field_views(doc: Document) -> Iterator[tuple[tuple[str, ...], Mapping[str, tuple[int, ...]]]]:
    index = doc._index or tuple(_positions(f) for f in (doc.title, doc.text))
    yield doc.title, index[0]
    yield doc.text, index[1]


def _match(node: Node, doc: Document) -> bool:
    if isinstance(node, Words):
        return any(next(_spans(node, t, i), None) is not None for t, i in _field_views(doc))
    if isinstance(node, Field):
        return _match_field(node, doc)
    if isinstance(node, And):
        return all(_match(c, doc) for c in node.children)
    if isinstance(node, Or):
        return any(_match(c, doc) for c in node.children)
    if isinstance(node, Not):
        return not _match(node.child, doc)
    return any(_near(node, tokens, index) for tokens, index in _field_views(doc))


def _near(node: Near, tokens: tuple[str, ...], index: Mapping[str, tuple[int, ...]]) -> bool:
    """Some occurrence of a left and of a right alternative with at most `distance` words
    between them, in either order. Occurrences may overlap, or be the very same words (as in
    FTS5 and Elasticsearch interval queries): then nothing is between them."""
    lefts = [s for w in node.left for s in _spans(w, tokens, index)]
    if not lefts:
        return False
    rights = [s for w in node.right for s in _spans(w, tokens, index)]
    return any(
        max(a_start, b_start) - min(a_end, b_end) - 1 <= node.distance
        for a_start, a_end in lefts
        for b_start, b_end in rights
    )


def _match_field(node: Field, doc: Document) -> bool:
    if node.name == "lang":
        return doc.lang == node.value
    if node.name == "platform":
        return doc.platform == node.value
    if node.name == "brand":
        return node.value in doc.brands
    if node.name == "author":
        return node.value in doc.authors
    return node.value in doc.hashtags
