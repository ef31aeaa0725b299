"""The wire between a Source and its spider child process, defined once for both ends.

In: one JSON `CrawlSpec` on the child's stdin (options + cursor; stdin, not argv, so nothing
shows up in `ps`). Out: one JSON object per line on the child's stdout, `{"type": kind, ...}`
for each item of `items.py`, the `Summary` last. Scrapy's own log goes to stderr.

`decode` is strict: a line that is not JSON, names an unknown type or lacks a field raises
`ValueError`, which the Source counts as one malformed message and skips.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson

from crawlers.spiders.items import EVENT_TYPES, Event


@dataclass(frozen=True, slots=True)
class CrawlSpec:
    """Everything a child needs to run one round of one spider."""

    spider: str
    source: str
    options: dict[str, Any]
    cursor: Any
    user_agent: str
    timeout: float
    log_level: str = "WARNING"

    def to_json(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: bytes) -> CrawlSpec:
        values = orjson.loads(data)
        if not isinstance(values, dict):
            raise ValueError("the crawl spec must be a JSON object")
        return cls(**values)


def encode(event: Event) -> bytes:
    """One protocol line (newline included) for an item or the summary."""
    return orjson.dumps({"type": event.kind, **dataclasses.asdict(event)}) + b"\n"


def decode(line: bytes) -> Event:
    """The event a protocol line carries; ValueError when the line is malformed."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    kind = data.pop("type", None)
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown message type {kind!r}")
    try:
        event: Event = cls(**data)
    except TypeError as exc:
        raise ValueError(f"bad {kind} message: {exc}") from None
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if not _is(value, str(f.type)):
            raise ValueError(f"bad {kind} message: {f.name} is {type(value).__name__}, expected {f.type}")
    return event


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "list": (list,),
    "dict": (dict,),
    "Any": (object,),
}


def _is(value: Any, annotation: str) -> bool:
    """Whether a decoded JSON value fits a field annotation such as 'float | None' or 'list[...]'."""
    for option in annotation.split(" | "):
        if option == "None":
            if value is None:
                return True
            continue
        base = option.split("[", 1)[0]
        if isinstance(value, _JSON_TYPES[base]) and not (base != "Any" and isinstance(value, bool)):
            return True
    return False
