"""Import the master-data CSV files (docs/master-data.md) into the operational database.

Files are read in dependency order (products, locations, routes, devices, cabinets,
planograms). Each row is written in its own transaction through the service layer, so a bad row
is rejected with its file, line and reason while every good row is kept. Rows are matched by
natural key, so importing the same files again changes nothing and reports them unchanged.
Planogram rows are grouped per cabinet: a cabinet whose valid rows differ from its active
planogram gets a new version; identical rows leave it as it is.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from operations.db import transaction
from operations.errors import OperationsError, ValidationError
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

RowOutcome = Literal["created", "updated", "unchanged", "rejected"]
Row = dict[str, str]


@dataclass(frozen=True)
class RowResult:
    """What happened to one CSV row (``line`` is the 1-based line in the file)."""

    file: str
    line: int
    key: str
    outcome: RowOutcome
    reason: str = ""


@dataclass
class ImportReport:
    """Every row's result, in file order."""

    rows: list[RowResult] = field(default_factory=list)

    def counts(self) -> dict[str, Counter[str]]:
        """Per file: how many rows were created, updated, unchanged, rejected."""
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


def _save_product(engine: Engine, actor: Actor, row: Row) -> str:
    return masterdata.save_product(
        engine,
        actor,
        code=row["product_id"],
        name=row["name"],
        category=row["category"],
        price=row["price"],
        cost=row["cost"],
        size=row["size"],
    ).outcome


def _save_location(engine: Engine, actor: Actor, row: Row) -> str:
    return masterdata.save_location(
        engine,
        actor,
        code=row["location_id"],
        name=row["name"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        traffic=row["traffic"],
    ).outcome


def _save_route(engine: Engine, actor: Actor, row: Row) -> str:
    return masterdata.save_route(
        engine, actor, code=row["route_id"], name=row["name"], driver=row["driver"]
    ).outcome


def _save_device(engine: Engine, actor: Actor, row: Row) -> str:
    return devices.save_device(
        engine,
        actor,
        asset_number=row["asset_number"],
        dex_serial=row["dex_serial"],
        model=row["model"],
        device_type=row["device_type"],
        location_code=row["location_id"],
        route_code=row["route_id"],
        telemetry=row["telemetry"],
        service_days=row["service_days"],
    ).outcome


def _save_cabinet(engine: Engine, actor: Actor, row: Row) -> str:
    return devices.save_cabinet(
        engine,
        actor,
        asset_number=row["asset_number"],
        cabinet_index=row["cabinet_index"],
        cabinet_type=row["cabinet_type"],
        rows=row["rows"],
        columns=row["columns"],
    ).outcome


RowWriter = Callable[[Engine, Actor, Row], str]

# file name → (columns, key column, writer); planograms.csv is handled per cabinet below.
ROW_FILES: dict[str, tuple[tuple[str, ...], str, RowWriter]] = {
    "products.csv": (
        ("product_id", "name", "category", "price", "cost", "size"),
        "product_id",
        _save_product,
    ),
    "locations.csv": (
        ("location_id", "name", "address", "latitude", "longitude", "traffic"),
        "location_id",
        _save_location,
    ),
    "routes.csv": (("route_id", "name", "driver"), "route_id", _save_route),
    "devices.csv": (
        (
            "asset_number",
            "dex_serial",
            "model",
            "device_type",
            "location_id",
            "route_id",
            "telemetry",
            "service_days",
        ),
        "asset_number",
        _save_device,
    ),
    "cabinets.csv": (
        ("asset_number", "cabinet_index", "cabinet_type", "rows", "columns"),
        "asset_number",
        _save_cabinet,
    ),
}
PLANOGRAM_FILE = "planograms.csv"
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


class _FileProblemError(Exception):
    """The whole file cannot be read (missing, not UTF-8, missing columns)."""


def _read(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, Row | str]]:
    """Yield ``(line, row)`` or ``(line, reason)`` for a malformed row."""
    if not path.is_file():
        raise _FileProblemError("file not found")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise _FileProblemError(f"header lacks column(s) {', '.join(missing)}")
            for raw in reader:
                if None in raw:
                    width = len(raw[None]) + len(reader.fieldnames or [])
                    yield reader.line_num, f"{width} fields, the header has fewer"
                    continue
                empty_row = [c for c in columns if raw.get(c) is None]
                if empty_row:
                    yield reader.line_num, f"too few fields (no {', '.join(empty_row)})"
                    continue
                yield reader.line_num, {c: (raw[c] or "").strip() for c in columns}
    except UnicodeDecodeError as exc:
        raise _FileProblemError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise _FileProblemError(f"malformed CSV: {exc}") from exc


def _rejected(file: str, line: int, key: str, reason: object) -> RowResult:
    return RowResult(file, line, key, "rejected", str(reason))


def _import_rows(engine: Engine, actor: Actor, directory: Path, report: ImportReport) -> None:
    for file, (columns, key_column, writer) in ROW_FILES.items():
        try:
            for line, row in _read(directory / file, columns):
                if isinstance(row, str):
                    report.rows.append(_rejected(file, line, "", f"malformed row: {row}"))
                    continue
                key = row[key_column]
                if file == "cabinets.csv":
                    key = f"{key}/{row['cabinet_index']}"
                try:
                    outcome = writer(engine, actor, row)
                except (OperationsError, IntegrityError) as exc:
                    report.rows.append(_rejected(file, line, key, _reason(exc)))
                    continue
                report.rows.append(RowResult(file, line, key, outcome))  # type: ignore[arg-type]
        except _FileProblemError as exc:
            report.rows.append(_rejected(file, 0, "", exc))


def _reason(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return f"violates a database constraint: {exc.orig}"
    return str(exc)


def _import_planograms(engine: Engine, actor: Actor, directory: Path, report: ImportReport) -> None:
    groups: dict[tuple[str, str], list[tuple[int, Row]]] = defaultdict(list)
    try:
        for line, row in _read(directory / PLANOGRAM_FILE, PLANOGRAM_COLUMNS):
            if isinstance(row, str):
                report.rows.append(_rejected(PLANOGRAM_FILE, line, "", f"malformed row: {row}"))
                continue
            groups[row["asset_number"], row["cabinet_index"]].append((line, row))
    except _FileProblemError as exc:
        report.rows.append(_rejected(PLANOGRAM_FILE, 0, "", exc))
        return
    for (asset, index), lines in groups.items():
        report.rows.extend(_import_cabinet_planogram(engine, actor, asset, index, lines))


def _check_slots(
    session: Session, cabinet: Cabinet, lines: list[tuple[int, Row]]
) -> tuple[dict[int, RowResult], list[tuple[int, str, SlotRow]]]:
    """Validate each row of one cabinet: rejected results by line, and the accepted slots."""
    rejected: dict[int, RowResult] = {}
    accepted: list[tuple[int, str, SlotRow]] = []
    taken: dict[str, set[str]] = {"slot": set(), "selection": set()}
    for line, row in lines:
        key = f"{row['asset_number']}/{row['cabinet_index']}/{row['slot']}"
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
    engine: Engine, actor: Actor, asset: str, index: str, lines: list[tuple[int, Row]]
) -> list[RowResult]:
    try:
        with transaction(engine) as session:
            cabinet = devices.get_cabinet(session, asset, int(index) if index.isdigit() else -1)
            results, accepted = _check_slots(session, cabinet, lines)
            current = active_version(session, cabinet.id)
            rows = [slot for _, _, slot in accepted]
            outcome: RowOutcome = "unchanged"
            if rows and sorted(slot_rows(current), key=_by_slot) != sorted(rows, key=_by_slot):
                write_version(session, actor, cabinet, rows, note="master-data import")
                outcome = "created" if current is None else "updated"
            for line, key, _ in accepted:
                results[line] = RowResult(PLANOGRAM_FILE, line, key, outcome)
    except (OperationsError, IntegrityError) as exc:
        return [
            _rejected(PLANOGRAM_FILE, line, f"{asset}/{index}", _reason(exc)) for line, _ in lines
        ]
    return [results[line] for line, _ in lines]


def _by_slot(row: SlotRow) -> str:
    return row.slot


def _slot_spec(row: Row) -> SlotSpec:
    return SlotSpec(
        slot=row["slot"],
        selection=row["selection"],
        product_code=row["product_id"],
        capacity=row["capacity"],
        par_level=row["par_level"],
        price=row["price"],
    )


def import_master_data(engine: Engine, directory: Path, *, actor: Actor = SYSTEM) -> ImportReport:
    """Import every master-data file in ``directory``; return the per-row report.

    A missing or unreadable file is one rejected entry (line 0) and the other files still load.
    """
    require(actor, Action.IMPORT_MASTER_DATA)
    require(actor, Action.WRITE_MASTER_DATA)
    require(actor, Action.EDIT_PLANOGRAM)
    report = ImportReport()
    _import_rows(engine, actor, Path(directory), report)
    _import_planograms(engine, actor, Path(directory), report)
    return report
