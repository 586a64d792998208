"""The ``nightly_maintenance`` job: one op per task of ``orchestration.maintenance``, each
reporting what it did as the metadata of its output; ``VACUUM`` runs after the removals."""

from datetime import UTC, datetime

import dagster as dg

from orchestration import maintenance
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource
from orchestration.settings import Settings, load_maintenance_settings

JOB = "nightly_maintenance"


def _settings(cvd: CvdHomeResource, operational_db: OperationalDatabaseResource) -> Settings:
    """The home's settings, with the database the run was given (not the environment's)."""
    settings = cvd.settings()
    return Settings(
        settings.home, operational_db.url, settings.anthropic_api_key, settings.ai_model
    )


def _report(context: dg.OpExecutionContext, done: maintenance.Metadata) -> dg.Output[None]:
    context.log.info(", ".join(f"{key}={value}" for key, value in done.items()))
    metadata: dict[str, dg.MetadataValue] = {
        key: dg.MetadataValue.path(value) if key == "archive" and isinstance(value, str)
        else dg.MetadataValue.int(value) if isinstance(value, int)
        else dg.MetadataValue.text(value)
        for key, value in done.items()
    }  # fmt: skip
    return dg.Output(None, metadata=metadata)


def _now(context: dg.OpExecutionContext) -> datetime:
    del context  # the moment each step starts: what "older than N days" counts from
    return datetime.now(UTC)


@dg.op(description="Remove expired or revoked sessions and spent sign-in counters.")
def expire_sessions(
    context: dg.OpExecutionContext, operational_db: OperationalDatabaseResource
) -> dg.Output[None]:
    """Sessions and sign-in counters that say nothing any more."""
    return _report(context, maintenance.sessions(operational_db.url, _now(context)))


@dg.op(description="Archive then remove audit rows older than CVD_AUDIT_RETENTION_DAYS.")
def audit_retention(
    context: dg.OpExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> dg.Output[None]:
    """Audit retention (unset: the log is kept forever and nothing happens)."""
    days = load_maintenance_settings().audit_retention_days
    archive = cvd.settings().audit_archive
    return _report(context, maintenance.audit(operational_db.url, archive, days, _now(context)))


@dg.op(description="Remove superseded lake versions no reader can still be using.")
def lake_gc(context: dg.OpExecutionContext, cvd: CvdHomeResource) -> dg.Output[None]:
    """Lake garbage collection (CVD_LAKE_GRACE_HOURS, CVD_LAKE_KEEP_VERSIONS)."""
    return _report(context, maintenance.lake(cvd.settings(), load_maintenance_settings()))


@dg.op(description="Delete finished Dagster runs older than CVD_RUN_RETENTION_DAYS.")
def run_retention(context: dg.OpExecutionContext) -> dg.Output[None]:
    """Run and event history past its retention, from this run's own instance."""
    days = load_maintenance_settings().run_retention_days
    return _report(context, maintenance.runs(context.instance, days, _now(context)))


@dg.op(
    description="VACUUM and ANALYZE the SQLite files (ANALYZE only on PostgreSQL).",
    ins={"after_sessions": dg.In(dg.Nothing), "after_audit": dg.In(dg.Nothing)},
)
def compact_sqlite(
    context: dg.OpExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> dg.Output[None]:
    """After the removals, so the space they freed is given back."""
    return _report(context, maintenance.sqlite(_settings(cvd, operational_db)))


@dg.job(name=JOB, description="Retention and compaction: see orchestration/maintenance.py.")
def nightly_maintenance() -> None:
    """Every maintenance task; the compaction waits for the removals it reclaims."""
    lake_gc()
    run_retention()
    compact_sqlite(after_sessions=expire_sessions(), after_audit=audit_retention())


# `cvd maintenance run --only TASK` runs the op of each task named.
TASK_OPS = {
    "sessions": "expire_sessions",
    "audit": "audit_retention",
    "lake": "lake_gc",
    "runs": "run_retention",
    "sqlite": "compact_sqlite",
}
