"""The exported dashboards are valid Grafana dashboards that only ask for what the index holds.

Checked on the files `trendwatch grafana export` writes (what Grafana will read):
decoded back through the Foundation SDK's typed models (every panel's options and every
Elasticsearch target must decode into their typed classes, and re-encode to the same JSON), laid
out on Grafana's 24-column grid without overlaps, using only fields of the Elasticsearch contract
(docs/ARCHITECTURE.md) and only template variables the dashboard defines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import plugins as sdk_plugins
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import elasticsearch as esm
from typer.testing import CliRunner

from trendwatch.config import DisplayConfig
from trendwatch.service.cli import app as cli_app
from trendwatch.service.grafana import catalog
from trendwatch.service.grafana.annotations import ElasticsearchAnnotation
from trendwatch.service.grafana.contract import ALERTS_INDEX, POSTS_INDEX, fields_of
from trendwatch.service.grafana.export import export
from trendwatch.service.grafana.provisioning import ProvisioningOptions

REPO = Path(__file__).resolve().parents[2]
BUILTIN_VARIABLES = {"__all", "__interval", "__interval_ms", "__value", "__auto_interval_interval"}
LUCENE_FIELD = re.compile(r"(?<![\w.\\])([A-Za-z_][\w.]*):")
SCRIPT_FIELD = re.compile(r"doc\['([^']+)'\]")
VARIABLE = re.compile(r"\$\{?(\w+)")

sdk_plugins.register_default_plugins()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("grafana")
    export(directory, catalog.build_dashboards(), ProvisioningOptions())
    return directory


def _load(exported: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((exported / "dashboards").glob("*.json"))}


def _plain(model: Any) -> Any:
    return json.loads(json.dumps(model, default=lambda o: o.to_json()))


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in board.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def test_export_writes_four_dashboards(exported: Path) -> None:
    boards = _load(exported)
    assert sorted(boards) == sorted(uid for uid, _ in catalog.DASHBOARDS)
    titles = {b["title"] for b in boards.values()}
    assert titles == {
        "trendwatch / Overview",
        "trendwatch / Competitor comparison",
        "trendwatch / Brand drill-down",
        "trendwatch / Alerts",
    }


@pytest.mark.parametrize("uid", [uid for uid, _ in catalog.DASHBOARDS])
def test_dashboard_decodes_into_the_sdk_typed_models(exported: Path, uid: str) -> None:
    data = _load(exported)[uid]
    model = dm.Dashboard.from_json(data)
    assert model.uid == uid
    for panel in model.panels or []:
        if isinstance(panel, dm.RowPanel):
            continue
        assert panel.options is not None, f"{panel.title}: no options"
        assert not isinstance(panel.options, dict), f"{panel.title}: untyped options"
        assert type(panel.options).__module__.startswith("grafana_foundation_sdk.models."), panel.title
        for target in panel.targets or []:
            assert isinstance(target, esm.Dataquery), f"{panel.title}: target is {type(target).__name__}"
            assert target.metrics, f"{panel.title}: a target without metrics"
    reencoded = _plain(model)
    annotations = data.get("annotations", {}).get("list", [])
    for raw in annotations:  # the Elasticsearch keys the SDK's AnnotationQuery does not model
        assert _plain(ElasticsearchAnnotation.from_json(raw)) == raw
        assert raw["datasource"]["uid"] == ALERTS_INDEX
        assert raw["timeField"] == "at"
    strip = {k: v for k, v in data.items() if k != "annotations"}
    assert {k: v for k, v in reencoded.items() if k != "annotations"} == strip


@pytest.mark.parametrize("uid", [uid for uid, _ in catalog.DASHBOARDS])
def test_layout_fits_the_grid_without_overlaps(exported: Path, uid: str) -> None:
    board = _load(exported)[uid]
    cells: dict[tuple[int, int], str] = {}
    ids = [p["id"] for p in _panels(board)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert min(pos["w"], pos["h"], pos["x"]) >= 0, panel["title"]
        assert pos["w"] > 0, panel["title"]
        assert pos["h"] > 0, panel["title"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = panel["title"]


def _fields_in_target(target: dict[str, Any]) -> set[str]:
    fields = set()
    queries = [target.get("query") or ""]
    for metric in target.get("metrics", []):
        if metric.get("field"):
            fields.add(metric["field"])
        script = (metric.get("settings") or {}).get("script") or ""
        fields.update(SCRIPT_FIELD.findall(script if isinstance(script, str) else json.dumps(script)))
    for bucket in target.get("bucketAggs", []):
        if bucket.get("field"):
            fields.add(bucket["field"])
        queries += [f.get("query", "") for f in (bucket.get("settings") or {}).get("filters", [])]
    for query in queries:
        fields.update(LUCENE_FIELD.findall(query))
    return fields


@pytest.mark.parametrize("uid", [uid for uid, _ in catalog.DASHBOARDS])
def test_panels_use_only_fields_of_the_elasticsearch_contract(exported: Path, uid: str) -> None:
    board = _load(exported)[uid]
    seen = 0
    for panel in _panels(board):
        if panel.get("targets"):
            assert panel["datasource"] == panel["targets"][0]["datasource"], f"{panel['title']}: panel datasource"
        for target in panel.get("targets", []):
            index = target["datasource"]["uid"]
            assert index in (POSTS_INDEX, ALERTS_INDEX)
            assert target["timeField"] == ("at" if index == ALERTS_INDEX else "created_at")
            known = fields_of(index)
            used = _fields_in_target(target)
            seen += len(used)
            assert used <= set(known), f"{panel['title']}: not in the {index} contract: {used - set(known)}"
        for transformation in panel.get("transformations", []):
            names = transformation.get("options", {}).get("includeByName", {})
            index = panel["targets"][0]["datasource"]["uid"]
            assert set(names) <= set(fields_of(index)), f"{panel['title']}: {set(names) - set(fields_of(index))}"
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            field = json.loads(variable["query"])["field"]
            assert field in fields_of(variable["datasource"]["uid"])
    assert seen > 10


def test_the_field_check_catches_an_unknown_field() -> None:
    target = {"query": "brand:$brand AND lang:fa", "metrics": [{"type": "avg", "field": "sentimnt"}], "bucketAggs": []}
    assert _fields_in_target(target) == {"brand", "lang", "sentimnt"}
    assert not _fields_in_target(target) <= set(fields_of(POSTS_INDEX))


@pytest.mark.parametrize("uid", [uid for uid, _ in catalog.DASHBOARDS])
def test_every_variable_used_is_defined(exported: Path, uid: str) -> None:
    board = _load(exported)[uid]
    defined = {v["name"] for v in board["templating"]["list"]}
    text = json.dumps([_panels(board), board.get("annotations", {})], ensure_ascii=False)
    used = set(VARIABLE.findall(text)) - BUILTIN_VARIABLES
    assert used <= defined, f"undefined variables: {used - defined}"
    expected = (
        {"rule", "brand", "interval"} if uid == "trendwatch-alerts" else {"brand", "platform", "lang", "interval"}
    )
    assert expected <= defined


def test_comparison_repeats_each_measure_per_brand(exported: Path) -> None:
    board = _load(exported)["trendwatch-comparison"]
    repeated = [p for p in board["panels"] if p.get("repeat")]
    assert len(repeated) == 5
    assert all(p["repeat"] == "brand" and p["repeatDirection"] == "h" and "$brand" in p["title"] for p in repeated)


def test_overview_has_the_alert_annotation_and_a_tone_interval(exported: Path) -> None:
    board = _load(exported)["trendwatch-overview"]
    (annotation,) = board["annotations"]["list"]
    assert annotation["target"]["query"].startswith("status:open")
    tone = next(p for p in board["panels"] if p["title"].startswith("Net sentiment per brand"))
    assert [t["alias"].split()[-1] for t in tone["targets"]] == ["net", "low", "high"]


def test_brand_drill_down_is_single_brand(exported: Path) -> None:
    board = _load(exported)["trendwatch-brand"]
    brand = next(v for v in board["templating"]["list"] if v["name"] == "brand")
    assert brand["multi"] is False
    assert brand["includeAll"] is False


def test_display_options_set_time_zone_and_week_start() -> None:
    display = DisplayConfig(timezone="Asia/Tehran", calendar="jalali", digits="persian", language="fa")
    for board in catalog.build_dashboards(catalog.DashboardOptions.from_display(display)):
        assert board.timezone == "Asia/Tehran"
        assert board.week_start == "saturday"
    assert all(b.timezone == "browser" and b.week_start is None for b in catalog.build_dashboards())


def test_provisioning_points_at_the_datasources_the_panels_use(exported: Path) -> None:
    sources = yaml.safe_load((exported / "provisioning/datasources/trendwatch.yaml").read_text(encoding="utf-8"))
    by_uid = {s["uid"]: s for s in sources["datasources"]}
    assert by_uid[POSTS_INDEX]["jsonData"]["index"] == POSTS_INDEX
    assert by_uid[POSTS_INDEX]["jsonData"]["timeField"] == "created_at"
    assert by_uid[ALERTS_INDEX]["jsonData"]["index"] == ALERTS_INDEX
    assert by_uid[ALERTS_INDEX]["jsonData"]["timeField"] == "at"
    for source in by_uid.values():
        assert source["type"] == "elasticsearch"
        assert source["url"] == "${TRENDWATCH_ES_URL}"
        assert source["secureJsonData"]["basicAuthPassword"] == "${GRAFANA_ES_PASSWORD}"
    providers = yaml.safe_load((exported / "provisioning/dashboards/trendwatch.yaml").read_text(encoding="utf-8"))
    (provider,) = providers["providers"]
    assert provider["folderUid"] == "trendwatch"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/trendwatch"


def test_committed_deploy_grafana_matches_the_code(tmp_path: Path) -> None:
    """deploy/grafana/ is `trendwatch grafana export deploy/grafana`: regenerate it when this fails."""
    export(tmp_path, catalog.build_dashboards(), ProvisioningOptions())
    committed = REPO / "deploy" / "grafana"
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    on_disk = sorted(
        p.relative_to(committed) for p in committed.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml")
    )
    assert on_disk == generated
    for path in generated:
        assert (committed / path).read_text(encoding="utf-8") == (tmp_path / path).read_text(encoding="utf-8"), path


def test_cli_export_writes_and_cleans_up(tmp_path: Path) -> None:
    stale = tmp_path / "dashboards" / "trendwatch-old.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")
    keep = tmp_path / "dashboards" / "someone-elses.json"
    keep.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["grafana", "export", str(tmp_path), "--folder", "Brand watch"])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    assert not stale.exists()
    assert keep.exists()
    assert len(list((tmp_path / "dashboards").glob("trendwatch-*.json"))) == 4
    provider = yaml.safe_load((tmp_path / "provisioning/dashboards/trendwatch.yaml").read_text(encoding="utf-8"))
    assert provider["providers"][0]["folder"] == "Brand watch"
    assert provider["providers"][0]["folderUid"] == "brand-watch"


def test_cli_export_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["grafana", "export", str(target)])
    assert result.exit_code == 1
    assert "not a directory" in result.output


def test_cli_export_with_a_broken_config_names_the_problem(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("brand:\n  name: Acme\ndisplay:\n  timezone: Mars/Olympus\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["grafana", "export", str(tmp_path / "out"), "-c", str(config)])
    assert result.exit_code == 2
    assert "display.timezone" in result.output
    assert "Mars/Olympus" in result.output
