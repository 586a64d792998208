"""Import the master-data CSV files (docs/master-data.md) into the operational database.

Files are read in dependency order (products, locations, routes, devices, cabinets,
planograms), each whole and bounded in size before anything of it is written
(``operations.csv_rows``): a file too big, not UTF-8 or without its columns is one rejected
entry (line 0). Every row is validated and reported with its file, line, field and key: a row
the CSV reader cannot parse, a field too long, or a key repeated in the file (the first row
wins, later ones are rejected naming it) is rejected and the rest of the file goes on.
Rows are written through the service layer in transactions of :data:`BATCH_ROWS` rows, each row
in its own savepoint: a bad row is rejected alone while every good row is kept, and no
transaction holds the database's write lock for long. Rows are matched by natural key, so
importing the same files again changes nothing and reports them unchanged.
Planogram rows are grouped per cabinet, and a cabinet's planogram is written whole or not at
all: if any of its rows is rejected (or malformed), the cabinet keeps its active version and its
other rows are reported ``not_applied``. A cabinet whose rows differ from its active planogram
gets a new version; each row is counted by what changed in its slot (created, updated,
unchanged), not by the rewrite of the whole cabinet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from operations.csv_rows import FileProblemError, Row, read_rows
from operations.db import transaction
from operations.errors import NotFound, OperationsError, ValidationError
from operations.permissions import SYSTEM, Action, Actor, require
from operations.schema import Cabinet
from operations.services import devices, masterdata
from operations.services.planograms import (
    SlotRow,
    SlotSpec,
    active_version,
    slot_rows,
    validate_slot,
    write_version,
)
from operations.services.records import Saved

RowOutcome = Literal["created", "updated", "unchanged", "rejected", "not_applied"]
OUTCOMES: tuple[RowOutcome, ...] = ("created", "updated", "unchanged", "rejected", "not_applied")
BATCH_ROWS = 500


@dataclass(frozen=True)
class RowResult:
    """What happened to one CSV row (``line`` is the 1-based line in the file; ``field`` the
    column a rejection concerns, when one does)."""

    file: str
    line: int
    key: str
    outcome: RowOutcome
    reason: str = ""
    field: str = ""


@dataclass
class ImportReport:
    """Every row's result, in file order."""

    rows: list[RowResult] = field(default_factory=list)

    def counts(self) -> dict[str, Counter[str]]:
        """Per file: how many rows were created, updated, unchanged, rejected, not applied."""
        totals: dict[str, Counter[str]] = defaultdict(Counter)
        for row in self.rows:
            totals[row.file][row.outcome] += 1
        return dict(totals)

    def total(self, outcome: RowOutcome) -> int:
        """How many rows across all files had ``outcome``."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def rejected(self) -> list[RowResult]:
        """The rejected rows with their reasons."""
        return [row for row in self.rows if row.outcome == "rejected"]

    @property
    def not_applied(self) -> list[RowResult]:
        """Valid planogram rows held back because another row of their cabinet was rejected."""
        return [row for row in self.rows if row.outcome == "not_applied"]


@dataclass(frozen=True)
class RowFile:
    """A file whose rows map one-to-one onto a service call: CSV column → keyword argument."""

    columns: dict[str, str]
    save: Callable[..., Saved[Any]]
    key_columns: tuple[str, ...]
    # Columns a file may leave out; the service then keeps what the record has.
    optional: dict[str, str] = field(default_factory=dict)

    def write(self, session: Session, actor: Actor, row: Row) -> RowOutcome:
        """Save one row through the service (a savepoint in ``session``); its outcome."""
        mapping = self.columns | self.optional
        arguments = {keyword: row[column] for column, keyword in mapping.items() if column in row}
        return self.save(session, actor, **arguments).outcome

    def field(self, exc: Exception) -> str:
        """The CSV column an error of the service concerns ("" when it names none)."""
        if isinstance(exc, ValidationError):
            mapping = self.columns | self.optional
            by_keyword = {keyword: column for column, keyword in mapping.items()}
            return by_keyword.get(exc.field, exc.field)
        if isinstance(exc, NotFound):
            return f"{exc.entity}_id" if f"{exc.entity}_id" in self.columns else ""
        return ""


def _same(*columns: str) -> dict[str, str]:
    return {column: column for column in columns}


# In dependency order; planograms.csv is handled per cabinet below.
ROW_FILES: dict[str, RowFile] = {
    "products.csv": RowFile(
        {"product_id": "code"} | _same("name", "category", "price", "cost", "size"),
        masterdata.save_product,
        ("product_id",),
        _same("barcode", "image_url"),
    ),
    "locations.csv": RowFile(
        {"location_id": "code"} | _same("name", "address", "latitude", "longitude", "traffic"),
        masterdata.save_location,
        ("location_id",),
        _same("access_notes"),
    ),
    "routes.csv": RowFile(
        {"route_id": "code"} | _same("name", "driver"),
        masterdata.save_route,
        ("route_id",),
        _same("service_days"),
    ),
    "devices.csv": RowFile(
        _same("asset_number", "dex_serial", "model", "device_type", "telemetry", "service_days")
        | {"location_id": "location_code", "route_id": "route_code"},
        devices.save_device,
        ("asset_number",),
    ),
    "cabinets.csv": RowFile(
        _same("asset_number", "cabinet_index", "cabinet_type", "rows", "columns"),
        devices.save_cabinet,
        ("asset_number", "cabinet_index"),
    ),
}
PLANOGRAM_FILE = "planograms.csv"
MASTER_DATA_FILES: tuple[str, ...] = (*ROW_FILES, PLANOGRAM_FILE)
PLANOGRAM_COLUMNS = (
    "asset_number",
    "cabinet_index",
    "slot",
    "selection",
    "product_id",
    "capacity",
    "par_level",
    "price",
)


def _rejected(file: str, line: int, key: str, reason: object, field: str = "") -> RowResult:
    return RowResult(file, line, key, "rejected", str(reason), field)


def _import_rows(
    engine: Engine, actor: Actor, directory: Path, report: ImportReport, files: Collection[str]
) -> None:
    for file, spec in ROW_FILES.items():
        if file not in files:
            continue
        first_line: dict[str, int] = {}
        batch: list[tuple[int, str, Row]] = []
        try:
            for parsed in read_rows(directory / file, tuple(spec.columns), tuple(spec.optional)):
                key = "/".join(parsed.row.get(column, "") for column in spec.key_columns)
                if parsed.problem:
                    reason = f"malformed row: {parsed.problem}"
                    report.rows.append(_rejected(file, parsed.line, key, reason, parsed.field))
                    continue
                if key in first_line:
                    reason = f"duplicate key: line {first_line[key]} has it (the first row wins)"
                    field = "/".join(spec.key_columns)
                    report.rows.append(_rejected(file, parsed.line, key, reason, field))
                    continue
                first_line[key] = parsed.line
                batch.append((parsed.line, key, parsed.row))
                if len(batch) == BATCH_ROWS:
                    report.rows.extend(_write_batch(engine, actor, file, spec, batch))
                    batch = []
        except FileProblemError as exc:
            report.rows.append(_rejected(file, 0, "", exc))
        report.rows.extend(_write_batch(engine, actor, file, spec, batch))


def _write_batch(
    engine: Engine, actor: Actor, file: str, spec: RowFile, batch: list[tuple[int, str, Row]]
) -> list[RowResult]:
    """Write ``batch`` in one transaction, each row in its own savepoint; the rows' results."""
    if not batch:
        return []
    results: list[RowResult] = []
    try:
        with transaction(engine) as session:
            for line, key, row in batch:
                try:
                    outcome = spec.write(session, actor, row)
                except (OperationsError, IntegrityError) as exc:
                    results.append(_rejected(file, line, key, _reason(exc), spec.field(exc)))
                    continue
                results.append(RowResult(file, line, key, outcome))
    except SQLAlchemyError as exc:  # the commit itself failed: none of the batch was written
        reason = f"not written: the batch of lines {batch[0][0]}-{batch[-1][0]} failed ({exc})"
        return [_rejected(file, line, key, reason) for line, key, _ in batch]
    return results


def _reason(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return f"violates a database constraint: {exc.orig}"
    return str(exc)


def _import_planograms(engine: Engine, actor: Actor, directory: Path, report: ImportReport) -> None:
    groups: dict[tuple[str, str], list[tuple[int, Row, str]]] = defaultdict(list)
    results: list[RowResult] = []
    try:
        for parsed in read_rows(directory / PLANOGRAM_FILE, PLANOGRAM_COLUMNS):
            line, row, problem = parsed.line, parsed.row, parsed.problem
            if problem and not (row.get("asset_number") and row.get("cabinet_index")):
                key = "/".join(row.get(c, "") for c in ("asset_number", "cabinet_index", "slot"))
                reason = f"malformed row: {problem}"
                results.append(
                    _rejected(PLANOGRAM_FILE, line, key.strip("/"), reason, parsed.field)
                )
                continue
            groups[row["asset_number"], row["cabinet_index"]].append((line, row, problem))
    except FileProblemError as exc:
        report.rows.append(_rejected(PLANOGRAM_FILE, 0, "", exc))
        return
    for (asset, index), lines in groups.items():
        results.extend(_import_cabinet_planogram(engine, actor, asset, index, lines))
    report.rows.extend(sorted(results, key=lambda result: result.line))


def _check_slots(
    session: Session, cabinet: Cabinet, lines: list[tuple[int, Row, str]]
) -> tuple[dict[int, RowResult], list[tuple[int, str, SlotRow]]]:
    """Validate each row of one cabinet: rejected results by line, and the accepted slots."""
    rejected: dict[int, RowResult] = {}
    accepted: list[tuple[int, str, SlotRow]] = []
    taken: dict[str, set[str]] = {"slot": set(), "selection": set()}
    for line, row, problem in lines:
        key = f"{row['asset_number']}/{row['cabinet_index']}/{row['slot']}"
        if problem:
            rejected[line] = _rejected(PLANOGRAM_FILE, line, key, f"malformed row: {problem}")
            continue
        try:
            slot = validate_slot(_slot_spec(row), cabinet)
            masterdata.get_product(session, slot.product_code)
            for name, values in taken.items():
                if getattr(slot, name) in values:
                    raise ValidationError(name, getattr(slot, name), "appears twice")
        except OperationsError as exc:
            rejected[line] = _rejected(PLANOGRAM_FILE, line, key, exc)
            continue
        for name, values in taken.items():
            values.add(getattr(slot, name))
        accepted.append((line, key, slot))
    return rejected, accepted


def _import_cabinet_planogram(
    engine: Engine, actor: Actor, asset: str, index: str, lines: list[tuple[int, Row, str]]
) -> list[RowResult]:
    """Write one cabinet's rows as a new version, whole, or (any row rejected) not at all."""
    try:
        with transaction(engine) as session:
            cabinet = devices.get_cabinet(session, asset, int(index) if index.isdigit() else -1)
            rejected, accepted = _check_slots(session, cabinet, lines)
            if rejected:
                return _held_back(f"{asset}/{index}", rejected, accepted)
            current = {row.slot: row for row in slot_rows(active_version(session, cabinet.id))}
            rows = [slot for _, _, slot in accepted]
            if current != {row.slot: row for row in rows}:
                write_version(session, actor, cabinet, rows, note="master-data import")
            return [
                RowResult(PLANOGRAM_FILE, line, key, _slot_outcome(current.get(slot.slot), slot))
                for line, key, slot in accepted
            ]
    except (OperationsError, IntegrityError) as exc:
        return [
            _rejected(PLANOGRAM_FILE, line, f"{asset}/{index}", _reason(exc))
            for line, _, _ in lines
        ]


def _held_back(
    cabinet: str, rejected: dict[int, RowResult], accepted: list[tuple[int, str, SlotRow]]
) -> list[RowResult]:
    """The rejected rows, and every valid row of the cabinet reported as not applied."""
    lines = ", ".join(str(line) for line in sorted(rejected))
    label = "lines" if len(rejected) > 1 else "line"
    reason = f"not applied: cabinet {cabinet} has rejected rows ({label} {lines})"
    held = [
        RowResult(PLANOGRAM_FILE, line, key, "not_applied", reason) for line, key, _ in accepted
    ]
    return [*rejected.values(), *held]


def _slot_outcome(before: SlotRow | None, after: SlotRow) -> RowOutcome:
    if before is None:
        return "created"
    return "unchanged" if before == after else "updated"


def _slot_spec(row: Row) -> SlotSpec:
    return SlotSpec(
        slot=row["slot"],
        selection=row["selection"],
        product_code=row["product_id"],
        capacity=row["capacity"],
        par_level=row["par_level"],
        price=row["price"],
    )


def import_master_data(
    engine: Engine,
    directory: Path,
    *,
    actor: Actor = SYSTEM,
    files: Collection[str] = MASTER_DATA_FILES,
) -> ImportReport:
    """Import every master-data file in ``directory``; return the per-row report.

    A missing or unreadable file is one rejected entry (line 0) and the other files still load.
    ``files`` limits the import to those file names (an upload of some of the files).
    """
    require(actor, Action.IMPORT_MASTER_DATA)
    require(actor, Action.WRITE_MASTER_DATA)
    require(actor, Action.EDIT_PLANOGRAM)
    report = ImportReport()
    _import_rows(engine, actor, Path(directory), report, files)
    if PLANOGRAM_FILE in files:
        _import_planograms(engine, actor, Path(directory), report)
    return report
