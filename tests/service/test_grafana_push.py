"""`trendwatch grafana push` against a local server speaking Grafana's HTTP API.

The server implements the endpoints grafana-client uses for a push, with Grafana's semantics:
bearer-token auth (401), folders, datasource lookup, search, dashboards by uid, and
`POST /api/dashboards/db` with optimistic locking (412 version-mismatch, 412 name-exists).
Faults (5xx, a concurrent save, a non-JSON page) are injected per test.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from typer.testing import CliRunner

from trendwatch.service.cli import app as cli_app
from trendwatch.service.grafana import catalog
from trendwatch.service.grafana.export import dashboard_dict
from trendwatch.service.grafana.push import GrafanaPusher, PushError

TOKEN = "glsa_test_token_0123456789"


@dataclass
class FakeGrafana:
    """State of the fake Grafana, and the faults to inject."""

    token: str = TOKEN
    role: str = "Editor"
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: set[str] = field(default_factory=lambda: {"trendwatch-posts", "trendwatch-alerts"})
    faults: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    concurrent_edit: set[str] = field(default_factory=set)
    lost_answers: dict[str, str] = field(default_factory=dict)  # uid -> "502" or "timeout", once
    html_settings: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/frontend/settings", self.settings)
        app.router.add_get("/api/health", self.health)
        app.router.add_get("/api/folders", self.list_folders)
        app.router.add_post("/api/folders", self.create_folder)
        app.router.add_get("/api/datasources/uid/{uid}", self.datasource)
        app.router.add_get("/api/search", self.search)
        app.router.add_get("/api/dashboards/uid/{uid}", self.get_dashboard)
        app.router.add_post("/api/dashboards/db", self.save_dashboard)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if request.path != "/api/health" and request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        for (method, pattern), statuses in self.faults.items():
            if method == request.method and re.fullmatch(pattern, request.path) and statuses:
                status = statuses.pop(0)
                return web.json_response({"message": f"injected {status}"}, status=status)
        return await handler(request)

    async def settings(self, request: web.Request) -> web.StreamResponse:
        if self.html_settings:
            return web.Response(text="<html><body>Please sign in</body></html>", content_type="application/json")
        return web.json_response({"buildInfo": {"version": "11.4.0", "edition": "Open Source"}})

    async def health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"database": "ok", "version": "11.4.0"})

    async def list_folders(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in self.folders.values()])

    async def create_folder(self, request: web.Request) -> web.StreamResponse:
        if self.role == "Viewer":
            return web.json_response({"message": "Access denied"}, status=403)
        body = await request.json()
        uid, title = body.get("uid"), body["title"]
        if uid in self.folders or any(f["title"] == title for f in self.folders.values()):
            return web.json_response({"message": "a folder with the same name already exists"}, status=409)
        folder = {"id": self._id(), "uid": uid, "title": title, "version": 1, "url": f"/dashboards/f/{uid}/"}
        self.folders[uid] = folder
        return web.json_response(folder)

    async def datasource(self, request: web.Request) -> web.StreamResponse:
        uid = request.match_info["uid"]
        if uid not in self.datasources:
            return web.json_response({"message": "Data source not found"}, status=404)
        return web.json_response({"uid": uid, "type": "elasticsearch", "name": uid})

    async def search(self, request: web.Request) -> web.StreamResponse:
        tags = request.query.getall("tag", [])
        hits = [
            {
                "uid": uid,
                "title": entry["dashboard"]["title"],
                "type": "dash-db",
                "tags": entry["dashboard"].get("tags", []),
                "folderUid": entry["meta"]["folderUid"],
                "url": entry["meta"]["url"],
            }
            for uid, entry in self.dashboards.items()
            if all(tag in entry["dashboard"].get("tags", []) for tag in tags)
        ]
        return web.json_response(hits)

    async def get_dashboard(self, request: web.Request) -> web.StreamResponse:
        uid = request.match_info["uid"]
        entry = self.dashboards.get(uid)
        if entry is None:
            return web.json_response({"message": "Dashboard not found"}, status=404)
        answer = copy.deepcopy(entry)
        if uid in self.concurrent_edit:  # someone saves right after we read
            self.concurrent_edit.discard(uid)
            entry["dashboard"]["version"] += 1
            entry["dashboard"]["description"] = "edited in the UI"
        return web.json_response(answer)

    async def save_dashboard(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        board, folder, overwrite = body["dashboard"], body.get("folderUid"), body.get("overwrite", False)
        if not board.get("title"):
            return web.json_response({"message": "Dashboard title cannot be empty"}, status=400)
        if folder not in self.folders:
            return web.json_response({"message": "folder not found"}, status=400)
        uid = board["uid"]
        existing = self.dashboards.get(uid)
        if existing and not overwrite and board.get("version") != existing["dashboard"]["version"]:
            return web.json_response(
                {"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}, status=412
            )
        clash = any(
            other_uid != uid and e["dashboard"]["title"] == board["title"] and e["meta"]["folderUid"] == folder
            for other_uid, e in self.dashboards.items()
        )
        if clash and not overwrite:
            return web.json_response(
                {"status": "name-exists", "message": "A dashboard with the same name in the folder already exists"},
                status=412,
            )
        version = existing["dashboard"]["version"] + 1 if existing else 1
        stored = {**board, "id": existing["dashboard"]["id"] if existing else self._id(), "version": version}
        url = f"/d/{uid}/{uid}"
        self.dashboards[uid] = {"dashboard": stored, "meta": {"folderUid": folder, "url": url, "version": version}}
        lost = self.lost_answers.pop(uid, None)  # applied, but the answer never reaches the client
        if lost == "timeout":
            await asyncio.sleep(3)
        elif lost is not None:
            return web.json_response({"message": "Bad Gateway"}, status=int(lost))
        return web.json_response({"id": stored["id"], "uid": uid, "url": url, "status": "success", "version": version})

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def saves(self) -> int:
        return sum(1 for method, path in self.requests if (method, path) == ("POST", "/api/dashboards/db"))


@pytest.fixture
def boards() -> list[dict[str, Any]]:
    return [dashboard_dict(d) for d in catalog.build_dashboards()]


@pytest.fixture
async def grafana(aiohttp_server: Any) -> tuple[FakeGrafana, str]:
    fake = FakeGrafana()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/")).rstrip("/")


def pusher(url: str, **kwargs: Any) -> GrafanaPusher:
    kwargs.setdefault("backoff", 0)
    return GrafanaPusher(url, kwargs.pop("token", TOKEN), **kwargs)


def _without_volatile(board: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in board.items() if k not in ("id", "version")}


async def test_push_creates_the_folder_and_every_dashboard(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    report = await pusher(url).push(boards)
    assert report.ok
    assert report.folder_created
    assert report.grafana_version == "11.4.0"
    assert [o.action for o in report.outcomes] == ["created"] * 4
    assert list(fake.folders) == ["trendwatch"]
    assert report.warnings == ()
    for board in boards:
        stored = fake.dashboards[board["uid"]]
        assert stored["meta"]["folderUid"] == "trendwatch"
        assert _without_volatile(stored["dashboard"]) == _without_volatile(board)


async def test_pushing_twice_changes_nothing(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    await pusher(url).push(boards)
    saves, versions = fake.saves(), {uid: e["dashboard"]["version"] for uid, e in fake.dashboards.items()}
    report = await pusher(url).push(boards)
    assert [o.action for o in report.outcomes] == ["unchanged"] * 4
    assert fake.saves() == saves, "an unchanged dashboard was saved again"
    assert {uid: e["dashboard"]["version"] for uid, e in fake.dashboards.items()} == versions
    assert not report.folder_created
    assert len(fake.folders) == 1


async def test_a_changed_dashboard_is_updated_with_its_stored_version(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    await pusher(url).push(boards)
    overview = fake.dashboards["trendwatch-overview"]["dashboard"]
    overview["title"], overview["version"] = "renamed in the UI", overview["version"] + 1
    report = await pusher(url).push(boards)
    actions = {o.uid: o.action for o in report.outcomes}
    assert actions["trendwatch-overview"] == "updated"
    assert [a for uid, a in actions.items() if uid != "trendwatch-overview"] == ["unchanged"] * 3
    assert fake.dashboards["trendwatch-overview"]["dashboard"]["title"] == "trendwatch / Overview"
    assert report.outcomes[0].version == 3


async def test_a_dashboard_moved_to_another_folder_is_moved_back(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    await pusher(url).push(boards)
    fake.folders["other"] = {"id": 99, "uid": "other", "title": "other", "version": 1}
    fake.dashboards["trendwatch-alerts"]["meta"]["folderUid"] = "other"
    report = await pusher(url).push(boards)
    assert {o.uid: o.action for o in report.outcomes}["trendwatch-alerts"] == "updated"
    assert fake.dashboards["trendwatch-alerts"]["meta"]["folderUid"] == "trendwatch"


async def test_a_concurrent_save_is_a_412_conflict_reported_per_dashboard(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    await pusher(url).push(boards)
    for entry in fake.dashboards.values():  # every dashboard differs from ours now
        entry["dashboard"]["description"] = "old"
    fake.concurrent_edit.add("trendwatch-brand")
    report = await pusher(url).push(boards)
    outcome = {o.uid: o for o in report.outcomes}
    assert not report.ok
    assert outcome["trendwatch-brand"].action == "failed"
    assert "412" in (outcome["trendwatch-brand"].problem or "")
    assert "--overwrite" in (outcome["trendwatch-brand"].problem or "")
    assert [o.action for uid, o in outcome.items() if uid != "trendwatch-brand"] == ["updated"] * 3
    assert fake.dashboards["trendwatch-brand"]["dashboard"]["description"] == "edited in the UI"

    forced = await pusher(url, overwrite=True).push(boards)
    assert forced.ok
    assert {o.uid: o.action for o in forced.outcomes}["trendwatch-brand"] == "updated"


async def test_a_same_titled_dashboard_in_the_folder_is_a_412_name_clash(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    fake.folders["trendwatch"] = {"id": 5, "uid": "trendwatch", "title": "trendwatch", "version": 1}
    fake.dashboards["hand-made"] = {
        "dashboard": {"uid": "hand-made", "title": "trendwatch / Overview", "id": 7, "version": 4, "tags": []},
        "meta": {"folderUid": "trendwatch", "url": "/d/hand-made/x", "version": 4},
    }
    report = await pusher(url).push(boards)
    outcome = {o.uid: o for o in report.outcomes}
    assert outcome["trendwatch-overview"].action == "failed"
    assert "name-exists" in (outcome["trendwatch-overview"].problem or "")
    assert sum(o.action == "created" for o in report.outcomes) == 3
    assert not report.folder_created


async def test_a_wrong_token_stops_with_401_and_the_token_is_not_echoed(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    wrong = "glsa_wrong_secret_value"
    with pytest.raises(PushError, match="401") as caught:
        await pusher(url, token=wrong).push(boards)
    assert wrong not in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert fake.dashboards == {}
    assert fake.folders == {}


async def test_a_viewer_token_stops_with_403(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    fake.role = "Viewer"
    with pytest.raises(PushError, match=r"403.*Editor"):
        await pusher(url).push(boards)
    assert fake.dashboards == {}


async def test_server_errors_are_retried(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    fake.faults[("POST", "/api/dashboards/db")] = [502, 503]
    fake.faults[("GET", "/api/folders")] = [500]
    report = await pusher(url).push(boards)
    assert report.ok
    assert [o.action for o in report.outcomes] == ["created"] * 4
    assert fake.saves() == 6  # two refused, then four saved


async def test_persistent_server_errors_fail_the_dashboards_not_the_run(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    fake.faults[("POST", "/api/dashboards/db")] = [500] * 6  # 3 attempts for each of the first two
    report = await pusher(url).push(boards)
    actions = [o.action for o in report.outcomes]
    assert actions == ["failed", "failed", "created", "created"]
    assert "HTTP 500" in (report.outcomes[0].problem or "")
    assert "3 attempts" in (report.outcomes[0].problem or "")
    assert not report.ok


async def test_missing_datasources_are_reported(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    fake.datasources = {"trendwatch-posts"}
    report = await pusher(url).push(boards)
    assert report.ok
    assert len(report.warnings) == 1
    assert "trendwatch-alerts" in report.warnings[0]


async def test_a_page_that_is_not_the_api_is_a_clear_error(grafana: tuple[FakeGrafana, str], boards: list) -> None:
    fake, url = grafana
    fake.html_settings = True
    with pytest.raises(PushError, match="not JSON"):
        await pusher(url).push(boards)


async def test_an_unreachable_grafana_is_a_clear_error(unused_tcp_port: int, boards: list) -> None:
    with pytest.raises(PushError, match=r"could not read Grafana's version.*connection failed.*2 attempts"):
        await pusher(f"http://127.0.0.1:{unused_tcp_port}", attempts=2, timeout=2).push(boards)


@pytest.mark.parametrize(
    ("url", "token", "folder", "message"),
    [
        ("grafana.example.com", TOKEN, "trendwatch", "--url must be"),
        ("http://grafana:3000", "", "trendwatch", "token is needed"),
        ("http://grafana:3000", TOKEN, "  ", "--folder"),
    ],
)
def test_bad_arguments_are_clear_errors(url: str, token: str, folder: str, message: str) -> None:
    with pytest.raises(PushError, match=message):
        GrafanaPusher(url, token, folder=folder)


async def test_cli_push_prints_a_summary_and_fails_on_conflict(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    runner = CliRunner()
    args = ["grafana", "push", "--url", url, "--folder", "Brand watch"]
    first = await asyncio.to_thread(runner.invoke, cli_app, args, env={"GRAFANA_TOKEN": TOKEN})
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert "trendwatch-overview" in first.output
    assert list(fake.folders) == ["brand-watch"]
    assert fake.folders["brand-watch"]["title"] == "Brand watch"
    assert TOKEN not in first.output

    fake.dashboards["trendwatch-overview"]["dashboard"]["description"] = "changed"
    fake.concurrent_edit.add("trendwatch-overview")
    second = await asyncio.to_thread(runner.invoke, cli_app, [*args, "--token", TOKEN])
    assert second.exit_code == 1, second.output
    assert "version-mismatch" in second.output

    missing = await asyncio.to_thread(
        runner.invoke, cli_app, ["grafana", "push", "--url", url], env={"GRAFANA_TOKEN": ""}
    )
    assert missing.exit_code == 2
    assert "token" in missing.output


@pytest.mark.parametrize("lost", ["502", "timeout"])
async def test_a_retried_save_that_grafana_had_applied_is_not_a_conflict(
    grafana: tuple[FakeGrafana, str], boards: list, lost: str
) -> None:
    """Bug: Grafana applied a save but its answer was lost (5xx from a proxy, a timeout); the
    retry then met our own new version (412 version-mismatch) and was reported as someone
    else's change."""
    fake, url = grafana
    await pusher(url).push(boards)
    for entry in fake.dashboards.values():  # every dashboard differs from ours: each is saved
        entry["dashboard"]["description"] = "old"
    fake.lost_answers["trendwatch-brand"] = lost
    fake.lost_answers["trendwatch-alerts"] = lost
    del fake.dashboards["trendwatch-alerts"]  # and one is created afresh
    report = await pusher(url, timeout=1).push(boards)
    outcome = {o.uid: o for o in report.outcomes}
    assert report.ok, [o.problem for o in report.outcomes]
    assert outcome["trendwatch-brand"].action == "updated"
    assert outcome["trendwatch-alerts"].action == "created"
    assert outcome["trendwatch-brand"].version == fake.dashboards["trendwatch-brand"]["dashboard"]["version"]
    for uid in ("trendwatch-brand", "trendwatch-alerts"):
        stored = fake.dashboards[uid]["dashboard"]
        assert _without_volatile(stored) == _without_volatile(next(b for b in boards if b["uid"] == uid))
    assert not fake.lost_answers, "both saves were applied before their answers were lost"


async def test_a_retried_save_that_cannot_be_checked_fails_that_dashboard_only(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    """Bug: when re-reading the dashboard after a 412 failed too (retries used up), the error
    escaped and stopped the whole push."""
    fake, url = grafana
    await pusher(url).push(boards)
    del fake.dashboards["trendwatch-alerts"]  # created afresh: no read before the save
    fake.lost_answers["trendwatch-alerts"] = "502"
    fake.faults[("GET", "/api/dashboards/uid/trendwatch-alerts")] = [502] * 20
    report = await pusher(url, timeout=1).push(boards)
    outcome = {o.uid: o for o in report.outcomes}
    assert len(outcome) == len(boards)
    assert outcome["trendwatch-alerts"].action == "failed"
    assert outcome["trendwatch-alerts"].problem
    assert {o.action for uid, o in outcome.items() if uid != "trendwatch-alerts"} == {"unchanged"}


async def test_a_retried_save_meeting_someone_elses_change_is_still_a_conflict(
    grafana: tuple[FakeGrafana, str], boards: list
) -> None:
    fake, url = grafana
    await pusher(url).push(boards)
    fake.dashboards["trendwatch-brand"]["dashboard"]["description"] = "old"
    # The first save fails with a 502 before Grafana applies it; meanwhile someone edits in the UI.
    fake.faults[("POST", "/api/dashboards/db")] = [502]
    fake.concurrent_edit.add("trendwatch-brand")
    report = await pusher(url).push(boards)
    outcome = {o.uid: o for o in report.outcomes}["trendwatch-brand"]
    assert outcome.action == "failed"
    assert "version-mismatch" in (outcome.problem or "")
    assert fake.dashboards["trendwatch-brand"]["dashboard"]["description"] == "edited in the UI"
