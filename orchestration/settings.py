"""Configuration from the environment, with safe defaults. The one place that reads it.

Every path CVD writes lives under ``CVD_HOME`` (default ``data/`` in the working directory).
Library packages (``evadts``, ``operations``, ``transforms``, ``models``) take paths and URLs as
arguments; the CLI, Dagster definitions and dashboards call :func:`load_settings` and pass them on.

The home holds password hashes, sessions and the audit log: :func:`load_settings` sets the
process umask so that everything created from then on (the home, its folders, the databases, the
lake, and every server `cvd up` starts, which inherit the umask) is readable by the owner only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Files 0600, folders 0700: other local users must not read password hashes or the audit log.
PRIVATE_UMASK = 0o077


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are absolute."""

    home: Path
    database_url: str
    anthropic_api_key: str | None
    ai_model: str

    @property
    def inbox(self) -> Path:
        """Where DEX files arrive (handheld uploads, telemetry drops, `cvd ingest`)."""
        return self.home / "inbox"

    @property
    def archive(self) -> Path:
        """Content-addressed copy of every file received; never deleted."""
        return self.home / "archive"

    @property
    def quarantine(self) -> Path:
        """Files or reads that cannot be used, each with a machine-readable reason."""
        return self.home / "quarantine"

    @property
    def lake(self) -> Path:
        """Parquet tables written atomically by Dagster runs."""
        return self.home / "lake"

    @property
    def warehouse(self) -> Path:
        """DuckDB catalog of views over the lake; analysts open it read-only."""
        return self.home / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        """``DAGSTER_HOME`` of CVD's runs: their records and asset-check results."""
        return self.home / "dagster"

    @property
    def master_data(self) -> Path:
        """Master-data CSVs written by the simulator (`cvd demo-data`)."""
        return self.home / "master-data"

    @property
    def truth(self) -> Path:
        """The simulator's ground truth (Parquet); never read by the pipeline itself."""
        return self.home / "truth"


def load_settings(home: str | os.PathLike[str] | None = None) -> Settings:
    """Read the environment. ``home`` overrides ``CVD_HOME`` (the CLI's ``--home``).

    Also sets the process umask to :data:`PRIVATE_UMASK` (see the module docstring).
    """
    os.umask(PRIVATE_UMASK)
    resolved_home = Path(home or os.environ.get("CVD_HOME") or "data").expanduser().resolve()
    default_db = f"sqlite:///{resolved_home / 'cvd.sqlite'}"
    return Settings(
        home=resolved_home,
        database_url=os.environ.get("CVD_DATABASE_URL") or default_db,
        anthropic_api_key=os.environ.get("ANTHROPIC_API_KEY") or None,
        ai_model=os.environ.get("CVD_AI_MODEL") or "claude-sonnet-4-6",
    )
