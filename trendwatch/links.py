"""Links from the outside world, made safe to show: only plain http(s) URLs survive.

Post, author and example URLs come from sources and are untrusted. Anything that would turn
into a link in a page, a report, a chat message or an e-mail goes through `safe_url` first, so
`javascript:`, `data:` and relative links (or ones smuggling whitespace or control characters)
are dropped rather than rendered.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL = 4000


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain absolute http(s) URL, else None."""
    if not url or len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None
