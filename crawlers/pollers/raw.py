"""Reading raw platform payloads: the small, pure helpers every `to_post` shares.

Platforms send JSON (or parsed XML) whose fields may be missing or of the wrong type. The typed
getters here turn that into `DropPost` with a stable reason (`missing_field`, `wrong_type`,
`bad_timestamp`, `no_text`) for the fields a post cannot do without, and into `None` ("the
platform did not say") for the optional ones, so one odd item is skipped and counted, never a
crash. Also: HTML to plain text with its links, hashtags/mentions/links found in plain text
(Persian-aware), declared-language codes, counts such as "1.2K", and timestamps to aware UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar

from crawlers.values import parse_count
from trendwatch.errors import DropPost
from trendwatch.models import Post

T = TypeVar("T")

# Letters, digits, underscore, and the zero-width (non-)joiners Persian words contain.
_WORD = r"[\w\u200c\u200d]"
HASHTAG = re.compile(rf"(?<![\w&/#])[#＃]({_WORD}*[^\W\d]{_WORD}*)")
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)")
LINK = re.compile(r"https?://[^\s<>\"'«»]+")
_TRAILING = ".,;:!?)]}'\"،؛؟»"


def field(raw: Any, *path: str | int, kind: type[T]) -> T:
    """A required field: `DropPost("missing_field")` when absent or null, `"wrong_type"` when not `kind`."""
    value = _walk(raw, path)
    if value is None:
        raise DropPost("missing_field", _dotted(path))
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise DropPost("wrong_type", f"{_dotted(path)} is {type(value).__name__}, not {kind.__name__}")
    return value


def ident(raw: Any, *path: str | int) -> str:
    """A required identifier, given as a string or a number by the platform; always a non-empty str."""
    value = _walk(raw, path)
    if value is None:
        raise DropPost("missing_field", _dotted(path))
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DropPost("wrong_type", f"{_dotted(path)} is {type(value).__name__}, not an id")
    text = str(value).strip()
    if not text:
        raise DropPost("missing_field", _dotted(path))
    return text


def optional(raw: Any, *path: str | int, kind: type[T]) -> T | None:
    """An optional field: `None` when absent, null or of the wrong type (the platform did not say)."""
    value = _walk(raw, path)
    if value is None or not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        return None
    return value


def text_of(raw: Any, *path: str | int) -> str | None:
    """An optional string field, stripped; empty means None."""
    value = optional(raw, *path, kind=str)
    return value.strip() or None if value is not None else None


def count(raw: Any, *path: str | int) -> int | None:
    """An engagement count: an int, a numeric string, or "1.2K"/"3M"; None when not given."""
    value = _walk(raw, path)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value >= 0 else None
    if isinstance(value, str):
        return parse_count(value)
    return None


def timestamp(value: Any, what: str = "created_at") -> datetime:
    """An aware UTC datetime from an ISO 8601 string or epoch seconds; `DropPost("bad_timestamp")` otherwise."""
    if isinstance(value, bool) or value is None:
        raise DropPost("missing_field" if value is None else "bad_timestamp", what)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise DropPost("bad_timestamp", f"{what}={value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise DropPost("bad_timestamp", f"{what}={value[:40]!r}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise DropPost("bad_timestamp", f"{what} is {type(value).__name__}")


def optional_timestamp(value: Any) -> datetime | None:
    try:
        return timestamp(value) if value not in (None, "") else None
    except DropPost:
        return None


def language(code: Any) -> str | None:
    """The primary subtag of a declared language, lower case: "fa-IR" -> "fa"; None when not given."""
    if not isinstance(code, str) or not code.strip():
        return None
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def hashtags_in(text: str) -> tuple[str, ...]:
    """Hashtags (without '#') in order of first use, each once; Persian ones included."""
    return unique(m.group(1) for m in HASHTAG.finditer(text))


def mentions_in(text: str) -> tuple[str, ...]:
    """@handles (without '@') in order of first use, each once."""
    return unique(m.group(1) for m in MENTION.finditer(text))


def links_in(text: str) -> tuple[str, ...]:
    return unique(m.group(0).rstrip(_TRAILING) for m in LINK.finditer(text))


def unique(items: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty items in order, each once."""
    return tuple(dict.fromkeys(i for i in items if i))


def require_text(*candidates: str | None) -> str:
    """The first non-blank candidate, or `DropPost("no_text")`."""
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    raise DropPost("no_text")


class _HtmlText(HTMLParser):
    _BLOCK = frozenset({"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.tag_links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self.parts.append("\n\n")
        elif tag == "a":
            values = dict(attrs)
            href = values.get("href")
            classes = (values.get("class") or "").split()
            if href and href.startswith(("http://", "https://")):
                # Mastodon marks links to hashtags and profiles; those are not shared links.
                (self.tag_links if {"mention", "hashtag"} & set(classes) else self.links).append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, tuple[str, ...]]:
    """Plain text of an HTML fragment (paragraphs and line breaks kept) and the links it shares."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, unique(parser.links)


def _walk(raw: Any, path: tuple[str | int, ...]) -> Any:
    value = raw
    for step in path:
        if type(step) is str:
            if not isinstance(value, dict):  # JSON objects are dicts; feedparser's are dict subclasses
                return None
            value = value.get(step)
        else:
            if not isinstance(value, list) or not -len(value) <= step < len(value):  # type: ignore[operator]
                return None
            value = value[step]  # type: ignore[index]
        if value is None:
            return None
    return value


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "\u200c": None, "\u200d": None, "\u0640": None})


def fold(text: str) -> str:
    """Text for keyword matching: case-folded, Arabic letter variants as Persian, without
    half-spaces, spaces or tatweel ("دیجی‌کالا", "دیجي کالا" and "دیجیکالا" fold alike)."""
    return "".join(text.casefold().translate(_FOLD).split())


def keyword_filter(keywords: Sequence[str]) -> Callable[[Post], bool] | None:
    """A predicate keeping posts whose title, text or hashtags contain any keyword; None keeps all."""
    folded = [fold(k.lstrip("#")) for k in keywords if fold(k.lstrip("#"))]
    if not folded:
        return None

    def keep(post: Post) -> bool:
        haystack = fold(" ".join([post.title or "", post.text, *post.hashtags]))
        return any(k in haystack for k in folded)

    return keep
