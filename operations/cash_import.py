"""`cvd import collections FILE.csv`: cash collections from another system, row by row.

Columns (header names, any order): ``collected_at`` (ISO date and time; without a zone it is
UTC) and the machine as ``serial`` (its DEX serial or an alias) or ``asset_number``; what was
counted as ``bills`` and ``coins`` (currency units), or only ``counted`` (the total; when all
three are given the total must equal the sum); optional ``bag`` and ``driver``. Empty amounts
record a collection not counted yet. The file is read whole and bounded
(:mod:`operations.csv_rows`); each row is then written in its own transaction and audited, so a
bad row is reported with its line and field and never stops the others. A row whose machine
and time are already recorded is ``unchanged`` when it says the same, ``updated`` while the
collection is still pending reconciliation, else rejected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from operations import audit
from operations import validation as check
from operations.csv_rows import Row, read_rows
from operations.db import transaction
from operations.errors import OperationsError, ValidationError
from operations.importer import ImportReport, RowOutcome, RowResult
from operations.permissions import Action, Actor, require
from operations.schema import CashCollection
from operations.services.cash_collections import ENTITY, MAX_COLLECTION_CENTS, find_device

OPTIONAL = ("serial", "asset_number", "bills", "coins", "counted", "bag", "driver")
_AMOUNTS = ("counted_bills_cents", "counted_coins_cents", "counted_cents", "bag", "driver")


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("collected_at", value, "must be a date and time like "
                              "2024-01-31 14:05:00") from None  # fmt: skip
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _cents(row: Row, column: str) -> int | None:
    text = row.get(column, "")
    if not text:
        return None
    return check.money_cents(column, text, maximum_cents=MAX_COLLECTION_CENTS)


def _values(row: Row) -> dict[str, object]:
    """The amounts, bag and driver of a row, validated."""
    bills, coins, total = _cents(row, "bills"), _cents(row, "coins"), _cents(row, "counted")
    if bills is not None or coins is not None:
        split = (bills or 0) + (coins or 0)
        if total is not None and total != split:
            raise ValidationError("counted", row["counted"], "is not bills + coins")
        total = split
    bag = row.get("bag", "")
    driver = row.get("driver", "")
    return {
        "counted_bills_cents": bills,
        "counted_coins_cents": coins,
        "counted_cents": total,
        "bag": check.code("bag", bag) if bag else None,
        "driver": check.name("driver", driver, max_length=64) if driver else None,
    }


def _import_row(engine: Engine, actor: Actor, row: Row) -> tuple[str, RowOutcome]:
    """Write one valid-looking row; returns (key, outcome)."""
    machine = row.get("serial") or row.get("asset_number") or ""
    if not machine:
        raise ValidationError("serial", "", "give the machine's serial or asset_number")
    moment = _when(row["collected_at"])
    values = _values(row)
    with transaction(engine) as session:
        device = find_device(session, check.code("serial", machine))
        if device is None:
            field = "serial" if row.get("serial") else "asset_number"
            raise ValidationError(field, machine, "no such machine")
        key = f"{machine} {moment:%Y-%m-%d %H:%M:%S}"
        existing = session.scalars(
            select(CashCollection).where(
                CashCollection.device_id == device.id, CashCollection.collected_at == moment
            )
        ).one_or_none()
        if existing is not None:
            if all(getattr(existing, k) == v for k, v in values.items()):
                return key, "unchanged"
            if existing.reconcile_state != "pending":
                state = existing.reconcile_state
                raise ValidationError("collected_at", row["collected_at"],
                                      f"already recorded and {state}")  # fmt: skip
            before = audit.snapshot(existing)
            for name, value in values.items():
                setattr(existing, name, value)
            session.flush()
            audit.record(session, actor, "import", ENTITY, existing.id, before=before,
                         after=audit.snapshot(existing))  # fmt: skip
            return key, "updated"
        collection = CashCollection(
            device_id=device.id,
            route_code=device.route.code if device.route is not None else None,
            collected_at=moment,
            source="import",
            reconcile_note="",
            created_by=actor.username,
            **values,
        )
        session.add(collection)
        session.flush()
        audit.record(session, actor, "import", ENTITY, collection.id,
                     after=audit.snapshot(collection))  # fmt: skip
        return key, "created"


def import_collections(engine: Engine, path: Path, *, actor: Actor) -> ImportReport:
    """Import every row of ``path``; the report has one result per row, in file order.
    A file that cannot be read at all raises :class:`operations.csv_rows.FileProblemError`."""
    require(actor, Action.IMPORT_CASH)
    report = ImportReport()
    name = path.name
    for parsed in read_rows(path, ("collected_at",), OPTIONAL):
        key = parsed.row.get("serial") or parsed.row.get("asset_number") or ""
        if parsed.problem:
            report.rows.append(RowResult(name, parsed.line, key, "rejected", parsed.problem,
                                         parsed.field))  # fmt: skip
            continue
        try:
            key, outcome = _import_row(engine, actor, parsed.row)
        except ValidationError as exc:
            report.rows.append(RowResult(name, parsed.line, key, "rejected", str(exc), exc.field))
            continue
        except OperationsError as exc:
            report.rows.append(RowResult(name, parsed.line, key, "rejected", str(exc)))
            continue
        report.rows.append(RowResult(name, parsed.line, key, outcome))
    return report
