"""Data checks on the raw tables: SQL invariants on every table, and a Great Expectations suite
on ``dex_selection_counters``, all blocking checks of the ``raw_dex`` asset that writes them,
named ``<table>__<check>``. Results show in the Dagster UI."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
import pandas as pd

from ingest.raw_tables import RAW_TABLES
from orchestration.defs.ingest.assets import RAW_DEX
from orchestration.defs.ingest.schedules import (
    DAYS_FIRST_TAG,
    DAYS_LAST_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from orchestration.defs.resources import CvdHomeResource
from transforms.lake import (
    Location,
    current_files,
    matching,
    partition_path,
    read_table,
    schema_path,
)
from transforms.objectstore import register, uri

GE_MAX_ROWS = 250_000
CHECK_MEMORY_LIMIT = "256MB"

# (table, check name, SQL returning the number of offending rows, description)
SQL_CHECKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "dex_files",
        "delivery_ids_unique",
        "SELECT count(*) - count(DISTINCT delivery_id) FROM dex_files",
        "every delivery appears once",
    ),
    (
        "dex_files",
        "status_known",
        "SELECT count(*) FROM dex_files WHERE status NOT IN "
        "('loaded','partial','quarantined','duplicate','duplicate_reads','skipped')",
        "every file has a known status",
    ),
    (
        "dex_reads",
        "read_ids_unique",
        "SELECT count(*) - count(DISTINCT read_id) FROM dex_reads",
        "read_id is a key",
    ),
    (
        "dex_reads",
        "serial_not_null",
        "SELECT count(*) FROM dex_reads WHERE machine_serial IS NULL OR machine_serial = ''",
        "every read names its machine",
    ),
    (
        "dex_reads",
        "read_times_plausible",
        "SELECT count(*) FROM dex_reads WHERE read_at IS NOT NULL AND clock_warning IS NULL AND "
        "(read_at < TIMESTAMP '1995-01-01' OR read_at > CAST(received_at AS TIMESTAMP) "
        "+ INTERVAL 2 DAY)",
        "read times lie between 1995 and two days after arrival, unless flagged as a clock problem",
    ),
    (
        "dex_selection_counters",
        "one_row_per_read_and_selection",
        "SELECT count(*) - count(DISTINCT (read_id, position)) FROM dex_selection_counters",
        "(read_id, position) is a key",
    ),
    (
        "dex_selection_counters",
        "counters_non_negative",
        "SELECT count(*) FROM dex_selection_counters WHERE paid_vends_total < 0 OR "
        "paid_value_total < 0 OR paid_vends_since_reset < 0 OR paid_value_since_reset < 0 OR "
        "price < 0 OR capacity < 0",
        "no counter, price or capacity is negative",
    ),
    (
        "dex_selection_counters",
        "rows_belong_to_reads",
        "SELECT count(*) FROM dex_selection_counters "
        "WHERE read_id NOT IN (SELECT read_id FROM dex_reads)",
        "every counter row belongs to a read",
    ),
    (
        "dex_payment_totals",
        "totals_non_negative",
        "SELECT count(*) FROM dex_payment_totals WHERE value_init < 0 OR count_init < 0 "
        "OR value_reset < 0 OR count_reset < 0",
        "no total is negative",
    ),
    (
        "dex_events",
        "events_belong_to_reads",
        "SELECT count(*) FROM dex_events WHERE read_id NOT IN (SELECT read_id FROM dex_reads)",
        "every event belongs to a read",
    ),
    (
        "quarantine",
        "reasons_given",
        "SELECT count(*) FROM quarantine WHERE reason IS NULL OR reason = ''",
        "every quarantined file or read has a reason",
    ),
)


@contextmanager
def lake_connection(
    lake: Location, days: list[str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with one view per raw table over the partitions of ``days`` (all
    when None), exactly as written: checks see raw partitions, not the catalog's views."""
    # bounded memory whatever the size of the run: DuckDB spills to disk past this
    con = register(duckdb.connect(config={"memory_limit": CHECK_MEMORY_LIMIT}), lake)
    try:
        for table in RAW_TABLES:
            if days is None:
                found = current_files(lake / table)
            else:
                found = [f for d in days if (f := partition_path(lake, table, d)).exists()]
            files = [uri(f) for f in [*found, schema_path(lake, table)]]
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            # table names are our constants and the paths are quoted: nothing comes from input
            view = f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)"  # noqa: S608, E501
            con.execute(view)
        yield con
    finally:
        con.close()


def offending_rows(lake: Location, days: list[str] | None = None) -> dict[tuple[str, str], int]:
    """For each (table, check) of :data:`SQL_CHECKS`, the number of rows that break it in the
    partitions of ``days`` (every partition is checked when it is written, so the whole table
    holds by induction and adding a day costs a check of that day only)."""
    with lake_connection(lake, days) as con:
        counts = {}
        for table, name, sql, _ in SQL_CHECKS:
            row = con.execute(sql).fetchone()
            counts[table, name] = int(row[0]) if row else 0
    return counts


def run_days(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The arrival days the current run wrote (or, for the marts' run, the run before it wrote),
    from its partition or ``cvd/arrival_days_*`` tags (None: all of them)."""
    tags = context.run.tags
    start = tags.get(RANGE_START_TAG) or tags.get(DAYS_FIRST_TAG)
    end = tags.get(RANGE_END_TAG) or tags.get(DAYS_LAST_TAG)
    if start and end:
        return [d.date().isoformat() for d in pd.date_range(start, end, freq="D")]
    partition = tags.get("dagster/partition")
    return [partition] if partition else None


@dg.multi_asset_check(
    name="raw_sql_checks",
    specs=[
        dg.AssetCheckSpec(
            f"{table}__{name}", asset=RAW_DEX, description=f"{table}: {what}", blocking=True
        )
        for table, name, _, what in SQL_CHECKS
    ],
)
def raw_sql_checks(
    context: dg.AssetCheckExecutionContext, cvd: CvdHomeResource
) -> Iterator[dg.AssetCheckResult]:
    """Every SQL invariant of :data:`SQL_CHECKS` on the partitions the run wrote, over one
    connection (the views over a year of partitions are built once, not once per check)."""
    days = run_days(context)
    for (table, name), offending in offending_rows(cvd.settings().lake, days).items():
        yield dg.AssetCheckResult(
            asset_key=RAW_DEX,
            check_name=f"{table}__{name}",
            passed=offending == 0,
            metadata={"offending_rows": offending, "days_checked": len(days) if days else "all"},
        )


def expectations_on_counters(frame: pd.DataFrame) -> tuple[bool, dict[str, object]]:
    """Validate counter rows with a Great Expectations 1.x suite in an ephemeral context.

    Returns whether every expectation passed and the failing ones with their counts.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # noqa: PLC0415  (7 s to import: only when the check runs)
    import great_expectations.expectations as gxe  # noqa: PLC0415
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no bars in run logs
    source = context.data_sources.add_pandas("lake")
    asset = source.add_dataframe_asset("dex_selection_counters")
    batch = asset.add_batch_definition_whole_dataframe("run").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = gx.ExpectationSuite(name="dex_selection_counters")
    for column in ("read_id", "machine_serial", "position"):
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
    for column in (
        "paid_vends_total",
        "paid_vends_since_reset",
        "capacity",
        "current_level",
        "test_vends_total",
        "free_vends_total",
        "sold_out_count",
    ):
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    for column in ("price", "paid_value_total", "paid_value_since_reset"):
        suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=["read_id", "position"]))
    result = batch.validate(suite)
    failures = {
        r.expectation_config.type
        + ":"
        + str(r.expectation_config.kwargs.get("column", "")): r.result.get("unexpected_count")
        for r in result.results
        if not r.success
    }
    return bool(result.success), {"expectations": len(suite.expectations), "failed": failures}


@dg.asset_check(
    asset=RAW_DEX,
    name="dex_selection_counters__great_expectations_suite",
    blocking=True,
    description="Great Expectations suite on the counter rows written by this run.",
)
def counters_expectations(
    context: dg.AssetCheckExecutionContext, cvd: CvdHomeResource
) -> dg.AssetCheckResult:
    """Run the suite on the partitions this run wrote (new data is what can be wrong), newest
    first and at most GE_MAX_ROWS rows, so memory stays bounded on a year's backfill; the SQL
    checks above cover every row of the same partitions."""
    settings = cvd.settings()
    days = run_days(context)
    if days is None:
        days = sorted(
            {
                p.parent.name.removeprefix("received_date=")
                for p in matching(settings.lake / "dex_selection_counters", "received_date=*/*")
            }
        )
    frames: list[pd.DataFrame] = []
    rows = 0
    for day in sorted(days, reverse=True):  # newest first, up to a bounded number of rows
        path = partition_path(settings.lake, "dex_selection_counters", day)
        if path.exists() and rows < GE_MAX_ROWS:
            frames.append(read_table(path).to_pandas())
            rows += len(frames[-1])
    frame = pd.concat(frames) if frames else pd.DataFrame()
    if frame.empty:
        return dg.AssetCheckResult(passed=True, metadata={"rows": 0})
    for column in ("price", "paid_value_total", "paid_value_since_reset"):
        frame[column] = frame[column].astype("float64")
    passed, metadata = expectations_on_counters(frame)
    return dg.AssetCheckResult(passed=passed, metadata={"rows": len(frame), **metadata})
