"""One alert check, shared by the asset and the hourly schedule's job: evaluate the rules on the
warehouse (read-only), raise/refresh/auto-resolve through the service layer, drain the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from sqlalchemy import Engine

from models.alerts.evaluate import Evaluation, Inputs, RunRecord, evaluate
from operations import db
from operations.notify.smtp import SmtpSender
from operations.permissions import SYSTEM
from operations.services import alert_outbox, alerts
from orchestration.settings import (
    Settings,
    load_alert_rules,
    load_planogram_settings,
    load_smtp_config,
)
from transforms.catalog import open_warehouse

NIGHTLY_SCHEDULE = "nightly"
SCHEDULE_TAG = "dagster/schedule_name"
RUNS_LOOKED_AT = 20


@dataclass(frozen=True)
class CheckReport:
    """What one check did, for the run's metadata."""

    evaluation: Evaluation
    opened: int
    refreshed: int
    resolved: int
    sent: int
    failed: int
    email: bool


def nightly_runs(instance: dg.DagsterInstance) -> list[RunRecord]:
    """The newest runs the nightly schedule started."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(tags={SCHEDULE_TAG: NIGHTLY_SCHEDULE}), limit=RUNS_LOOKED_AT
    )
    return [
        RunRecord(
            run_id=r.dagster_run.run_id,
            status=r.dagster_run.status.value,
            ended_at=None if r.end_time is None else datetime.fromtimestamp(r.end_time, UTC),
        )
        for r in records
    ]


def drain_outbox(engine: Engine, now: datetime | None = None) -> tuple[int, int, bool]:
    """Send what is due when email is configured: (sent, failed, email on)."""
    smtp = load_smtp_config()
    if smtp is None:
        return 0, 0, False
    done = alert_outbox.drain(engine, SYSTEM, SmtpSender(smtp), now=now)
    return len(done.sent), len(done.failed), True


def run_check(
    settings: Settings,
    database_url: str,
    instance: dg.DagsterInstance,
    now: datetime | None = None,
) -> CheckReport:
    """Evaluate, sync and send; the warehouse is opened read-only and closed at once."""
    moment = now or datetime.now(UTC)
    inputs = Inputs(
        now=moment,
        core_products=tuple(sorted(load_planogram_settings(settings).core_products)),
        nightly_runs=nightly_runs(instance),
        warehouse_path=settings.warehouse,
    )
    con = open_warehouse(settings.warehouse, settings.lake)
    try:
        evaluation = evaluate(con, load_alert_rules(settings), inputs)
    finally:
        con.close()
    engine = db.connect(database_url)
    try:
        synced = alerts.sync_findings(
            engine, SYSTEM, evaluation.findings, evaluation.evaluated, now=moment
        )
        sent, failed, email = drain_outbox(engine, moment)
    finally:
        engine.dispose()
    return CheckReport(
        evaluation,
        len(synced.opened),
        len(synced.refreshed),
        len(synced.resolved),
        sent,
        failed,
        email,
    )


def metadata(report: CheckReport) -> dict[str, dg.RawMetadataValue]:
    """The report as run metadata: counts, then the skipped rules and why."""
    skipped = "; ".join(f"{k}: {v}" for k, v in report.evaluation.skipped.items()) or "none"
    return {
        "findings": len(report.evaluation.findings),
        "opened": report.opened,
        "refreshed": report.refreshed,
        "auto_resolved": report.resolved,
        "emails_sent": report.sent,
        "emails_failed_still_queued": report.failed,
        "email": "on" if report.email else "off (CVD_SMTP_HOST not set)",
        "rules_evaluated": ", ".join(report.evaluation.evaluated),
        "rules_skipped": skipped,
    }
