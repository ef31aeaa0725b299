"""The post list: filtered, searched with the query language, brand mentions marked.

Posts are shown as the NLP stage normalised them, because that is the text the brand mention
offsets (`Enrichment.mentions`) point into; the server cuts it into segments at the mentions,
so the page never does offset arithmetic (Python counts code points, JavaScript UTF-16 units).
Links are kept only when they are http(s): a `javascript:` URL from a post never becomes a link.

A search query is parsed alone first, so a syntax error points into what the user typed; then
the filters are added to it as fields (`brand:"…" platform:"…" lang:"…"`) and the store runs it.
"""

from __future__ import annotations

from aiohttp import web

from trendwatch.errors import QuerySyntaxError
from trendwatch.links import safe_url
from trendwatch.models import BrandMention, EnrichedPost
from trendwatch.query import parse
from trendwatch.service.web import schema
from trendwatch.service.web.params import BadRequest, Scope, choice, integer
from trendwatch.service.web.state import Env
from trendwatch.timeutil import DisplayClock

RTL_LANGS = frozenset({"fa", "ar", "he", "ur", "ps", "ckb", "yi"})
MAX_QUERY = 1000
ENGAGEMENT_POOL = 500
"""A searched list ordered by engagement ranks the newest this many matches."""


def segments(text: str, mentions: tuple[BrandMention, ...]) -> list[schema.Segment]:
    """`text` cut at the brand mentions (overlapping or out-of-range mentions are skipped)."""
    out: list[schema.Segment] = []
    pos = 0
    for mention in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if mention.start < pos or mention.end > len(text) or mention.start >= mention.end:
            continue
        if mention.start > pos:
            out.append(schema.Segment(text=text[pos : mention.start]))
        out.append(schema.Segment(text=text[mention.start : mention.end], brand=mention.brand))
        pos = mention.end
    if pos < len(text) or not out:
        out.append(schema.Segment(text=text[pos:]))
    return out


def post_item(stored: EnrichedPost, clock: DisplayClock) -> schema.Post:
    post, enrichment = stored.post, stored.enrichment
    author = post.author
    e = post.engagement
    lang = enrichment.lang or post.lang or "und"
    tones = {m.brand: enrichment.brand_sentiment.get(m.brand, enrichment.sentiment) for m in enrichment.mentions}
    return schema.Post(
        id=post.id,
        platform=post.platform,
        url=safe_url(post.url),
        created_at=post.created_at,
        created_display=clock.format(post.created_at),
        lang=lang,
        dir="rtl" if lang in RTL_LANGS else "auto",
        author=None
        if author is None
        else schema.Author(id=author.id, handle=author.handle, name=author.name, url=safe_url(author.url)),
        title=post.title,
        segments=segments(enrichment.text, enrichment.mentions),
        hashtags=[t.lstrip("#") for t in (post.hashtags or enrichment.hashtags)],
        sentiment=round(enrichment.sentiment, 4),
        sentiment_label=enrichment.sentiment_label,
        brands=[schema.BrandTone(brand=b, sentiment=round(s, 4)) for b, s in tones.items()],
        engagement=schema.Engagement(
            likes=e.likes,
            reposts=e.reposts,
            replies=e.replies,
            views=e.views,
            total=(e.likes or 0) + (e.reposts or 0) + (e.replies or 0),
        ),
    )


def search_query(text: str, scope: Scope) -> str:
    """The user's query (checked alone, so errors point into it) narrowed by the filters."""
    if len(text) > MAX_QUERY:
        raise BadRequest(f"the query is longer than {MAX_QUERY} characters", param="q")
    try:
        parse(text)
    except QuerySyntaxError as exc:
        reason = str(exc).splitlines()[0].rsplit(" at position ", 1)[0]
        raise BadRequest(reason, param="q", query=text, position=exc.position) from None
    parts = [f"({text})"]
    for field, value in (("brand", scope.brand), ("platform", scope.platform), ("lang", scope.lang)):
        if value is not None:
            if '"' in value:
                raise BadRequest(f"{field} {value!r} contains a double quote and cannot be searched", param=field)
            parts.append(f'{field}:"{value}"')
    return " ".join(parts)


async def posts_view(request: web.Request) -> schema.Posts:
    """GET /api/posts: the filtered posts, or the posts matching `q`, a page at a time."""
    env = Env.of(request)
    scope = env.scope(request)
    order = choice(request.query, "order", ("newest", "engagement"), "newest")
    limit = integer(request.query, "limit", 20, 1, 100)
    offset = integer(request.query, "offset", 0, 0, 10_000)
    text = request.query.get("q", "").strip()
    if text:
        query = search_query(text, scope)
        wanted = max(ENGAGEMENT_POOL, offset + limit + 1) if order == "engagement" else offset + limit + 1
        found = await env.store.search(query, since=scope.since, until=scope.until, limit=wanted)
        if order == "engagement":
            found.sort(key=lambda p: _engagement(p), reverse=True)
        page = found[offset : offset + limit + 1]
    else:
        page = await env.store.posts(
            scope.since,
            scope.until,
            where=scope.where(),
            order="engagement" if order == "engagement" else "newest",
            limit=limit + 1,
            offset=offset,
        )
    return schema.Posts(
        window=scope.window(env.clock),
        filters=scope.filters(),
        query=text or None,
        order="engagement" if order == "engagement" else "newest",
        offset=offset,
        posts=[post_item(p, env.clock) for p in page[:limit]],
        more=len(page) > limit,
    )


def _engagement(stored: EnrichedPost) -> tuple[int, float]:
    e = stored.post.engagement
    return (e.likes or 0) + (e.reposts or 0) + (e.replies or 0), stored.post.created_at.timestamp()
