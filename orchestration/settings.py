"""Configuration from the environment, with safe defaults. The one place that reads it.

Every path CVD writes lives under ``CVD_HOME`` (default ``data/`` in the working directory).
Library packages (``evadts``, ``operations``, ``ingest``, ``transforms``, ``models``) read no
environment: they take paths, URLs and config values as arguments. The CLI, Dagster definitions
and dashboards call :func:`load_settings` (and, where they run a model, :func:`load_ai_config`,
:func:`load_planogram_settings`, :func:`load_visit_rules`, :func:`ingest_workers`) and pass the
values on. Those loaders read the environment when called, so a bad value fails the step that
needs it, not every command.

The home holds password hashes, sessions and the audit log: :func:`load_settings` sets the
process umask so that everything created from then on (the home, its folders, the databases, the
lake, and every server `cvd up` starts, which inherit the umask) is readable by the owner only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from models.ai.config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT_S,
    AIConfig,
)
from models.alerts.config import AlertRules
from models.alerts.config import load_alert_rules as alert_rules_from
from models.planogram.settings import PlanogramSettings
from models.planogram.settings import load_planogram_settings as planogram_settings_from
from models.planogram.types import ChangeCost
from models.visits.rules import VisitRules, load_rules
from operations.notify.smtp import SmtpConfig
from operations.services.service_time import ServiceTimeRates
from transforms.cash_flags import CashThresholds
from transforms.cash_flags import load_thresholds as cash_thresholds_from
from transforms.engine import DEFAULT_MEMORY_LIMIT, EngineConfig, EngineConfigError
from transforms.lake import Location
from transforms.objectstore import ObjectStoreConfig, location

PLANOGRAM_OBJECTIVE_ENV = "CVD_PLANOGRAM_OBJECTIVE"
VISIT_RULES_ENV = "CVD_VISIT_RULES"
INGEST_WORKERS_ENV = "CVD_INGEST_WORKERS"
DASK_SCHEDULER_ENV = "CVD_DASK_SCHEDULER"
MINUTES_PER_STOP_ENV = "CVD_MINUTES_PER_STOP"
MINUTES_PER_CABINET_ENV = "CVD_MINUTES_PER_CABINET"
MINUTES_PER_UNIT_ENV = "CVD_MINUTES_PER_UNIT"
AUDIT_RETENTION_ENV = "CVD_AUDIT_RETENTION_DAYS"
DEFAULT_OUTCOME_WEEKS = 4
LEDGER_URL_ENV = "CVD_LEDGER_URL"
DAGSTER_STORAGE_URL_ENV = "CVD_DAGSTER_STORAGE_URL"
ASK_TIMEOUT_ENV = "CVD_ASK_TIMEOUT_S"
ASK_MAX_ROWS_ENV = "CVD_ASK_MAX_ROWS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_Number = TypeVar("_Number", int, float)


class SettingsError(ValueError):
    """A variable in the environment has a value that cannot be used (the message names it)."""


# Files 0600, folders 0700: other local users must not read password hashes or the audit log.
PRIVATE_UMASK = 0o077


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are absolute."""

    home: Path
    database_url: str
    anthropic_api_key: str | None
    ai_model: str
    # CVD_LAKE_URL / CVD_ARCHIVE_URL: s3://bucket/prefix puts the lake / the archive's blobs in
    # object storage (reached with object_store); None: under the home
    lake_url: str | None = None
    archive_url: str | None = None
    object_store: ObjectStoreConfig = field(default_factory=ObjectStoreConfig)
    # the archive's ledger (``CVD_LEDGER_URL``): None is the SQLite file in the archive
    ledger_url: str | None = None
    # Dagster's run, event and schedule storage (``CVD_DAGSTER_STORAGE_URL``, PostgreSQL only):
    # None keeps them in SQLite files under ``dagster_home``
    dagster_storage_url: str | None = None

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
    def photos(self) -> Path:
        """The drivers' before/after photos, stored by content (see ``operations.photos``)."""
        return self.home / "photos"

    @property
    def lake(self) -> Location:
        """Parquet tables written atomically by Dagster runs: ``$CVD_HOME/lake``, or the prefix
        in object storage that ``CVD_LAKE_URL`` names."""
        if self.lake_url:
            return location(self.lake_url, self.object_store)
        return self.home / "lake"

    @property
    def blobs(self) -> Location:
        """Where the archive's blobs are: the archive folder, or the prefix in object storage
        that ``CVD_ARCHIVE_URL`` names (the ledger stays in the archive folder)."""
        if self.archive_url:
            return location(self.archive_url, self.object_store)
        return self.archive

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
    def audit_archive(self) -> Path:
        """Audit rows removed by retention, as verifiable gzip JSONL files; never deleted."""
        return self.home / "audit-archive"

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
        ai_model=os.environ.get("CVD_AI_MODEL") or DEFAULT_MODEL,
        lake_url=os.environ.get("CVD_LAKE_URL") or None,
        archive_url=os.environ.get("CVD_ARCHIVE_URL") or None,
        object_store=load_object_store(),
        ledger_url=os.environ.get(LEDGER_URL_ENV) or None,
        dagster_storage_url=_dagster_storage_url(os.environ.get(DAGSTER_STORAGE_URL_ENV)),
    )


def load_object_store(environ: Mapping[str, str] | None = None) -> ObjectStoreConfig:
    """The object store's endpoint and credentials from the standard AWS variables
    (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` or
    ``AWS_DEFAULT_REGION``); unset ones are left to the S3 client's defaults."""
    env = os.environ if environ is None else environ
    return ObjectStoreConfig(
        endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
        access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=env.get("AWS_SESSION_TOKEN") or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
    )


def _dagster_storage_url(raw: str | None) -> str | None:
    """``CVD_DAGSTER_STORAGE_URL``: a PostgreSQL URL for dagster-postgres, or unset."""
    if not raw or not raw.strip():
        return None
    url = raw.strip()
    # dagster-postgres needs the psycopg2 driver (its NOTIFY takes no bound parameter under
    # psycopg 3, which SQLAlchemy 2.1 picks for a bare postgresql:// URL): say so explicitly
    if not url.startswith("postgresql+psycopg2://"):
        raise SettingsError(
            f"{DAGSTER_STORAGE_URL_ENV}: expected postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DB"
        )
    return url


def load_ai_config(settings: Settings, environ: Mapping[str, str] | None = None) -> AIConfig:
    """The AI reviewer's config: key and model from ``settings``, switch and limits from
    ``CVD_AI_ENABLED``, ``CVD_AI_TIMEOUT_S``, ``CVD_AI_MAX_RETRIES``, ``CVD_AI_MAX_TOKENS``;
    an unusable value raises :class:`SettingsError` naming the variable."""
    env = os.environ if environ is None else environ
    return AIConfig(
        api_key=settings.anthropic_api_key,
        model=settings.ai_model,
        enabled=_switch(env, "CVD_AI_ENABLED"),
        timeout_s=_number(env, "CVD_AI_TIMEOUT_S", DEFAULT_TIMEOUT_S, float, minimum=0.1),
        max_retries=_number(env, "CVD_AI_MAX_RETRIES", DEFAULT_MAX_RETRIES, int, minimum=0),
        max_tokens=_number(env, "CVD_AI_MAX_TOKENS", DEFAULT_MAX_TOKENS, int, minimum=256),
    )


@dataclass(frozen=True)
class AskLimits:
    """How long an Ask CVD query may run and how many rows it may return."""

    timeout_s: float
    max_rows: int


def load_ask_limits(environ: Mapping[str, str] | None = None) -> AskLimits:
    """``CVD_ASK_TIMEOUT_S`` (20) and ``CVD_ASK_MAX_ROWS`` (5,000) for the assistant's queries."""
    env = os.environ if environ is None else environ
    return AskLimits(
        timeout_s=_number(env, ASK_TIMEOUT_ENV, 20.0, float, minimum=0.1),
        max_rows=_number(env, ASK_MAX_ROWS_ENV, 5_000, int, minimum=1),
    )


def load_planogram_settings(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> PlanogramSettings:
    """``$CVD_HOME/planogram.toml``, its objective overridden by ``CVD_PLANOGRAM_OBJECTIVE``,
    with the cost of a change from the environment (:func:`load_change_cost`)."""
    env = os.environ if environ is None else environ
    return replace(
        planogram_settings_from(settings.home, objective=env.get(PLANOGRAM_OBJECTIVE_ENV) or None),
        change_cost=load_change_cost(env),
    )


def load_change_cost(environ: Mapping[str, str] | None = None) -> ChangeCost:
    """What a product swap costs and how many a visit carries: ``CVD_SWAP_MINUTES`` (5),
    ``CVD_LABOUR_COST_PER_HOUR`` (30 currency units), ``CVD_CHANGE_HORIZON_WEEKS`` (8: the gain
    must beat the cost within it), ``CVD_MAX_SWAPS_PER_CABINET`` (4 per visit),
    ``CVD_MAX_TRIALS_PER_CABINET`` (1 product the machine never carried) and
    ``CVD_WRITEOFF_CATEGORIES`` (comma-separated categories whose removed stock is written off;
    "Fresh")."""
    env = os.environ if environ is None else environ
    base = ChangeCost()
    raw_categories = env.get("CVD_WRITEOFF_CATEGORIES")
    categories = (
        frozenset(c.strip() for c in raw_categories.split(",") if c.strip())
        if raw_categories is not None
        else base.writeoff_categories
    )
    return ChangeCost(
        minutes_per_swap=_number(
            env, "CVD_SWAP_MINUTES", base.minutes_per_swap, float, minimum=0.0
        ),
        labour_per_hour=_number(
            env, "CVD_LABOUR_COST_PER_HOUR", base.labour_per_hour, float, minimum=0.0
        ),
        horizon_weeks=_number(
            env, "CVD_CHANGE_HORIZON_WEEKS", base.horizon_weeks, float, minimum=0.1
        ),
        max_swaps=_number(env, "CVD_MAX_SWAPS_PER_CABINET", base.max_swaps, int, minimum=0),
        max_trials=_number(env, "CVD_MAX_TRIALS_PER_CABINET", base.max_trials, int, minimum=0),
        writeoff_categories=categories,
    )


def load_outcome_weeks(environ: Mapping[str, str] | None = None) -> int:
    """Full weeks after an accepted change before its realised sales are compared with the
    promise (``recommendation_outcomes``): ``CVD_OUTCOME_WEEKS``, default 4."""
    env = os.environ if environ is None else environ
    return _number(env, "CVD_OUTCOME_WEEKS", DEFAULT_OUTCOME_WEEKS, int, minimum=1)


def load_visit_rules(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> tuple[VisitRules, Path | None]:
    """The visit rules: the file named by ``CVD_VISIT_RULES`` (it must exist), else
    ``$CVD_HOME/config/visits.toml`` if present, else the defaults; and the file used."""
    env = os.environ if environ is None else environ
    named = env.get(VISIT_RULES_ENV)
    return load_rules(settings.home, Path(named) if named else None, named_by=VISIT_RULES_ENV)


@dataclass(frozen=True)
class MaintenanceSettings:
    """How long things are kept (the nightly maintenance job, ``cvd maintenance run``)."""

    audit_retention_days: int | None  # None: the audit log is kept forever
    run_retention_days: int
    lake_keep_versions: int
    lake_grace_hours: int


def load_maintenance_settings(environ: Mapping[str, str] | None = None) -> MaintenanceSettings:
    """``CVD_AUDIT_RETENTION_DAYS`` (unset: forever), ``CVD_RUN_RETENTION_DAYS`` (90),
    ``CVD_LAKE_KEEP_VERSIONS`` (0 superseded versions kept past the grace period) and
    ``CVD_LAKE_GRACE_HOURS`` (24: how long a superseded lake version stays for open readers)."""
    env = os.environ if environ is None else environ
    audit_days = None
    if env.get(AUDIT_RETENTION_ENV, "").strip():
        audit_days = _number(env, AUDIT_RETENTION_ENV, 1, int, minimum=1)
    return MaintenanceSettings(
        audit_retention_days=audit_days,
        run_retention_days=_number(env, "CVD_RUN_RETENTION_DAYS", 90, int, minimum=1),
        lake_keep_versions=_number(env, "CVD_LAKE_KEEP_VERSIONS", 0, int, minimum=0),
        lake_grace_hours=_number(env, "CVD_LAKE_GRACE_HOURS", 24, int, minimum=1),
    )


def ingest_workers(environ: Mapping[str, str] | None = None) -> int | None:
    """``CVD_INGEST_WORKERS`` (at least 1), or None: one worker per core."""
    env = os.environ if environ is None else environ
    if not env.get(INGEST_WORKERS_ENV, "").strip():
        return None
    return max(1, _number(env, INGEST_WORKERS_ENV, 1, int, minimum=0))


MARTS_MEMORY_LIMIT_ENV = "CVD_MARTS_MEMORY_LIMIT"
MARTS_THREADS_ENV = "CVD_MARTS_THREADS"


def marts_engine(settings: Settings, environ: Mapping[str, str] | None = None) -> EngineConfig:
    """The DuckDB limits of the marts builds: ``CVD_MARTS_MEMORY_LIMIT`` (default 2GB; DuckDB's
    syntax, e.g. ``4GB`` or ``50%`` of RAM), spilling to ``$CVD_HOME/tmp/duckdb``, on
    ``CVD_MARTS_THREADS`` threads (default: one per core)."""
    env = os.environ if environ is None else environ
    limit = env.get(MARTS_MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    threads = _number(env, MARTS_THREADS_ENV, 0, int, minimum=1) or None
    try:
        return EngineConfig(limit, settings.home / "tmp" / "duckdb", threads)
    except EngineConfigError as error:
        raise SettingsError(f"{MARTS_MEMORY_LIMIT_ENV}={limit!r}: {error}") from None


def dask_scheduler(environ: Mapping[str, str] | None = None) -> str | None:
    """``CVD_DASK_SCHEDULER`` (``tcp://host:8786``): parse arrival days on that Dask cluster;
    unset, on a local cluster of ``CVD_INGEST_WORKERS`` processes started by the run."""
    env = os.environ if environ is None else environ
    address = env.get(DASK_SCHEDULER_ENV, "").strip()
    if address and "://" not in address:
        raise SettingsError(f"{DASK_SCHEDULER_ENV}={address!r}: expected tcp://host:port")
    return address or None


def load_service_times(environ: Mapping[str, str] | None = None) -> ServiceTimeRates:
    """Minutes per stop, cabinet and unit for service-time estimates (``CVD_MINUTES_PER_*``)."""
    env = os.environ if environ is None else environ
    default = ServiceTimeRates()
    return ServiceTimeRates(
        _number(env, MINUTES_PER_STOP_ENV, default.minutes_per_stop, float, minimum=0.0),
        _number(env, MINUTES_PER_CABINET_ENV, default.minutes_per_cabinet, float, minimum=0.0),
        _number(env, MINUTES_PER_UNIT_ENV, default.minutes_per_unit, float, minimum=0.0),
    )


def load_alert_rules(settings: Settings) -> AlertRules:
    """The alert rules: ``$CVD_HOME/config/alerts.toml`` over the defaults (docs/alerts.md)."""
    return alert_rules_from(settings.home)


def load_smtp_config(environ: Mapping[str, str] | None = None) -> SmtpConfig | None:
    """Email settings from ``CVD_SMTP_HOST`` (absent = email off), ``CVD_SMTP_PORT`` (25),
    ``CVD_SMTP_USER``, ``CVD_SMTP_PASSWORD``, ``CVD_SMTP_FROM`` and ``CVD_SMTP_STARTTLS``."""
    env = os.environ if environ is None else environ
    host = env.get("CVD_SMTP_HOST", "").strip()
    if not host:
        return None
    port = _number(env, "CVD_SMTP_PORT", 25, int, minimum=1)
    if port > 65535:
        raise SettingsError(f"CVD_SMTP_PORT={port}: must be at most 65535")
    sender = env.get("CVD_SMTP_FROM", "").strip() or "cvd@localhost"
    if any(ch in sender for ch in "\r\n"):
        raise SettingsError("CVD_SMTP_FROM: must be one line")
    return SmtpConfig(
        host=host,
        port=port,
        sender=sender,
        user=env.get("CVD_SMTP_USER") or None,
        password=env.get("CVD_SMTP_PASSWORD") or None,
        starttls=bool(_switch(env, "CVD_SMTP_STARTTLS")),
    )


def _switch(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name}={env[name]!r}: expected one of {sorted(_TRUE | _FALSE)}")


def _number(
    env: Mapping[str, str],
    name: str,
    default: _Number,
    kind: type[_Number],
    *,
    minimum: _Number,
) -> _Number:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a {kind.__name__}") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r}: must be at least {minimum}")
    return value


BACKUP_DIR_ENV = "CVD_BACKUP_DIR"


@dataclass(frozen=True)
class BackupSettings:
    """Where backups go and how many the nightly job keeps."""

    directory: Path
    keep_daily: int
    keep_weekly: int
    with_lake: bool


def load_backup_settings(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> BackupSettings:
    """``CVD_BACKUP_DIR`` (default: ``<home>-backups`` beside the home, so losing the home's
    disk folder does not take the backups with it), ``CVD_BACKUP_KEEP_DAILY`` (7),
    ``CVD_BACKUP_KEEP_WEEKLY`` (4), ``CVD_BACKUP_WITH_LAKE`` (off)."""
    env = os.environ if environ is None else environ
    named = env.get(BACKUP_DIR_ENV, "").strip()
    default = settings.home.with_name(f"{settings.home.name}-backups")
    return BackupSettings(
        directory=Path(named).expanduser().resolve() if named else default,
        keep_daily=_number(env, "CVD_BACKUP_KEEP_DAILY", 7, int, minimum=1),
        keep_weekly=_number(env, "CVD_BACKUP_KEEP_WEEKLY", 4, int, minimum=0),
        with_lake=bool(_switch(env, "CVD_BACKUP_WITH_LAKE")),
    )


def load_cash_thresholds(settings: Settings) -> CashThresholds:
    """The cash variance thresholds of ``$CVD_HOME/config/cash.toml`` (defaults without it;
    see docs/cash.md)."""
    return cash_thresholds_from(settings.home / "config" / "cash.toml")
