"""Alert schedules: an hourly check (a failed or late nightly run, an old warehouse, retries of
queued emails) and the daily digest at 07:00 UTC (yesterday's alerts, one email per address)."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from operations import db
from operations.permissions import SYSTEM
from operations.services import alert_outbox
from orchestration.defs.alerts.check import drain_outbox, metadata, run_check
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource


@dg.op(out=dg.Out(int))
def check_alerts(
    context: dg.OpExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> dg.Output[int]:
    """The rules on the current warehouse, then the outbox (the ``alerts`` asset's work)."""
    report = run_check(cvd.settings(), operational_db.url, context.instance)
    return dg.Output(len(report.evaluation.findings), metadata=metadata(report))


@dg.op(out=dg.Out(int))
def send_digest(operational_db: OperationalDatabaseResource) -> dg.Output[int]:
    """Queue yesterday's digest for each digest subscriber (once per day), then drain."""
    engine = db.connect(operational_db.url)
    try:
        day = datetime.now(UTC).date() - timedelta(days=1)
        queued = alert_outbox.queue_digests(engine, SYSTEM, day)
        sent, failed, email = drain_outbox(engine)
    finally:
        engine.dispose()
    return dg.Output(
        len(queued),
        metadata={
            "day": day.isoformat(),
            "digests_queued": len(queued),
            "emails_sent": sent,
            "emails_failed_still_queued": failed,
            "email": "on" if email else "off (CVD_SMTP_HOST not set)",
        },
    )


@dg.job
def alert_check_job() -> None:
    """Check the alert rules and send what is queued."""
    check_alerts()


@dg.job
def alert_digest_job() -> None:
    """Send the daily alert digests."""
    send_digest()


alert_check_hourly = dg.ScheduleDefinition(
    name="alert_check_hourly",
    job=alert_check_job,
    cron_schedule="15 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
alert_digest_daily = dg.ScheduleDefinition(
    name="alert_digest_daily",
    job=alert_digest_job,
    cron_schedule="0 7 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
