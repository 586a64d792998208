"""Ingestion assets: the inbox, the raw DEX tables per arrival day, and master data."""

import time
from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg
import pyarrow as pa

from ingest.build_locks import build_locks, day_lock
from ingest.days import build_days
from ingest.raw_tables import RAW_TABLES, SCHEMAS
from ingest.receive import receive_inbox
from ingest.stale import write_manifest
from operations import db as opsdb
from operations.permissions import SYSTEM
from operations.services import masterdata, products
from operations.services.devices import register_unknown_device
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource
from orchestration.settings import dask_scheduler, ingest_workers
from transforms import lake

ARRIVAL_DAYS = dg.DailyPartitionsDefinition(start_date="2020-01-01", end_offset=1)
INBOX = dg.AssetKey("inbox")
# Python types of master-data columns -> Parquet types (for tables that are still empty)
ARROW_TYPES: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    datetime: pa.timestamp("us", tz="UTC"),
    date: pa.date32(),
    Decimal: pa.decimal128(20, 4),
}
MASTER_TABLES: tuple[str, ...] = tuple(masterdata.export_columns())

RAW_DEX = dg.AssetKey("raw_dex")
RAW_DESCRIPTIONS = {
    "dex_files": "One row per file received: name, size, SHA-256, arrival time, status, reason.",
    "dex_reads": "One row per usable read: machine, read time, integrity verdict, currency.",
    "dex_selection_counters": "One row per read and selection: price, capacity, PA2-PA5 counters.",
    "dex_payment_totals": "Machine totals per read (VA1-3, CA2, DA2, DB2) and the cash detail.",
    "dex_events": "EA1/EA2/EA7 events per read.",
    "quarantine": "Files and reads that cannot be used, each with a machine-readable reason.",
}
RAW_TABLES_MD = "\n".join(f"- `{t}`: {d}" for t, d in RAW_DESCRIPTIONS.items())


@dg.asset(key=INBOX, group_name="ingest", kinds={"python"})
def inbox(context: dg.AssetExecutionContext, cvd: CvdHomeResource) -> dg.MaterializeResult:
    """Every file in ``$CVD_HOME/inbox`` archived, content-addressed, and indexed by the day it
    arrived. Nothing received is lost: the inbox copy is removed only once it is archived."""
    settings = cvd.settings()

    def progress(done: int, total: int) -> None:
        if done % 500 == 0 or done == total:
            context.log.info(f"received {done}/{total} files")

    report = receive_inbox(
        settings.inbox,
        settings.archive,
        progress=progress,
        blobs=settings.blobs,
        ledger_url=settings.ledger_url,
    )
    return dg.MaterializeResult(
        metadata={
            "files_received": report.received,
            "duplicate_deliveries": report.duplicates,
            "already_recorded": report.already_recorded,
            "bytes": report.bytes,
            "arrival_days": dg.MetadataValue.text(", ".join(sorted(report.days)) or "none"),
        }
    )


def _register_unknown(
    url: str, serials: dict[str, datetime], known: set[str], log: dg.DagsterLogManager
) -> int:
    """Register serials the operational database has never seen as unassigned devices, so
    their sales are never lost; ``known`` is the run's cache of registered serials."""
    new = {s: t for s, t in serials.items() if s not in known}
    if not new:
        return 0
    engine = opsdb.connect(url)
    try:
        for serial, seen_at in sorted(new.items()):
            register_unknown_device(engine, serial, seen_at=seen_at)
            known.add(serial)
            log.info(f"machine {serial}: unknown serial registered as an unassigned device")
    finally:
        engine.dispose()
    return len(new)


def _known_serials(url: str) -> set[str]:
    engine = opsdb.connect(url)
    try:
        return {row["dex_serial"] for row in masterdata.export_tables(engine)["devices"]}
    finally:
        engine.dispose()


@dg.asset(
    key=RAW_DEX,
    deps=[INBOX],
    group_name="raw",
    partitions_def=ARRIVAL_DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"parquet", "duckdb"},
    metadata={"tables": dg.MetadataValue.md(RAW_TABLES_MD)},
)
def raw_dex(
    context: dg.AssetExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> dg.MaterializeResult:
    """The raw DEX tables of each arrival day in the run (``dex_files``, ``dex_reads``,
    ``dex_selection_counters``, ``dex_payment_totals``, ``dex_events``, ``quarantine``): every
    file parsed and that day's partition of each table rewritten; unusable files and reads go
    to quarantine with their reasons. One asset for the six tables, because they are written
    together from the same parse, and Dagster records an event per asset and partition."""
    settings = cvd.settings()
    totals = dict.fromkeys(RAW_TABLES, 0)
    files = reads = quarantined = new_devices = 0
    peak_mb = 0.0
    started = time.perf_counter()
    known = _known_serials(operational_db.url)
    for t in RAW_TABLES:
        lake.write_schema_file(settings.lake, t, SCHEMAS[t])
    days = list(context.partition_keys)
    every = max(1, len(days) // 20)  # about 20 progress lines: each log line is a stored event
    # one builder of a day at a time, across workers: a build that read the ledger earlier
    # must not publish its (partial) partition over a later, complete one
    locks = build_locks(settings.archive, settings.ledger_url, [day_lock(d) for d in days])
    with locks:
        for n, built in enumerate(
            build_days(
                settings.archive,
                settings.lake,
                days,
                workers=ingest_workers(),
                blobs=settings.blobs,
                scheduler=dask_scheduler(),
                ledger_url=settings.ledger_url,
            ),
            start=1,
        ):
            peak_mb = max(peak_mb, built.peak_mb)
            for name, count in built.rows.items():
                totals[name] += count
            for sha, record in built.quarantined.items():
                lake.atomic_write_json(settings.quarantine / f"{sha}.json", record)
            new_devices += _register_unknown(operational_db.url, built.serials, known, context.log)
            write_manifest(settings.lake, built.day, built.markers)  # last: the day is now built
            files, reads, quarantined = (
                files + built.files,
                reads + built.reads,
                quarantined + len(built.quarantined),
            )
            if n % every == 0 or n == len(days):
                context.log.info(
                    f"{n}/{len(days)} days built, up to {built.day}: {files} files, {reads} reads, "
                    f"{quarantined} files with quarantined data"
                )
    elapsed = time.perf_counter() - started
    return dg.MaterializeResult(
        metadata={
            "days": len(days),
            "files": files,
            "reads": reads,
            "files_with_quarantined_data": quarantined,
            "unknown_serials_registered": new_devices,
            "files_per_second": round(files / max(elapsed, 1e-9), 1),
            "parse_peak_mb": round(peak_mb, 1),
            **{f"rows_{t}": totals[t] for t in RAW_TABLES},
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            t,
            deps=[RAW_DEX],
            group_name="master",
            description=f"Master data from the operational database: {t}.",
            kinds={"parquet", "sqlite"},
        )
        for t in MASTER_TABLES
    ],
    can_subset=False,
)
def master_data(cvd: CvdHomeResource, operational_db: OperationalDatabaseResource) -> object:
    """Snapshot the operational database's master data into the lake, so analysts can join it
    with the DEX tables. Runs after the raw tables so newly seen machines are included."""
    settings = cvd.settings()
    engine = opsdb.connect(operational_db.url)
    try:
        opsdb.require_current(engine)
        # a price scheduled for today reaches the warehouse with this snapshot
        products.apply_due_price_changes(engine, SYSTEM, datetime.now(UTC).date())
        rows = masterdata.export_tables(engine)
    finally:
        engine.dispose()
    columns = masterdata.export_columns()
    for t in MASTER_TABLES:
        table = (
            pa.Table.from_pylist(rows[t])
            if rows[t]
            else pa.schema([(c, ARROW_TYPES[kind]) for c, kind in columns[t]]).empty_table()
        )
        lake.publish(settings.lake / "master" / t, table)
        yield dg.MaterializeResult(asset_key=t, metadata={"rows": table.num_rows})
