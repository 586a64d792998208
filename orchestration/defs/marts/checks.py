"""Blocking checks on the sales marts: the invariants of transforms/checks.py on every run."""

import dagster as dg

from orchestration.defs.marts.assets import SALES_MARTS
from orchestration.defs.resources import CvdHomeResource
from transforms.checks import (
    DAILY_EQUALS_INTERVAL,
    EVERY_READ_IN_ONE_INTERVAL,
    NO_NEGATIVE_SALES,
    run_check,
)

DESCRIPTIONS = {
    NO_NEGATIVE_SALES: "no interval has negative units, revenue, test or free vends",
    DAILY_EQUALS_INTERVAL: "the days of every interval add up to it, in units and minor units",
    EVERY_READ_IN_ONE_INTERVAL: "every placed read but a machine's first ends exactly one "
    "interval per selection, and starts at most one",
}


def _make_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=SALES_MARTS, name=name, description=DESCRIPTIONS[name], blocking=True)
    def _check(cvd: CvdHomeResource) -> dg.AssetCheckResult:
        offending = run_check(cvd.settings().lake, name)
        return dg.AssetCheckResult(passed=offending == 0, metadata={"offending_rows": offending})

    return _check


MARTS_CHECKS = [_make_check(name) for name in DESCRIPTIONS]
