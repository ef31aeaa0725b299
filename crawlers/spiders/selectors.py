"""Selectors in site configuration: CSS by default, XPath after an `xpath:` prefix.

`check_selector` compiles a selector when the configuration is loaded, so a typo is reported
with its key path and line at start-up instead of silently matching nothing on every page.
`select` runs one against a page and `selected_text` turns the result into text: strings
(`::text`, `::attr(x)`, `text()`) as they are, elements as their visible text.
"""

from __future__ import annotations

from cssselect import SelectorError
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from crawlers.spiders.html_text import visible_text

XPATH_PREFIX = "xpath:"
_CSS = HTMLTranslator()
_EMPTY = Selector(text="<html></html>")


def check_selector(query: str) -> str:
    """`query` stripped, or ValueError saying why it does not compile."""
    query = query.strip()
    if not query or query == XPATH_PREFIX:
        raise ValueError("a selector cannot be empty")
    if query.startswith(XPATH_PREFIX):
        try:
            _EMPTY.xpath(query.removeprefix(XPATH_PREFIX))
        except ValueError as exc:
            raise ValueError(f"{query!r} is not a valid XPath expression ({exc})") from None
    else:
        try:
            _CSS.css_to_xpath(query)
        except SelectorError as exc:
            raise ValueError(
                f"{query!r} is not a valid CSS selector ({exc}); write XPath as 'xpath://h1/text()'"
            ) from None
    return query


def select(root: Selector, query: str) -> SelectorList[Selector]:
    if query.startswith(XPATH_PREFIX):
        return root.xpath(query.removeprefix(XPATH_PREFIX))
    return root.css(query)


def node_text(node: Selector) -> str:
    """Text of one selected node: a string result as is, an element as its visible text."""
    if isinstance(node.root, str):
        return " ".join(node.root.split())
    return visible_text(node.root)


def selected_text(root: Selector, query: str, *, first: bool) -> str | None:
    """Text matched by `query`: the first non-empty match, or all matches as paragraphs."""
    texts = [text for text in (node_text(node) for node in select(root, query)) if text]
    if not texts:
        return None
    return texts[0] if first else "\n\n".join(texts)
