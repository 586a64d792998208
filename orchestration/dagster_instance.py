"""The Dagster instance's configuration (``$CVD_HOME/dagster/dagster.yaml``), from the settings.

By default Dagster keeps its run, event-log and schedule storage in SQLite files under the
instance folder. With ``CVD_DAGSTER_STORAGE_URL`` (``postgresql+psycopg2://...``) they live on
PostgreSQL through ``dagster-postgres``, so a webserver, a daemon and run workers on several
machines share one history. The file names the variable (``{env: CVD_DAGSTER_STORAGE_URL}``),
never its value: the password stays out of the home, and every Dagster process reads it from
its own environment.

cvd manages the file it wrote (its first line says so) and rewrites it when the settings
change; a file an operator wrote without that line is left alone.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.settings import DAGSTER_STORAGE_URL_ENV, Settings

MANAGED = "# written by cvd from its settings (CVD_DAGSTER_STORAGE_URL); edits are replaced\n"
TELEMETRY_OFF = "telemetry:\n  enabled: false\n"
LEGACY = TELEMETRY_OFF  # what cvd wrote before it managed the storage
POSTGRES_STORAGE = (
    f"storage:\n  postgres:\n    postgres_url:\n      env: {DAGSTER_STORAGE_URL_ENV}\n"
)


def dagster_yaml(settings: Settings) -> str:
    """The instance configuration for ``settings``."""
    storage = POSTGRES_STORAGE if settings.dagster_storage_url else ""
    return MANAGED + TELEMETRY_OFF + storage


def write_dagster_yaml(dagster_home: Path, settings: Settings) -> Path:
    """Write ``dagster.yaml`` in ``dagster_home`` unless an operator's own file is there."""
    config = dagster_home / "dagster.yaml"
    wanted = dagster_yaml(settings)
    current = config.read_text() if config.exists() else None
    if current == wanted or (current not in (None, LEGACY) and not current.startswith(MANAGED)):
        return config
    tmp = config.with_name(f".{config.name}.tmp")
    tmp.write_text(wanted)
    tmp.replace(config)  # a Dagster process starting meanwhile reads one whole file
    return config
