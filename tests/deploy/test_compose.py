"""deploy/compose.yaml and the Dockerfile: valid, complete and consistent with each other.

Docker cannot run on the development machines, so nothing here starts a container. What is
checked: the compose file against the Compose specification's JSON schema
(../shared/contracts/compose/), the wiring the specification cannot see (health checks,
volumes, mounted paths that exist, variables Grafana's provisioning needs, secrets required
and documented), the users es-setup creates (by running its script with a recording `curl`),
and the Dockerfile's promises (no system packages, non-root, health check on /health).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import shared_path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
REQUIRED = re.compile(r"\$\{(\w+):\?")
REFERENCED = re.compile(r"(?<!\$)\$\{(\w+)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def compose_schema() -> jsonschema.Draft7Validator:
    schema = json.loads(shared_path("contracts", "compose", "compose-spec.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification(
    compose: dict[str, Any], compose_schema: jsonschema.Draft7Validator
) -> None:
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in compose_schema.iter_errors(compose)]
    assert problems == []


@pytest.mark.parametrize(
    ("mistake", "change"),
    [
        (
            "misspelt healthcheck",
            lambda c: c["services"]["grafana"].update(healthchek=c["services"]["grafana"]["healthcheck"]),
        ),
        (
            "bad depends_on condition",
            lambda c: c["services"]["grafana"]["depends_on"]["es-setup"].update(condition="done"),
        ),
        ("ports as a number", lambda c: c["services"]["grafana"].update(ports=3000)),
    ],
)
def test_the_schema_check_catches_mistakes(
    compose: dict[str, Any], compose_schema: jsonschema.Draft7Validator, mistake: str, change: Any
) -> None:
    broken = json.loads(json.dumps(compose))
    change(broken)
    assert list(compose_schema.iter_errors(broken)), f"{mistake} passed the schema"


def test_services_and_their_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"elasticsearch", "es-setup", "grafana", "trendwatch"}
    assert services["es-setup"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    for name in ("grafana", "trendwatch"):
        assert services[name]["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"


def test_long_running_services_have_health_checks_and_restart(compose: dict[str, Any]) -> None:
    for name in ("elasticsearch", "grafana", "trendwatch"):
        service = compose["services"][name]
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check["retries"] >= 3, name
        assert service["restart"] == "unless-stopped", name
    assert "_cluster/health" in " ".join(compose["services"]["elasticsearch"]["healthcheck"]["test"])
    assert "/api/health" in " ".join(compose["services"]["grafana"]["healthcheck"]["test"])
    assert "/health" in " ".join(compose["services"]["trendwatch"]["healthcheck"]["test"])


def test_elasticsearch_is_a_single_node_with_security_on(compose: dict[str, Any]) -> None:
    env = compose["services"]["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?")
    snapshots = env["path.repo"]
    assert any(v.endswith(f":{snapshots}") for v in compose["services"]["elasticsearch"]["volumes"])


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    expected = {
        "elasticsearch": "/usr/share/elasticsearch/data",
        "grafana": "/var/lib/grafana",
        "trendwatch": "/var/lib/trendwatch",
    }
    for service, target in expected.items():
        named = [v.split(":") for v in compose["services"][service]["volumes"] if not v.startswith(".")]
        assert any(source in declared and mount == target for source, mount, *_ in named), service


def test_every_port_is_bound_to_localhost(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_grafana_mounts_the_exported_provisioning_and_dashboards(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("."))
    for source in mounts:
        assert (DEPLOY / source).is_dir(), f"{source} does not exist in deploy/"
    assert len(list((DEPLOY / "grafana" / "dashboards").glob("trendwatch-*.json"))) == 4
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    dashboards_mount = next(t for s, t in mounts.items() if s.endswith("/dashboards") and "provisioning" not in s)
    assert (DEPLOY / "grafana" / "dashboards" / Path(home).relative_to(dashboards_mount)).is_file()
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/trendwatch.yaml").read_text(encoding="utf-8"))
    assert provider["providers"][0]["options"]["path"] == dashboards_mount


def test_grafana_has_every_variable_its_datasources_read(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "grafana/provisioning/datasources/trendwatch.yaml").read_text(encoding="utf-8")
    needed = set(REFERENCED.findall(text))
    assert needed == {"TRENDWATCH_ES_URL", "GRAFANA_ES_USER", "GRAFANA_ES_PASSWORD"}
    assert needed <= set(compose["services"]["grafana"]["environment"])


def test_required_secrets_are_documented_in_the_env_example() -> None:
    required = set(REQUIRED.findall(COMPOSE.read_text(encoding="utf-8")))
    assert required == {
        "ELASTIC_PASSWORD",
        "TRENDWATCH_ES_PASSWORD",
        "GRAFANA_ES_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
        "TRENDWATCH_TOKEN",
    }
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    listed = {line.split("=")[0] for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)}
    assert required <= listed
    assert all(line.endswith("=") for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)), (
        "the example must not carry real values"
    )


def _es_setup_script(compose: dict[str, Any]) -> str:
    """The script as the container sees it: Compose turns `$$` into `$`."""
    return str(compose["configs"]["es-setup"]["content"]).replace("$$", "$")


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_es_setup_creates_a_writer_and_a_read_only_reader(compose: dict[str, Any], tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    fake_curl = tmp_path / "bin" / "curl"
    fake_curl.parent.mkdir()
    fake_curl.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        "with open(os.environ['CALLS'], 'a') as f:\n"
        "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n",
        encoding="utf-8",
    )
    fake_curl.chmod(0o755)
    script = tmp_path / "es-setup.sh"
    script.write_text(_es_setup_script(compose), encoding="utf-8")
    env = {
        "PATH": f"{fake_curl.parent}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "ELASTIC_PASSWORD": "root-pw",
        "TRENDWATCH_ES_PASSWORD": "writer-pw",
        "GRAFANA_ES_PASSWORD": "reader-pw",
    }
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    requests = {}
    for line in calls.read_text(encoding="utf-8").splitlines():
        argv = json.loads(line)
        assert argv[argv.index("-u") + 1] == "elastic:root-pw"
        assert argv[argv.index("-X") + 1] == "PUT"
        url = argv[argv.index("-X") + 2]
        requests[url.removeprefix("http://elasticsearch:9200/")] = json.loads(argv[argv.index("-d") + 1])
    assert requests["_security/user/trendwatch"] == {"password": "writer-pw", "roles": ["trendwatch_writer"]}
    assert requests["_security/user/grafana"] == {"password": "reader-pw", "roles": ["trendwatch_reader"]}
    reader = requests["_security/role/trendwatch_reader"]["indices"][0]
    assert reader["names"] == ["trendwatch-*"]
    assert set(reader["privileges"]) == {"read", "view_index_metadata"}, "Grafana's user must not write"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("password", ['with"quote', "with\\backslash"])
def test_es_setup_refuses_a_password_that_would_break_its_json(
    compose: dict[str, Any], tmp_path: Path, password: str
) -> None:
    script = tmp_path / "es-setup.sh"
    script.write_text(_es_setup_script(compose), encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "ELASTIC_PASSWORD": "x",
        "TRENDWATCH_ES_PASSWORD": password,
        "GRAFANA_ES_PASSWORD": "y",
    }
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1
    assert "TRENDWATCH_ES_PASSWORD must not contain quotes" in done.stderr


# ------------------------------------------------------------------------------ Dockerfile


def _instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_needs_no_system_packages_and_runs_as_a_user() -> None:
    steps = _instructions()
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "apt-get" not in runs, "the image promises wheels only"
    assert "apk " not in runs, "the image promises wheels only"
    assert all(rest.startswith("python:") for keyword, rest in steps if keyword == "FROM")
    final_stage = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM") :]
    users = [rest for keyword, rest in final_stage if keyword == "USER"]
    assert users == ["trendwatch"]


def test_dockerfile_copies_every_package_and_checks_health() -> None:
    steps = _instructions()
    copied = {rest.split()[0] for keyword, rest in steps if keyword == "COPY" and not rest.startswith("--from")}
    packages = {"trendwatch", "crawlers", "nlp", "indexer", "alerts"}
    assert packages <= copied
    for source in copied:
        assert (REPO / source).exists(), source
    health = next(rest for keyword, rest in steps if keyword == "HEALTHCHECK")
    assert "/health" in health
    assert ("ENTRYPOINT", '["trendwatch"]') in steps


def test_compose_runs_the_image_with_the_mounted_config(compose: dict[str, Any]) -> None:
    service = compose["services"]["trendwatch"]
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == REPO / "Dockerfile"
    config_mount = next(v.split(":")[1] for v in service["volumes"] if v.startswith("./config.yaml"))
    command = service["command"]
    assert command[command.index("--config") + 1] == config_mount
    cmd = next(rest for keyword, rest in _instructions() if keyword == "CMD")
    assert json.loads(cmd)[-1] == config_mount
    dockerignore = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert "deploy/.env" in dockerignore, "secrets must never be sent to the build"
