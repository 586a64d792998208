"""Dagster's run, event and schedule storage on PostgreSQL (``CVD_DAGSTER_STORAGE_URL``): cvd
writes the instance's dagster.yaml for it, a real run of the inbox asset is recorded there and
read back from the server's own tables, and no SQLite storage appears under the home."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest
from sqlalchemy.engine import make_url

from operations.backup.manifest import BackupError
from orchestration.backups import home_parts
from orchestration.cli.pipeline_run import ensure_dagster_home, run_resources
from orchestration.dagster_instance import MANAGED
from orchestration.defs.ingest.assets import inbox
from orchestration.settings import SettingsError, load_settings
from tests.pg import PostgresServer


def _with_driver(url: str, driver: str) -> str:
    return make_url(url).set(drivername=driver).render_as_string(hide_password=False)


def test_a_run_is_recorded_on_postgresql(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _with_driver(postgres_server.create_database(), "postgresql+psycopg2")
    monkeypatch.setenv("CVD_DAGSTER_STORAGE_URL", storage)
    monkeypatch.setenv("CVD_LEDGER_URL", postgres_server.create_database())
    settings = load_settings(tmp_path / "home")
    settings.inbox.mkdir(parents=True)
    (settings.inbox / "one.dex").write_bytes(b"DXS*1\r\nST*001*0001\r\n")
    home = ensure_dagster_home(settings)
    config = (home / "dagster.yaml").read_text()
    assert config.startswith(MANAGED) and "CVD_DAGSTER_STORAGE_URL" in config
    assert storage not in config  # the password stays in the environment, not in the home
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([inbox], instance=instance, resources=run_resources(settings))
        assert result.success
        assert [r.run_id for r in instance.get_runs()] == [result.run_id]
    with psycopg.connect(_with_driver(storage, "postgresql")) as con:
        runs = con.execute("SELECT run_id, status FROM runs").fetchall()
        materialized = con.execute(
            "SELECT asset_key FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
        ).fetchall()
    assert runs == [(result.run_id, "SUCCESS")]
    assert materialized == [('["inbox"]',)]
    assert not list(home.rglob("*.db"))  # no SQLite run or event storage under the home


def test_without_the_setting_the_storage_stays_in_the_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CVD_DAGSTER_STORAGE_URL", raising=False)
    home = ensure_dagster_home(load_settings(tmp_path / "home"))
    assert "storage" not in (home / "dagster.yaml").read_text()
    mine = "telemetry:\n  enabled: true\n"  # an operator's own file is left alone
    (home / "dagster.yaml").write_text(mine)
    monkeypatch.setenv("CVD_DAGSTER_STORAGE_URL", "postgresql+psycopg2://u@127.0.0.1:1/d")
    ensure_dagster_home(load_settings(tmp_path / "home"))
    assert (home / "dagster.yaml").read_text() == mine


@pytest.mark.parametrize("url", ["postgresql://u@h/d", "postgresql+psycopg://u@h/d", "sqlite://"])
def test_a_storage_url_without_the_psycopg2_driver_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CVD_DAGSTER_STORAGE_URL", url)
    with pytest.raises(SettingsError, match="CVD_DAGSTER_STORAGE_URL"):
        load_settings(tmp_path)


def test_a_backup_refuses_a_ledger_on_postgresql(tmp_path: Path, monkeypatch) -> None:
    """A snapshot holds a SQLite ledger and the blobs it names: with the ledger on a server it
    would hold no blob at all, so it is refused, naming the setting."""
    monkeypatch.setenv("CVD_LEDGER_URL", "postgresql+psycopg://u@127.0.0.1:1/ledger")
    with pytest.raises(BackupError, match="CVD_LEDGER_URL"):
        home_parts(load_settings(tmp_path))
