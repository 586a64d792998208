"""A simulated fleet's cash marts without Dagster: the simulator, the real ingest (receive,
build days), the sales marts, the drivers' counts from the demo's collections.csv, the cash
marts; then the variance rules per driver against the truth's planted shrink driver."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.days import build_days
from ingest.receive import arrival_days, receive_inbox
from simulator.config import SimConfig
from simulator.run import OutputPaths, simulate
from transforms.cash import publish_collections, refresh_cash
from transforms.cash_flags import CashThresholds, flagged_people
from transforms.catalog import view_sql
from transforms.marts import refresh_marts


@dataclass(frozen=True)
class DriverFlags:
    """One seed's outcome: the planted driver, and who the rules flagged."""

    shrink_driver: str
    drivers: set[str]
    flagged: set[str]


def _cents(text: str) -> int | None:
    return None if text == "" else int(Decimal(text) * 100)


def run_fleet(home: Path, config: SimConfig) -> DriverFlags:
    """Simulate ``config`` into ``home``, build its cash marts, flag drivers."""
    paths = OutputPaths(home / "inbox", home / "master-data", home / "truth")
    simulate(config, paths)
    archive, lake = home / "archive", home / "lake"
    receive_inbox(paths.inbox, archive)
    list(build_days(archive, lake, arrival_days(archive), workers=1))
    refresh_marts(lake)
    with (paths.master_data / "collections.csv").open(newline="", encoding="utf-8") as f:
        rows = [
            {"collection_id": n, "machine_serial": r["serial"], "asset_number": r["asset_number"],
             "route_code": None, "driver": r["driver"], "bag": r["bag"], "source": "import",
             "collected_at": datetime.fromisoformat(r["collected_at"]),
             "counted_bills_cents": _cents(r["bills"]), "counted_coins_cents": _cents(r["coins"]),
             "counted_cents": _cents(r["counted"]), "adjusted_cents": None,
             "reconcile_state": "pending", "reconcile_note": ""}
            for n, r in enumerate(csv.DictReader(f), start=1)
        ]  # fmt: skip
    publish_collections(lake, rows)
    refresh_cash(lake)
    con = duckdb.connect()
    try:
        con.execute(view_sql("marts", "fct_cash_collections", lake))
        people = flagged_people(con, CashThresholds(), "driver")
        (shrink,) = con.execute(
            f"SELECT DISTINCT driver FROM '{paths.truth / 'cash_collections.parquet'}' "
            "WHERE cause = 'shrink'"
        ).fetchone() or (None,)
    finally:
        con.close()
    return DriverFlags(str(shrink), set(people["who"]), set(people.loc[people["flagged"], "who"]))
