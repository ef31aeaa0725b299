"""`trendwatch grafana push`: create or update the dashboards in a running Grafana.

Uses the maintained `grafana-client` package (its asyncio API) against Grafana's HTTP API:
`/api/frontend/settings` (version, and a cheap check of the token), `/api/folders`,
`/api/datasources/uid/...` (warns when the datasources the dashboards need are missing),
`/api/search` and `/api/dashboards/uid/...` (what is there now), `/api/dashboards/db` (save).

Idempotent: a dashboard whose stored JSON already equals ours (ignoring Grafana's `id` and
`version`) and that sits in the right folder is left alone, so pushing twice changes nothing and
adds no version to Grafana's history. An update sends the version it read; if someone saved the
dashboard in between, Grafana answers 412 and that dashboard is reported as a conflict (run again,
or pass `--overwrite`) while the others are still pushed. 5xx answers, timeouts and dropped
connections are retried with backoff; a 401 or 403 stops at once with what to fix. The token is
never logged or echoed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import urlparse

import structlog
from grafana_client import AsyncGrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaServerError,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)

from trendwatch import __version__
from trendwatch.errors import TrendwatchError
from trendwatch.service.grafana.contract import ALERTS_INDEX, POSTS_INDEX
from trendwatch.service.grafana.provisioning import folder_uid

log = structlog.get_logger(__name__)

Action = Literal["created", "updated", "unchanged", "failed"]
T = TypeVar("T")
_VOLATILE = ("id", "version")


class PushError(TrendwatchError):
    """Pushing cannot go on: Grafana unreachable, the token refused, an answer that is not the API."""


@dataclass(frozen=True, slots=True)
class PushOutcome:
    uid: str
    title: str
    action: Action
    version: int | None = None
    url: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PushReport:
    grafana_version: str | None
    folder_uid: str
    folder_created: bool
    outcomes: tuple[PushOutcome, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(o.action != "failed" for o in self.outcomes)


class _Refused(Exception):
    """A 4xx answer other than 401/403, for the caller to interpret (404, 409, 412, 400)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(str(message or body or f"HTTP {status}"))

    @property
    def reason(self) -> str:
        return str(self.body.get("status", "")) if isinstance(self.body, dict) else ""


class GrafanaPusher:
    """Pushes dashboards (Grafana JSON dicts with a `uid`) into one folder of one Grafana."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        folder: str = "trendwatch",
        overwrite: bool = False,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PushError(f"--url must be Grafana's address, like https://grafana.example.com (got {url!r})")
        if not token:
            raise PushError("a Grafana token is needed: pass --token or set GRAFANA_TOKEN (a service account token)")
        if not folder.strip():
            raise PushError("--folder cannot be empty")
        self.url = url.rstrip("/")
        self.folder = folder.strip()
        self.overwrite = overwrite
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._api = AsyncGrafanaApi.from_url(self.url, credential=token, timeout=timeout)

    async def push(self, dashboards: Sequence[dict[str, Any]]) -> PushReport:
        try:
            return await self._push(dashboards)
        finally:
            await self._api.client.s.close()

    async def _push(self, dashboards: Sequence[dict[str, Any]]) -> PushReport:
        info = await self._call("read Grafana's version", self._api.health.check)
        version = info.get("version") if isinstance(info, dict) else None
        log.info("grafana reached", url=self.url, version=version)
        uid, created = await self._ensure_folder()
        warnings = await self._check_datasources()
        found = await self._call(
            "search dashboards", lambda: self._api.search.search_dashboards(tag="trendwatch", type_="dash-db")
        )
        existing = {hit["uid"]: hit for hit in found or [] if isinstance(hit, dict) and "uid" in hit}
        outcomes = [await self._push_one(board, uid, uid_known=board.get("uid") in existing) for board in dashboards]
        for outcome in outcomes:
            log.info("grafana dashboard", uid=outcome.uid, action=outcome.action, problem=outcome.problem)
        return PushReport(version, uid, created, tuple(outcomes), tuple(warnings))

    async def _ensure_folder(self) -> tuple[str, bool]:
        wanted = folder_uid(self.folder)
        match = await self._find_folder(wanted)
        if match is not None:
            return match, False
        try:
            made = await self._call(
                "create the folder", lambda: self._api.folder.create_folder(self.folder, uid=wanted)
            )
            log.info("grafana folder created", folder=self.folder, uid=made.get("uid", wanted))
            return str(made.get("uid", wanted)), True
        except _Refused as exc:
            if exc.status in (409, 412):  # created by someone else meanwhile, or same title elsewhere
                match = await self._find_folder(wanted)
                if match is not None:
                    return match, False
            raise PushError(f"Grafana refused to create folder {self.folder!r}: {exc}") from None

    async def _find_folder(self, wanted: str) -> str | None:
        folders = await self._call("list folders", self._api.folder.get_all_folders)
        for item in folders or []:
            if isinstance(item, dict) and (item.get("uid") == wanted or item.get("title") == self.folder):
                return str(item["uid"])
        return None

    async def _check_datasources(self) -> list[str]:
        warnings = []
        for uid in (POSTS_INDEX, ALERTS_INDEX):
            try:
                await self._call(f"look up datasource {uid}", partial(self._api.datasource.get_datasource_by_uid, uid))
            except _Refused as exc:
                if exc.status != 404:
                    raise PushError(f"looking up datasource {uid}: Grafana answered {exc.status}: {exc}") from None
                warnings.append(
                    f"datasource {uid!r} does not exist in Grafana: its panels will say 'datasource not found'. "
                    "Provision it with the file written by `trendwatch grafana export` "
                    "(provisioning/datasources/trendwatch.yaml)."
                )
        return warnings

    async def _push_one(self, board: dict[str, Any], folder: str, *, uid_known: bool) -> PushOutcome:
        uid, title = str(board.get("uid", "")), str(board.get("title", ""))
        current: dict[str, Any] | None = None
        sent = 0  # save requests made (more than one: retried)
        try:
            if uid_known:
                try:
                    current = await self._call(f"read dashboard {uid}", lambda: self._api.dashboard.get_dashboard(uid))
                except _Refused as exc:
                    if exc.status != 404:
                        raise
            if (same := _holding(current, board, folder)) is not None:
                return PushOutcome(uid, title, "unchanged", *same)
            stored = (current or {}).get("dashboard") or {}
            payload = {
                "dashboard": {**board, "id": stored.get("id"), "version": stored.get("version", 0)},
                "folderUid": folder,
                "overwrite": self.overwrite,
                "message": f"trendwatch {__version__}: grafana push",
            }

            async def save() -> Any:
                nonlocal sent
                sent += 1
                return await self._api.dashboard.update_dashboard(payload)

            saved = await self._call(f"save dashboard {uid}", save)
        except _Refused as exc:
            if exc.status == 412 and sent > 1:
                # A save retried after a timeout or 5xx that Grafana had in fact applied meets our
                # own new version: if what Grafana holds now is ours, the push did its work.
                ours = await self._ours_after_retry(uid, board, folder)
                if ours is not None:
                    return PushOutcome(uid, title, "updated" if current else "created", *ours)
            return PushOutcome(uid, title, "failed", problem=_explain_refusal(exc, title, self.folder))
        except PushError as exc:
            if isinstance(exc, _Fatal):
                raise
            return PushOutcome(uid, title, "failed", problem=str(exc))
        action: Action = "updated" if current else "created"
        return PushOutcome(uid, title, action, saved.get("version"), saved.get("url"))

    async def _ours_after_retry(
        self, uid: str, board: dict[str, Any], folder: str
    ) -> tuple[int | None, str | None] | None:
        """(version, url) when Grafana now holds exactly `board` in `folder`; None when it does
        not, or cannot say (the save is then reported as failed, like any other)."""
        try:
            current = await self._call(f"read dashboard {uid}", lambda: self._api.dashboard.get_dashboard(uid))
        except _Fatal:
            raise
        except (_Refused, PushError):
            return None
        return _holding(current, board, folder)

    async def _call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        """Run one API request: retry 5xx/timeouts/connection errors, sort out 4xx answers."""
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                return await request()
            except GrafanaUnauthorizedError:
                raise _Fatal(
                    "Grafana rejected the token (HTTP 401): check --token / GRAFANA_TOKEN; "
                    "use a service account token with the Editor role"
                ) from None
            except GrafanaServerError as exc:
                last = f"HTTP {exc.status_code}: {_message(exc.response)}"
            except GrafanaTimeoutError:
                last = "timed out"
            except GrafanaClientError as exc:
                if exc.status_code == 403:
                    raise _Fatal(
                        f"Grafana refused to {what} (HTTP 403): the token's account needs the Editor role "
                        "(or dashboards:write and folders:create permissions)"
                    ) from None
                raise _Refused(exc.status_code, exc.response) from None
            except GrafanaException as exc:  # wrapped transport errors: status 0
                last = f"connection failed ({exc.message})"
            except ValueError:  # before OSError: niquests' JSONDecodeError is both
                raise _Fatal(
                    f"Grafana's answer to '{what}' was not JSON: is {self.url} Grafana's address "
                    "(not a login page or another service)?"
                ) from None
            except OSError as exc:  # connection refused, DNS, TLS (niquests' errors are OSErrors)
                last = f"connection failed ({type(exc).__name__})"
            if attempt < self.attempts:
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("grafana request failed, retrying", what=what, problem=last, attempt=attempt, delay=delay)
                await asyncio.sleep(delay)
        raise PushError(f"could not {what} at {self.url}: {last} ({self.attempts} attempts)")


def _holding(
    current: dict[str, Any] | None, board: dict[str, Any], folder: str
) -> tuple[int | None, str | None] | None:
    """(version, url) when `current` (Grafana's answer to a read) is `board` in `folder`, else None."""
    stored = (current or {}).get("dashboard") or {}
    meta = (current or {}).get("meta") or {}
    if not current or _comparable(stored) != _comparable(board) or meta.get("folderUid") != folder:
        return None
    return stored.get("version"), meta.get("url")


class _Fatal(PushError):
    """A push error that concerns every dashboard (bad token, not a Grafana): stop at once."""


def _comparable(board: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in board.items() if k not in _VOLATILE}


def _message(body: Any) -> str:
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    text = str(body or "").strip()
    return text[:200] if text else "no details"


def _explain_refusal(exc: _Refused, title: str, folder: str) -> str:
    if exc.status == 412 and exc.reason == "version-mismatch":
        return (
            "changed in Grafana while pushing (HTTP 412 version-mismatch); run the push again, "
            "or pass --overwrite to replace it regardless"
        )
    if exc.status == 412 and exc.reason == "name-exists":
        return (
            f"another dashboard titled {title!r} already exists in folder {folder!r} (HTTP 412 name-exists); "
            "rename or delete it, or pass --overwrite"
        )
    if exc.status == 412:
        return f"Grafana refused the save (HTTP 412 {exc.reason or ''}): {exc}".replace("  ", " ")
    return f"Grafana refused the save (HTTP {exc.status}): {exc}"
