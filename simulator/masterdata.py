"""Master data as the CSV files of docs/master-data.md (the operational importer's contract)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from simulator.catalog import Catalog
from simulator.config import CABINET_TYPES
from simulator.fleet import Fleet

PRODUCTS_CSV = "products.csv"
LOCATIONS_CSV = "locations.csv"
ROUTES_CSV = "routes.csv"
DEVICES_CSV = "devices.csv"
CABINETS_CSV = "cabinets.csv"
PLANOGRAMS_CSV = "planograms.csv"


def money(cents: int, decimals: int) -> str:
    """Minor units as a decimal string (``150`` → ``"1.50"``)."""
    return str(Decimal(int(cents)).scaleb(-decimals))


def _write(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[object]]) -> None:
    # newline="" lets csv write its own "\r\n" row ends, identically on every platform.
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_master_data(directory: Path, fleet: Fleet, catalog: Catalog, decimals: int) -> list[Path]:
    """Write the six master-data CSVs (planograms as at the start of the run); return paths."""
    directory.mkdir(parents=True, exist_ok=True)
    out = [directory / n for n in (PRODUCTS_CSV, LOCATIONS_CSV, ROUTES_CSV, DEVICES_CSV,
                                   CABINETS_CSV, PLANOGRAMS_CSV)]  # fmt: skip
    _write(
        out[0],
        ("product_id", "name", "category", "price", "cost", "size"),
        (
            (pid, catalog.name[i], catalog.category[i], money(catalog.price_cents[i], decimals),
             money(catalog.cost_cents[i], decimals), catalog.size[i])
            for i, pid in enumerate(catalog.product_id)
        ),
    )  # fmt: skip
    _write(
        out[1],
        ("location_id", "name", "address", "latitude", "longitude", "traffic"),
        ((loc.location_id, loc.name, loc.address, f"{loc.latitude:.6f}", f"{loc.longitude:.6f}",
          loc.traffic) for loc in fleet.locations),
    )  # fmt: skip
    _write(out[2], ("route_id", "name", "driver"), ((r.route_id, r.name, r.driver)
                                                    for r in fleet.routes))  # fmt: skip
    _write(
        out[3],
        ("asset_number", "dex_serial", "model", "device_type", "location_id", "route_id",
         "telemetry", "service_days"),
        ((d.asset_number, d.serial, d.model, d.device_type,
          fleet.locations[d.location].location_id, fleet.routes[d.route].route_id,
          "true" if d.telemetry else "false", d.service_days) for d in fleet.devices),
    )  # fmt: skip
    _write(
        out[4],
        ("asset_number", "cabinet_index", "cabinet_type", "rows", "columns"),
        ((d.asset_number, c, cab, *CABINET_TYPES[cab])
         for d in fleet.devices for c, cab in enumerate(d.cabinets, start=1)),
    )  # fmt: skip
    _write(
        out[5],
        ("asset_number", "cabinet_index", "slot", "selection", "product_id", "capacity",
         "par_level", "price"),
        ((fleet.devices[fleet.slot_machine[s]].asset_number, int(fleet.slot_cabinet[s]),
          fleet.slot_name[s], fleet.slot_selection[s], catalog.product_id[fleet.product[s]],
          int(fleet.capacity[s]), int(fleet.par[s]), money(fleet.price_cents[s], decimals))
         for s in range(fleet.n_slots)),
    )  # fmt: skip
    return out


COLLECTIONS_CSV = "collections.csv"
COLLECTION_COLUMNS = (
    "serial", "asset_number", "collected_at", "bills", "coins", "counted", "bag", "driver",
)  # fmt: skip


def write_collections(directory: Path, truth_file: Path) -> Path:
    """The run's cash collections as ``cvd import collections`` reads them (what the drivers
    counted, never what the box held): the demo's history from "another system"."""
    import pyarrow.parquet as pq  # noqa: PLC0415  (only at the end of a run)

    rows = pq.read_table(truth_file).to_pylist()
    path = directory / COLLECTIONS_CSV
    _write(
        path,
        COLLECTION_COLUMNS,
        (
            (r["serial"], r["asset_number"], r["collected_at"].isoformat(sep=" "),
             money(r["counted_bills_cents"], r["currency_decimals"]),
             money(r["counted_coins_cents"], r["currency_decimals"]),
             money(r["counted_cents"], r["currency_decimals"]), r["bag"], r["driver"])
            for r in rows
        ),
    )  # fmt: skip
    return path
