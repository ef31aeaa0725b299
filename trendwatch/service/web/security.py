"""Safe by default: who may call the API, and what the browser may do with its answers.

- **Token.** When `web.token` is configured (the config requires one for any address but
  loopback), every `/api/*` and `/metrics` request must carry `Authorization: Bearer <token>`.
  The page and its static assets hold no data and load without it; the page asks for the token
  (or takes `?token=` once, then keeps it in the tab's session storage and drops it from the
  address bar) and sends it as that header. No cookie is involved, so no other site can make
  the browser call the API with the user's credentials.
- **Host.** Without a token the service trusts that only this machine can reach it. A web page
  elsewhere can still point a DNS name at 127.0.0.1 (DNS rebinding); the `Host` header gives
  that away, so without a token only loopback names, the bound host and the public URL's host
  are served.
- **Writes.** POST bodies must be JSON (a cross-site HTML form cannot send that without a CORS
  preflight, which is never granted) and a request with an `Origin` header must come from the
  service's own origin.
- **Rendering.** Every response carries a Content-Security-Policy allowing only the service's
  own scripts (no inline script, no eval), styles inline for the charting library, no frames,
  no plugins; plus nosniff, no referrer. Post text is still only ever set as text: the policy
  is the second line of defence, not the first.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from trendwatch.config import Settings
from trendwatch.service.web import schema

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def json_error(status: type[web.HTTPException], message: str, **fields: object) -> web.HTTPException:
    body = schema.ApiError.model_validate({"error": message, **fields})
    return status(text=body.model_dump_json(), content_type="application/json")


def _guarded(path: str) -> bool:
    return path.startswith("/api/") or path == "/metrics"


def _host_name(host: str) -> str:
    """`Host` header without the port, brackets and trailing dot, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def allowed_hosts(settings: Settings) -> frozenset[str]:
    hosts = set(LOOPBACK) | {settings.web.host.lower()}
    if settings.web.public_url:
        public = urlsplit(settings.web.public_url).hostname
        if public:
            hosts.add(public.lower())
    return frozenset(hosts)


def guard(settings: Settings) -> Middleware:
    """The middleware enforcing the module docstring's rules (decided once, here)."""
    token = settings.web.token.get_secret_value().encode() if settings.web.token else None
    hosts = allowed_hosts(settings)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None and _host_name(request.host) not in hosts:
            raise json_error(web.HTTPMisdirectedRequest, "this service answers only to its own host names")
        if token is not None and _guarded(request.path):
            given = request.headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token):
                raise json_error(web.HTTPUnauthorized, "a valid token is required (Authorization: Bearer <token>)")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
                raise json_error(web.HTTPForbidden, "cross-origin requests may not change anything")
            if request.content_type != "application/json":
                raise json_error(web.HTTPUnsupportedMediaType, "send the body as application/json")
        return await handler(request)

    return middleware


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the security headers on every response, errors and files included."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
