"""Visible text of an HTML element, as a reader would see it.

Browsers collapse runs of whitespace (source indentation included) into one space and start new
lines only at `<br>` and block elements; `lxml`'s `itertext()` does neither, so pretty-printed
pages come out full of stray newlines. This walks the tree once: text is collapsed, `<br>` becomes
a line break, block elements become paragraph breaks, scripts and styles are skipped. Zero-width
non-joiners (ZWNJ, the Persian half-space) are not whitespace and survive untouched.
"""

from __future__ import annotations

import re
from typing import Any

BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
        "p", "pre", "section", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_SPACE = re.compile(r"\s+")
_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_MANY_SPACES = re.compile(r" {2,}")


def visible_text(element: Any) -> str:
    """The text of an lxml element: whitespace collapsed, `<br>` as "\\n", blocks as "\\n\\n"."""
    parts: list[str] = []
    _walk(element, parts)
    text = "".join(parts)
    text = _AROUND_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return _MANY_SPACES.sub(" ", text).strip()


def _walk(node: Any, parts: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else None
    if tag is None or tag in SKIP:  # comments, processing instructions, invisible content
        return
    if tag == "br":
        parts.append("\n")
    elif tag in BLOCKS:
        parts.append("\n\n")
    if node.text:
        parts.append(_SPACE.sub(" ", node.text))
    for child in node:
        _walk(child, parts)
        if child.tail:
            parts.append(_SPACE.sub(" ", child.tail))
    if tag in BLOCKS:
        parts.append("\n\n")
