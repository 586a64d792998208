"""The resources every domain shares, configured from the environment (``CVD_HOME``,
``CVD_DATABASE_URL``) with the same defaults as the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings, load_settings


class CvdHomeResource(dg.ConfigurableResource):
    """Where CVD keeps its runtime state (``CVD_HOME``)."""

    home: str

    def settings(self) -> Settings:
        """Resolved paths and configuration for this home."""
        return load_settings(Path(self.home))


class OperationalDatabaseResource(dg.ConfigurableResource):
    """The operational database (``CVD_DATABASE_URL``), written through its service layer."""

    url: str


def _from_env(name: str, default: str) -> str | dg.EnvVar:
    """The variable itself when it is set (Dagster shows it as such), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


@dg.definitions
def resources() -> dg.Definitions:
    """``cvd`` and ``operational_db``, bound to every asset, check, sensor and schedule."""
    settings = load_settings()  # defaults that follow CVD_HOME, as the CLI's do
    return dg.Definitions(
        resources={
            "cvd": CvdHomeResource(home=_from_env("CVD_HOME", str(settings.home))),
            "operational_db": OperationalDatabaseResource(
                url=_from_env("CVD_DATABASE_URL", settings.database_url)
            ),
        }
    )
