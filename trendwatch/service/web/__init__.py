"""trendwatch's own web app: the four views of the Grafana dashboards over a JSON API.

Overview, Competitor comparison, Brand drill-down and Alerts, drawn by one static page
(`trendwatch/service/static/`, charts by plotly.js from the installed plotly package: offline,
no CDN) from a JSON API documented by `openapi.json` (served at `/api/openapi.json`). The
service calls `create_app(store, settings, health)`; docs/webapp.md describes the whole.

Modules: `server` (the app, middlewares), `security` (token, host and origin checks, headers),
`routes` (every route, once), `params` (window and filters), `schema` (every JSON shape),
`figures` (tone, series, brand figures), one module per view (`overview`, `compare`,
`drilldown`, `alerts`, `posts`, `meta`), `openapi` (the document, from routes and schema).
"""

from trendwatch.service.web.server import create_app
from trendwatch.service.web.state import HEALTH, SETTINGS, STORE

__all__ = ["HEALTH", "SETTINGS", "STORE", "create_app"]
