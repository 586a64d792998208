"""deploy/: the compose file and the Helm values agree with what the code reads (they cannot be
started here: no image registry). Services, variables, ports and database names are checked
against orchestration/settings.py, the CLI's defaults and the shipped instance configuration."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from orchestration.cli.up_cmd import API_PORT, DAGSTER_PORT, DASHBOARD_PORT
from orchestration.dagster_instance import dagster_yaml
from orchestration.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {"postgres", "minio", "code-location", "dagster-webserver", "dagster-daemon"}
SERVICES |= {"dashboards", "api", "migrate", "bucket"}
# every service of CVD's image, and the settings that put its state where all of them reach it
CVD_SERVICES = SERVICES - {"postgres", "minio", "bucket"}
SHARED_STATE = {"CVD_DATABASE_URL", "CVD_LEDGER_URL", "CVD_DAGSTER_STORAGE_URL"}
SHARED_STATE |= {"CVD_LAKE_URL", "CVD_ARCHIVE_URL"}
# read by the libraries CVD uses, not by CVD's settings: the S3 client, Dagster itself
STANDARD = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}
STANDARD |= {"DAGSTER_HOME", "ANTHROPIC_API_KEY"}


def _load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def _settings_variables() -> set[str]:
    """Every ``CVD_*`` variable orchestration/settings.py names (the one place that reads them)."""
    source = (ROOT / "orchestration" / "settings.py").read_text()
    return set(re.findall(r'"(CVD_[A-Z0-9_]+)"', source))


def _filled(value: str) -> str:
    """A compose value with its ``${NAME...}`` references filled in, as compose would."""
    return re.sub(r"\$\{[A-Z_]+[^}]*\}", "secret", value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load("docker-compose.yml")


def _environment(compose: dict[str, Any], service: str) -> dict[str, str]:
    return {k: _filled(str(v)) for k, v in compose["services"][service]["environment"].items()}


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_compose_has_every_service_and_only_variables_the_code_reads(compose) -> None:
    assert set(compose["services"]) == SERVICES
    known = _settings_variables() | STANDARD
    for name in CVD_SERVICES:
        environment = _environment(compose, name)
        assert set(environment) <= known, set(environment) - known
        assert set(environment) >= SHARED_STATE, SHARED_STATE - set(environment)
        # no service starts before the bucket its lake and archive name exists
        assert compose["services"][name]["depends_on"]["bucket"] == {
            "condition": "service_completed_successfully"
        }


def test_compose_bucket_is_the_one_the_lake_and_archive_name(compose) -> None:
    """The one-shot `bucket` service makes the bucket that every CVD service's lake and archive
    URL names, with MinIO's own credentials."""
    environment = _environment(compose, "api")
    buckets = {urlsplit(environment[name]).netloc for name in ("CVD_LAKE_URL", "CVD_ARCHIVE_URL")}
    assert len(buckets) == 1
    (bucket,) = buckets
    script = " ".join(compose["services"]["bucket"]["command"])
    assert f"mc mb --ignore-existing local/{bucket}" in script
    assert "http://minio:9000" in script
    assert environment["AWS_ENDPOINT_URL"] == "http://minio:9000"


def test_compose_environment_passes_the_settings(compose, monkeypatch) -> None:
    """The settings accept every URL (the Dagster storage needs psycopg2's form), and each
    database is one the PostgreSQL service creates."""
    environment = _environment(compose, "api")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    created = {compose["services"]["postgres"]["environment"]["POSTGRES_DB"]}
    created |= set(
        re.findall(r"CREATE DATABASE (\w+);", (DEPLOY / "postgres-init.sql").read_text())
    )
    urls = [settings.database_url, settings.ledger_url, settings.dagster_storage_url]
    databases = [make_url(str(url)).database for url in urls]
    assert sorted(databases) == sorted(created)  # three stores, three databases, none shared
    for url in urls:
        parsed = make_url(str(url))
        assert (parsed.host, parsed.port) == ("postgres", 5432)
        assert parsed.username == compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert str(settings.home) == environment["CVD_HOME"]


def test_compose_ports_match_the_servers_and_stay_on_the_loopback(compose) -> None:
    services = compose["services"]
    listening = {
        "dagster-webserver": (
            _option(services["dagster-webserver"]["command"], "-p"),
            DAGSTER_PORT,
        ),
        "dashboards": (_option(services["dashboards"]["command"], "--server.port"), DASHBOARD_PORT),
        "api": (_option(services["api"]["command"], "--port"), API_PORT),
    }
    for name, (port, default) in listening.items():
        assert int(port) == default
        assert services[name]["ports"] == [f"127.0.0.1:{default}:{default}"]
    for name, service in services.items():
        for published in service.get("ports", []):
            assert published.startswith("127.0.0.1:"), (name, published)
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    (grpc,) = [entry["grpc_server"] for entry in workspace["load_from"]]
    code = services["code-location"]["command"]
    assert grpc["host"] == "code-location" and str(grpc["port"]) == _option(code, "-p")
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert _option(code, "-m") == module


def test_the_shipped_instance_stores_on_postgresql_as_cvd_writes_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CVD_DAGSTER_STORAGE_URL", "postgresql+psycopg2://u:p@h:5432/dagster")
    written = yaml.safe_load(dagster_yaml(load_settings(tmp_path)))
    shipped = _load("dagster.yaml")
    assert shipped["storage"] == written["storage"]
    assert shipped["telemetry"] == written["telemetry"]


def test_helm_values_launch_runs_on_kubernetes_with_the_code_location() -> None:
    values = _load("helm/values.yaml")
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", module]
    names = {entry["name"] for entry in deployment["env"]}
    assert names <= _settings_variables() | STANDARD, names - _settings_variables() - STANDARD
    env = {entry["name"]: entry["value"] for entry in deployment["env"]}
    for name in ("CVD_LAKE_URL", "CVD_ARCHIVE_URL"):  # a run pod's own disk is not shared
        assert env[name].startswith("s3://"), name
    secrets = {"cvd-secrets"}
    assert {s["name"] for s in deployment["envSecrets"]} == secrets
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert {s["name"] for s in launcher["envSecrets"]} == secrets  # runs see the same databases
    # no way in to the UI but through a proxy: an in-cluster Service, no Ingress
    assert values["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    assert values["ingress"]["enabled"] is False
    init = (DEPLOY / "postgres-init.sql").read_text()
    assert f"CREATE DATABASE {values['postgresql']['postgresqlDatabase']};" in init
