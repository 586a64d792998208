"""From archived files to the raw lake tables of one arrival day.

A pure function of the archive: the same deliveries give the same rows, whatever ran before,
so rebuilding a day's partition is always safe.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

import evadts
import evadts.jsonout
from evadts.model import CounterSet, Read, Selection
from ingest.blobs import read_blob
from ingest.ledger import Delivery, deliveries_of_day, delivery_marker, skipped_contents
from operations import validation
from operations.errors import ValidationError
from transforms.lake import Location, arrow_schema

MAX_FILE_BYTES = 20 * 1024 * 1024  # DEX files are kilobytes; anything this big is not one
BUILD_FAILED = "build_failed"  # quarantine reason: building the file raised
INVALID_SERIAL = "invalid_serial"  # quarantine reason: a serial the device registry refuses
MAX_MESSAGE = 500  # characters of a quarantine message
# what one quarantine record ($CVD_HOME/quarantine/<sha>.json) lists at most; the rest counted
MAX_RECORD_REASONS = 100
MAX_RECORD_PROBLEMS = 200
MONEY = pa.decimal128(20, 4)
TS = pa.timestamp("us")
TS_UTC = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "dex_files": arrow_schema(
        [
            ("delivery_id", pa.string()),
            ("sha256", pa.string()),
            ("original_name", pa.string()),
            ("size", pa.int64()),
            ("received_at", TS_UTC),
            ("status", pa.string()),
            ("reason", pa.string()),
            ("reads", pa.int32()),
            ("usable_reads", pa.int32()),
        ]
    ),
    "dex_reads": arrow_schema(
        [
            ("read_id", pa.string()),
            ("sha256", pa.string()),
            ("read_index", pa.int32()),
            ("machine_serial", pa.string()),
            ("serial_source", pa.string()),
            ("machine_model", pa.string()),
            ("asset_number", pa.string()),
            ("control_board_serial", pa.string()),
            ("read_at", TS),
            ("read_time_source", pa.string()),
            ("previous_read_at", TS),
            ("init_at", TS),
            ("received_at", TS_UTC),
            ("clock_warning", pa.string()),
            ("crc_present", pa.bool_()),
            ("crc_verified", pa.bool_()),
            ("crc_variant", pa.string()),
            ("dts_version", pa.string()),
            ("currency", pa.string()),
            ("decimals", pa.int8()),
            ("selections", pa.int32()),
            ("reads_since_init", pa.int64()),
        ]
    ),
    "dex_selection_counters": arrow_schema(
        [
            ("read_id", pa.string()),
            ("machine_serial", pa.string()),
            ("read_at", TS),
            ("position", pa.int32()),
            ("selection", pa.string()),
            ("product_id", pa.string()),
            ("price", MONEY),
            ("capacity", pa.int64()),
            ("standard_fill", pa.int64()),
            ("current_level", pa.int64()),
            ("status", pa.string()),
            ("paid_vends_total", pa.int64()),
            ("paid_value_total", MONEY),
            ("paid_vends_since_reset", pa.int64()),
            ("paid_value_since_reset", MONEY),
            ("test_vends_total", pa.int64()),
            ("test_value_total", MONEY),
            ("test_vends_since_reset", pa.int64()),
            ("test_value_since_reset", MONEY),
            ("free_vends_total", pa.int64()),
            ("free_value_total", MONEY),
            ("free_vends_since_reset", pa.int64()),
            ("free_value_since_reset", MONEY),
            ("sold_out_at", TS),
            ("sold_out_count", pa.int64()),
            ("line", pa.int32()),
        ]
    ),
    "dex_payment_totals": arrow_schema(
        [
            ("read_id", pa.string()),
            ("machine_serial", pa.string()),
            ("read_at", TS),
            ("kind", pa.string()),
            ("value_init", MONEY),
            ("count_init", pa.int64()),
            ("value_reset", MONEY),
            ("count_reset", pa.int64()),
        ]
    ),
    "dex_events": arrow_schema(
        [
            ("read_id", pa.string()),
            ("machine_serial", pa.string()),
            ("read_at", TS),
            ("segment", pa.string()),
            ("code", pa.string()),
            ("event_at", TS),
            ("duration_minutes", pa.int64()),
            ("active", pa.bool_()),
            ("count_reset", pa.int64()),
            ("count_init", pa.int64()),
            ("line", pa.int32()),
        ]
    ),
    "quarantine": arrow_schema(
        [
            ("sha256", pa.string()),
            ("delivery_id", pa.string()),
            ("original_name", pa.string()),
            ("read_index", pa.int32()),
            ("reason", pa.string()),
            ("message", pa.string()),
            ("quarantined_at", TS_UTC),
        ]
    ),
}
RAW_TABLES: tuple[str, ...] = tuple(SCHEMAS)


# column lengths per table, reads, delivery ids, quarantined shas, serials: see DayResult
Checkpoint = tuple[dict[str, dict[str, int]], int, int, set[str], dict[str, datetime]]


@dataclass
class DayResult:
    """The rows of one arrival day, and what the caller must act on."""

    rows: dict[str, dict[str, list[Any]]] = field(
        default_factory=lambda: {t: defaultdict(list) for t in SCHEMAS}
    )
    quarantined: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> record
    serials: dict[str, datetime] = field(default_factory=dict)  # serial -> first arrival
    delivery_ids: list[str] = field(default_factory=list)  # what the day was built from
    reads: int = 0

    @property
    def files(self) -> int:
        """Files (deliveries) of the day."""
        return len(self.delivery_ids)

    def add(self, table: str, **values: Any) -> None:
        """Append one row (columns not given are null)."""
        columns = self.rows[table]
        for name in SCHEMAS[table].names:
            columns[name].append(values.get(name))

    def checkpoint(self) -> Checkpoint:
        """Where the result stands now, for :meth:`rollback`."""
        lengths = {t: {n: len(c) for n, c in cols.items()} for t, cols in self.rows.items()}
        ids = len(self.delivery_ids)
        return lengths, self.reads, ids, set(self.quarantined), dict(self.serials)

    def rollback(self, mark: Checkpoint) -> None:
        """Drop everything added since ``mark`` (a file that failed half-way)."""
        lengths, self.reads, ids, quarantined, self.serials = mark
        for table, columns in self.rows.items():
            for name, column in columns.items():
                del column[lengths[table].get(name, 0) :]
        del self.delivery_ids[ids:]
        for sha in set(self.quarantined) - quarantined:
            del self.quarantined[sha]

    def tables(self) -> dict[str, pa.Table]:
        """The rows as Arrow tables with the fixed schemas."""
        return {
            t: pa.table({n: self.rows[t][n] for n in SCHEMAS[t].names}, schema=SCHEMAS[t])
            if self.rows[t]
            else SCHEMAS[t].empty_table()
            for t in SCHEMAS
        }


def resolve_serial(read: Read) -> tuple[str | None, str | None]:
    """The machine a read belongs to: ID101, else ID106 asset, CB101 board, DXS01 sender."""
    m = read.machine
    for value, source in (
        (m.serial, "ID101"),
        (m.asset_number, "ID106"),
        (m.control_board_serial, "CB101"),
        (m.communication_id, "DXS01"),
    ):
        if value and value.strip("0 "):
            return value, source
    return None, None


# dex_selection_counters columns taken straight from Selection attributes of the same name
_SELECTION_FIELDS = (
    "selection",
    "product_id",
    "price",
    "capacity",
    "standard_fill",
    "current_level",
    "status",
    "paid_vends_total",
    "paid_value_total",
    "paid_vends_since_reset",
    "paid_value_since_reset",
    "sold_out_at",
    "sold_out_count",
    "line",
)
_VEND_COUNTERS = (("test", "test_vends"), ("free", "free_vends"))


def _add_selections(day: DayResult, selections: list[Selection], base: dict[str, Any]) -> None:
    """Append one counter row per selection, column by column (the hot path of ingestion)."""
    if not selections:
        return
    columns = day.rows["dex_selection_counters"]
    n = len(selections)
    for name, value in base.items():
        columns[name].extend([value] * n)
    columns["position"].extend(range(1, n + 1))
    for name in _SELECTION_FIELDS:
        columns[name].extend([getattr(s, name) for s in selections])
    for prefix, attr in _VEND_COUNTERS:
        sets = [getattr(s, attr) for s in selections]
        columns[f"{prefix}_vends_total"].extend([c.count_init for c in sets])
        columns[f"{prefix}_value_total"].extend([c.value_init for c in sets])
        columns[f"{prefix}_vends_since_reset"].extend([c.count_reset for c in sets])
        columns[f"{prefix}_value_since_reset"].extend([c.value_reset for c in sets])


def _add_read(
    day: DayResult,
    read: Read,
    *,
    read_id: str,
    serial: str,
    source: str,
    delivery: Delivery,
    received: datetime,
) -> None:
    """Append the rows of one usable read: its dex_reads row, then its selections, payment
    totals and events under the same read id."""
    base = {"read_id": read_id, "machine_serial": serial, "read_at": read.read_at}
    _add_read_row(day, read, base, source=source, sha256=delivery.sha256, received=received)
    _add_selections(day, read.selections, base)
    _add_payment_totals(day, read, base)
    _add_cash_totals(day, read, base)
    _add_events(day, read, base)


def _clock_warning(read: Read) -> str | None:
    """The first problem code that says the read's time is not to be trusted, if any."""
    return next(
        (
            p.code
            for p in read.problems
            if p.code in ("clock_in_future", "clock_implausible", "no_read_time")
        ),
        None,
    )


def _add_read_row(
    day: DayResult,
    read: Read,
    base: dict[str, Any],
    *,
    source: str,
    sha256: str,
    received: datetime,
) -> None:
    """Append the read's ``dex_reads`` row (``base``: its id, machine and time)."""
    day.add(
        "dex_reads",
        **base,
        sha256=sha256,
        read_index=read.index,
        serial_source=source,
        machine_model=read.machine.model,
        asset_number=read.machine.asset_number,
        control_board_serial=read.machine.control_board_serial,
        read_time_source=read.read_at_source,
        previous_read_at=read.previous_read_at,
        init_at=read.init_at,
        received_at=received,
        clock_warning=_clock_warning(read),
        crc_present=read.integrity.crc_present,
        crc_verified=read.integrity.crc_verified,
        crc_variant=read.integrity.crc_variant,
        dts_version=read.dts_version,
        currency=read.currency.code,
        decimals=read.currency.decimals,
        selections=len(read.selections),
        reads_since_init=read.audit.reads_since_init if read.audit else None,
    )


def _add_payment_totals(day: DayResult, read: Read, base: dict[str, Any]) -> None:
    """Append one ``dex_payment_totals`` row per sales total the read reports (VA1-VA3,
    CA2, DA2, DB2); a counter set with nothing in it is left out."""
    totals = read.totals
    for kind, counters in (
        ("paid", totals.paid),
        ("test", totals.test),
        ("free", totals.free),
        ("cash", totals.cash),
        ("cashless1", totals.cashless1),
        ("cashless2", totals.cashless2),
    ):
        if counters != CounterSet():
            day.add(
                "dex_payment_totals",
                **base,
                kind=kind,
                value_init=counters.value_init,
                count_init=counters.count_init,
                value_reset=counters.value_reset,
                count_reset=counters.count_reset,
            )


def _add_cash_totals(day: DayResult, read: Read, base: dict[str, Any]) -> None:
    """Append one ``dex_payment_totals`` row per cash flow the read reports (CA3, CA4,
    CA10, CA15, CA17), values only."""
    if read.cash is None:
        return
    cash = read.cash
    for kind, init, reset in (
        ("cash_in", cash.cash_in_init, cash.cash_in_reset),
        ("to_cashbox", cash.to_cashbox_init, cash.to_cashbox_reset),
        ("to_tubes", cash.to_tubes_init, cash.to_tubes_reset),
        ("bills_in", cash.bills_in_init, cash.bills_in_reset),
        ("dispensed", cash.dispensed_init, cash.dispensed_reset),
        ("manually_dispensed", cash.manually_dispensed_init, cash.manually_dispensed_reset),
        ("filled", cash.filled_init, cash.filled_reset),
        ("tube_contents", None, cash.tube_contents),
    ):
        if init is not None or reset is not None:
            day.add("dex_payment_totals", **base, kind=kind, value_init=init, value_reset=reset)


def _add_events(day: DayResult, read: Read, base: dict[str, Any]) -> None:
    """Append one ``dex_events`` row per event of the read (EA1, EA2, EA7, ...)."""
    for event in read.events:
        day.add(
            "dex_events",
            **base,
            segment=event.segment,
            code=event.code,
            event_at=event.at,
            duration_minutes=event.duration_minutes,
            active=event.active,
            count_reset=event.count_reset,
            count_init=event.count_init,
            line=event.line,
        )


def _quarantine(
    day: DayResult,
    delivery: Delivery,
    *,
    received: datetime,
    read_index: int | None,
    reason: str,
    message: str,
    problems: list[dict[str, Any]] | None = None,
) -> None:
    message = message[:MAX_MESSAGE]
    day.add(
        "quarantine",
        sha256=delivery.sha256,
        delivery_id=delivery.delivery_id,
        original_name=delivery.original_name,
        read_index=read_index,
        reason=reason,
        message=message,
        quarantined_at=received,
    )
    problems = problems or []
    record = day.quarantined.setdefault(
        delivery.sha256,
        {
            "sha256": delivery.sha256,
            "original_name": delivery.original_name,
            "delivery_id": delivery.delivery_id,
            "received_at": delivery.received_at,
            "reasons": [],
            "problems": problems[:MAX_RECORD_PROBLEMS],
            "problems_not_listed": max(0, len(problems) - MAX_RECORD_PROBLEMS),
            "reasons_not_listed": 0,
        },
    )
    # a record's size is bounded whatever the file: the table has a row for every read
    if len(record["reasons"]) < MAX_RECORD_REASONS:
        record["reasons"].append({"read_index": read_index, "reason": reason, "message": message})
    else:
        record["reasons_not_listed"] += 1


def _serial_refused(serial: str, source: str | None) -> str | None:
    """Why the device registry would refuse ``serial`` (its own check, so the two never
    disagree), or None: such a read is quarantined, where registering it would fail the run."""
    try:
        validation.dex_serial(source or "serial", serial)
    except ValidationError as error:
        return str(error)
    return None


def _read_reason(read: Read) -> tuple[str, str]:
    errors = [p for p in read.problems if p.severity == "error"]
    if errors:
        return errors[0].code, errors[0].message
    return "unusable", "the read is not usable"


def build_day(
    archive: Path, day: str, blobs: Location | None = None, ledger_url: str | None = None
) -> DayResult:
    """Parse every delivery of arrival day ``day`` into raw rows and quarantine records.

    A file whose building fails in any way is quarantined (reason ``build_failed``) with none
    of its rows kept, and the day goes on: no single file can stop a day from landing. Content
    an operator skipped (``cvd quarantine skip``) is listed, not parsed. ``blobs``: where the
    bytes are when not in the archive folder (object storage, :mod:`ingest.blobs`).
    ``ledger_url``: the ledger's database (None: the SQLite file in the archive)."""
    result = DayResult()
    skipped = skipped_contents(archive, ledger_url)
    for delivery, first in deliveries_of_day(archive, day, ledger_url):
        mark = result.checkpoint()
        try:
            _build_files(archive, [(delivery, first)], result, skipped, blobs)
        except Exception as error:  # any failure of one file quarantines that file only
            result.rollback(mark)
            _build_failed(result, delivery, error)
    return result


def inspect_delivery(
    archive: Path,
    delivery: Delivery,
    blobs: Location | None = None,
    ledger_url: str | None = None,
) -> DayResult:
    """What building ``delivery`` alone makes of it, as if it were the first of its bytes: its
    ``dex_files`` row, its reads and its quarantine reasons (the Upload DEX page's verdict;
    the pipeline builds the day itself later). ``blobs`` and ``ledger_url`` as for
    :func:`build_day`."""
    result = DayResult()
    try:
        skipped = skipped_contents(archive, ledger_url)
        _build_files(archive, [(delivery, delivery)], result, skipped, blobs)
    except Exception as error:  # the same failure build_day turns into a quarantine
        result = DayResult()
        _build_failed(result, delivery, error)
    return result


def _build_failed(result: DayResult, delivery: Delivery, error: Exception) -> None:
    """Quarantine a file whose building raised (its rows were rolled back)."""
    received = datetime.fromisoformat(delivery.received_at)
    message = f"{type(error).__name__}: {error}"[:MAX_MESSAGE]
    result.delivery_ids.append(delivery.delivery_id)
    _quarantine(
        result, delivery, received=received, read_index=None, reason=BUILD_FAILED, message=message
    )
    result.add(
        "dex_files", **_file_row(delivery, received), status="quarantined", reason=BUILD_FAILED
    )


def _build_files(
    archive: Path,
    deliveries: list[tuple[Delivery, Delivery]],
    result: DayResult,
    skipped: dict[str, str],
    blobs: Location | None = None,
) -> None:
    """Add the rows of ``deliveries`` (each with the first delivery of its bytes) to ``result``."""
    for delivery, first in deliveries:
        is_skipped = delivery.sha256 in skipped
        result.delivery_ids.append(delivery_marker(delivery.delivery_id, is_skipped))
        received = datetime.fromisoformat(delivery.received_at)
        file_row = _file_row(delivery, received)
        if is_skipped:
            result.add("dex_files", **file_row, status="skipped", reason=skipped[delivery.sha256])
            continue
        if first.delivery_id != delivery.delivery_id:
            _add_duplicate(result, file_row, first)
            continue
        if delivery.size > MAX_FILE_BYTES:
            _quarantine_too_large(result, delivery, file_row, received)
            continue
        data = read_blob(archive, blobs, delivery.sha256)
        parsed = evadts.parse(
            data, source=delivery.original_name, reference_time=received.replace(tzinfo=None)
        )
        usable = 0
        for read in parsed.reads:
            if _add_parsed_read(result, delivery, read, received=received):
                usable += 1
        if not parsed.reads:
            _quarantine_no_reads(result, delivery, parsed, received=received)
        elif cut := next((p for p in parsed.file_problems if p.code == "too_many_reads"), None):
            # the reads after the limit were not parsed: the file is partial at best
            _quarantine(
                result,
                delivery,
                received=received,
                read_index=None,
                reason=cut.code,
                message=cut.message,
            )
        _add_parsed_file(result, delivery, file_row, reads=len(parsed.reads), usable=usable)


def _file_row(delivery: Delivery, received: datetime) -> dict[str, Any]:
    """The ``dex_files`` columns every outcome shares (reads and usable reads still 0)."""
    return {
        "delivery_id": delivery.delivery_id,
        "sha256": delivery.sha256,
        "original_name": delivery.original_name,
        "size": delivery.size,
        "received_at": received,
        "reads": 0,
        "usable_reads": 0,
    }


def _add_duplicate(result: DayResult, file_row: dict[str, Any], first: Delivery) -> None:
    """Record a delivery whose bytes arrived before as ``first``: not parsed again."""
    result.add(
        "dex_files",
        **file_row,
        status="duplicate",
        reason=f"same bytes as {first.original_name} received {first.received_at}",
    )


def _quarantine_too_large(
    result: DayResult, delivery: Delivery, file_row: dict[str, Any], received: datetime
) -> None:
    """Quarantine a delivery too large to be a DEX file, without reading it."""
    message = f"{delivery.size} bytes: too large for a DEX file; not parsed"
    _quarantine(
        result,
        delivery,
        received=received,
        read_index=None,
        reason="too_large",
        message=message,
    )
    result.add("dex_files", **file_row, status="quarantined", reason="too_large")


def _add_parsed_read(
    result: DayResult, delivery: Delivery, read: Read, *, received: datetime
) -> bool:
    """Load one parsed read into the raw rows, or quarantine it (unusable, or no machine
    named); True when it was loaded."""
    result.reads += 1
    read_id = f"{delivery.sha256[:16]}:{read.index}"
    serial, source = resolve_serial(read)
    if not read.usable:
        code, message = _read_reason(read)
        _quarantine(
            result,
            delivery,
            received=received,
            read_index=read.index,
            reason=code,
            message=message,
            problems=[evadts.jsonout.problem_to_dict(p) for p in read.problems],
        )
        return False
    if serial is None:
        _quarantine(
            result,
            delivery,
            received=received,
            read_index=read.index,
            reason="no_serial",
            message="no ID101, ID106, CB101 or DXS01 names the machine",
        )
        return False
    if (refused := _serial_refused(serial, source)) is not None:
        _quarantine(
            result,
            delivery,
            received=received,
            read_index=read.index,
            reason=INVALID_SERIAL,
            message=refused,
        )
        return False
    _add_read(
        result,
        read,
        read_id=read_id,
        serial=serial,
        source=source or "",
        delivery=delivery,
        received=received,
    )
    # first seen by us: the arrival time (machine clocks are naive and often wrong)
    result.serials[serial] = min(received, result.serials.get(serial, received))
    return True


def _quarantine_no_reads(
    result: DayResult, delivery: Delivery, parsed: evadts.ParseResult, *, received: datetime
) -> None:
    """Quarantine a file in which the parser found no read, with its file-level problems."""
    problem = next((p for p in parsed.file_problems if p.severity == "error"), None)
    _quarantine(
        result,
        delivery,
        received=received,
        read_index=None,
        reason=problem.code if problem else "no_reads",
        message=problem.message if problem else "no DEX read in the file",
        problems=[evadts.jsonout.problem_to_dict(p) for p in parsed.file_problems],
    )


def _add_parsed_file(
    result: DayResult, delivery: Delivery, file_row: dict[str, Any], *, reads: int, usable: int
) -> None:
    """Record a parsed delivery: loaded (every read usable), partial or quarantined, with
    the reasons its reads were quarantined."""
    status = (
        "loaded"
        if usable == reads and usable and delivery.sha256 not in result.quarantined
        else "partial"
        if usable
        else "quarantined"
    )
    reasons = sorted(
        {r["reason"] for r in result.quarantined.get(delivery.sha256, {}).get("reasons", [])}
    )
    result.add(
        "dex_files",
        **{**file_row, "reads": reads, "usable_reads": usable},
        status=status,
        reason=",".join(reasons) or None,
    )
