"""Resources of the ingestion domain, configured from the environment."""

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
