"""The one settings module: the environment variables the edges read and pass to the libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import (
    Settings,
    SettingsError,
    dask_scheduler,
    ingest_workers,
    load_maintenance_settings,
    load_object_store,
    load_planogram_settings,
    load_service_times,
    load_settings,
    load_smtp_config,
    marts_engine,
)


def _settings(home: Path) -> Settings:
    return Settings(home=home, database_url="sqlite://", anthropic_api_key=None, ai_model="m")


def test_ingest_workers_from_the_environment() -> None:
    assert ingest_workers({}) is None  # the library's default: one per core
    assert ingest_workers({"CVD_INGEST_WORKERS": "3"}) == 3
    assert ingest_workers({"CVD_INGEST_WORKERS": "0"}) == 1  # at least one
    with pytest.raises(SettingsError, match="CVD_INGEST_WORKERS='many'"):
        ingest_workers({"CVD_INGEST_WORKERS": "many"})


def test_retention_settings_default_to_keeping_the_audit_log_forever() -> None:
    defaults = load_maintenance_settings({})
    assert defaults.audit_retention_days is None  # forever unless an operator sets a policy
    assert (defaults.run_retention_days, defaults.lake_keep_versions) == (90, 0)
    assert defaults.lake_grace_hours == 24
    chosen = load_maintenance_settings(
        {"CVD_AUDIT_RETENTION_DAYS": "3650", "CVD_RUN_RETENTION_DAYS": "30",
         "CVD_LAKE_KEEP_VERSIONS": "2", "CVD_LAKE_GRACE_HOURS": "6"}
    )  # fmt: skip
    assert (chosen.audit_retention_days, chosen.run_retention_days) == (3650, 30)
    assert (chosen.lake_keep_versions, chosen.lake_grace_hours) == (2, 6)
    with pytest.raises(SettingsError, match="CVD_AUDIT_RETENTION_DAYS='0'"):
        load_maintenance_settings({"CVD_AUDIT_RETENTION_DAYS": "0"})
    with pytest.raises(SettingsError, match="CVD_RUN_RETENTION_DAYS='soon'"):
        load_maintenance_settings({"CVD_RUN_RETENTION_DAYS": "soon"})


def test_planogram_objective_in_the_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "planogram.toml").write_text('objective = "revenue"\n[size_capacity]\nL = 6\n')
    from_file = load_planogram_settings(_settings(tmp_path), {})
    assert (from_file.objective, from_file.size_capacity["L"]) == ("revenue", 6)
    env = {"CVD_PLANOGRAM_OBJECTIVE": "margin"}
    overridden = load_planogram_settings(_settings(tmp_path), env)
    assert (overridden.objective, overridden.size_capacity["L"]) == ("margin", 6)
    with pytest.raises(ValueError, match="objective: 'volume' is not one of revenue, margin"):
        load_planogram_settings(_settings(tmp_path), {"CVD_PLANOGRAM_OBJECTIVE": "volume"})


def test_service_time_rates_default_and_override() -> None:
    default = load_service_times({})
    assert (default.minutes_per_stop, default.minutes_per_cabinet, default.minutes_per_unit) == (
        10.0,
        5.0,
        0.25,
    )
    custom = load_service_times({"CVD_MINUTES_PER_STOP": "12", "CVD_MINUTES_PER_UNIT": "0.5"})
    assert (custom.minutes_per_stop, custom.minutes_per_cabinet, custom.minutes_per_unit) == (
        12.0,
        5.0,
        0.5,
    )
    with pytest.raises(SettingsError, match="CVD_MINUTES_PER_CABINET='-1'"):
        load_service_times({"CVD_MINUTES_PER_CABINET": "-1"})
    with pytest.raises(SettingsError, match="CVD_MINUTES_PER_UNIT='lots'"):
        load_service_times({"CVD_MINUTES_PER_UNIT": "lots"})


def test_smtp_settings_off_without_a_host_and_bad_values_named() -> None:
    assert load_smtp_config({}) is None
    config = load_smtp_config(
        {
            "CVD_SMTP_HOST": "mail.example.com",
            "CVD_SMTP_PORT": "587",
            "CVD_SMTP_USER": "cvd",
            "CVD_SMTP_PASSWORD": "s3cret",
            "CVD_SMTP_FROM": "alerts@example.com",
            "CVD_SMTP_STARTTLS": "yes",
        }
    )
    assert config is not None
    assert (config.host, config.port, config.sender, config.starttls) == (
        "mail.example.com",
        587,
        "alerts@example.com",
        True,
    )
    assert "s3cret" not in repr(config)
    for env, name in (
        ({"CVD_SMTP_PORT": "smtp"}, "CVD_SMTP_PORT"),
        ({"CVD_SMTP_PORT": "70000"}, "CVD_SMTP_PORT"),
        ({"CVD_SMTP_FROM": "a@b.org\r\nBcc: x@y.org"}, "CVD_SMTP_FROM"),
        ({"CVD_SMTP_STARTTLS": "maybe"}, "CVD_SMTP_STARTTLS"),
    ):
        with pytest.raises(SettingsError, match=name):
            load_smtp_config({"CVD_SMTP_HOST": "h", **env})


def test_lake_and_archive_urls_put_them_in_object_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CVD_LAKE_URL`` / ``CVD_ARCHIVE_URL`` name bucket prefixes reached with the standard
    AWS variables (the S3-specific endpoint before the generic one); unset, both stay under
    the home."""
    for name in ("CVD_LAKE_URL", "CVD_ARCHIVE_URL"):
        monkeypatch.delenv(name, raising=False)
    local = load_settings(tmp_path)
    assert (local.lake, local.blobs) == (tmp_path / "lake", tmp_path / "archive")

    monkeypatch.setenv("CVD_LAKE_URL", "s3://fleet-data/cvd/lake/")
    monkeypatch.setenv("CVD_ARCHIVE_URL", "s3://fleet-archive/dex")
    env = {
        "AWS_ENDPOINT_URL": "http://generic:9000",
        "AWS_ENDPOINT_URL_S3": "http://minio:9000",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    remote = load_settings(tmp_path)
    assert str(remote.lake) == "s3://fleet-data/cvd/lake"
    assert str(remote.blobs) == "s3://fleet-archive/dex"
    assert not isinstance(remote.lake, Path) and not isinstance(remote.blobs, Path)
    assert remote.archive == tmp_path / "archive"  # the ledger stays local
    options = load_object_store(env).storage_options()
    assert options["endpoint_url"] == "http://minio:9000"
    assert (options["key"], options["secret"]) == ("AKIDEXAMPLE", "wJalrXUtnFEMI")
    assert options["client_kwargs"] == {"region_name": "eu-west-1"}


def test_dask_scheduler_address_or_a_local_cluster() -> None:
    """Unset: None (each run starts its own local cluster); an address without a scheme is
    refused naming the variable."""
    assert dask_scheduler({}) is None
    assert dask_scheduler({"CVD_DASK_SCHEDULER": " tcp://10.0.0.5:8786 "}) == "tcp://10.0.0.5:8786"
    with pytest.raises(SettingsError, match="CVD_DASK_SCHEDULER"):
        dask_scheduler({"CVD_DASK_SCHEDULER": "10.0.0.5:8786"})


def test_marts_engine_limits_memory_and_spills_under_the_home(tmp_path: Path) -> None:
    """Default 2GB spilling to $CVD_HOME/tmp/duckdb on DuckDB's threads; both variables read;
    a bad value is refused naming the variable."""
    settings = _settings(tmp_path)
    default = marts_engine(settings, {})
    assert (default.memory_limit, default.threads) == ("2GB", None)
    assert default.temp_directory == tmp_path / "tmp" / "duckdb"
    set_ = marts_engine(settings, {"CVD_MARTS_MEMORY_LIMIT": "50%", "CVD_MARTS_THREADS": "2"})
    assert (set_.memory_limit, set_.threads) == ("50%", 2)
    with pytest.raises(SettingsError, match="CVD_MARTS_MEMORY_LIMIT"):
        marts_engine(settings, {"CVD_MARTS_MEMORY_LIMIT": "lots"})
    with pytest.raises(SettingsError, match="CVD_MARTS_THREADS"):
        marts_engine(settings, {"CVD_MARTS_THREADS": "0"})
