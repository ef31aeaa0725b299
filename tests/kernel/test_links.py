"""Only plain http(s) links survive from untrusted input (posts, authors, example quotes)."""

from __future__ import annotations

import pytest

from trendwatch.links import safe_url


@pytest.mark.parametrize("url", ["https://example.com/a?b=1", "http://t.me/s/channel", "HTTPS://EXAMPLE.COM/"])
def test_http_links_pass(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/relative/path",
        "//evil.example/x",
        "https://",
        "https://exa mple.com/",
        "https://example.com/\nSet-Cookie: x",
        "https://example.com/\x00",
        "vbscript:msgbox(1)",
        "https://example.com/" + "a" * 5000,
    ],
)
def test_everything_else_is_dropped(url: str | None) -> None:
    assert safe_url(url) is None
