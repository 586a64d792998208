"""The ``alerts`` asset: the rules checked on the warehouse each run has just built."""

import dagster as dg

from orchestration.defs.alerts.check import metadata, run_check
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource


@dg.asset(deps=["warehouse"], group_name="alerts", kinds={"python"})
def alerts(
    context: dg.AssetExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> dg.MaterializeResult[None]:
    """Evaluate the alert rules (docs/alerts.md) on the new warehouse: open an alert per new
    finding (one live alert per rule and subject), refresh the ones found again, resolve those
    no longer found, and email the subscribers (when ``CVD_SMTP_HOST`` is set)."""
    report = run_check(cvd.settings(), operational_db.url, context.instance)
    return dg.MaterializeResult(metadata=metadata(report))
