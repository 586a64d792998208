"""Master data follows docs/master-data.md exactly, and agrees with the DEX files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import evadts

from .conftest import Run

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "master-data.md"


def contract_headers() -> dict[str, list[str]]:
    """File → columns, read from the contract's table (backticked names, key first)."""
    out = {}
    for line in CONTRACT.read_text().splitlines():
        m = re.match(r"\| `(\w+\.csv)` \| (.*) \|$", line)
        if m:
            out[m[1]] = re.findall(r"^`(\w+)`|, `(\w+)`", m[2])
            out[m[1]] = [a or b for a, b in out[m[1]]]
    return out


def rows(run: Run, name: str) -> list[dict[str, str]]:
    with (run.paths.master_data / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sim_master_data_headers_are_the_contract(quirky_run: Run) -> None:
    headers = contract_headers()
    assert len(headers) == 6
    for name, columns in headers.items():
        with (quirky_run.paths.master_data / name).open(newline="", encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns, name


def test_sim_master_data_values(quirky_run: Run) -> None:
    devices = rows(quirky_run, "devices.csv")
    assert len(devices) == quirky_run.config.machines
    assert all(re.fullmatch(r"[01]{7}", d["service_days"]) and "1" in d["service_days"]
               for d in devices)  # fmt: skip
    assert {d["telemetry"] for d in devices} <= {"true", "false"}
    assert {r["traffic"] for r in rows(quirky_run, "locations.csv")} <= {"low", "medium", "high"}
    assert {r["size"] for r in rows(quirky_run, "products.csv")} <= {"S", "M", "L"}
    cabinets = rows(quirky_run, "cabinets.csv")
    slots = {(c["asset_number"], c["cabinet_index"]): int(c["rows"]) * int(c["columns"])
             for c in cabinets}  # fmt: skip
    plan = rows(quirky_run, "planograms.csv")
    assert len(plan) == sum(slots.values())
    for p in plan:
        assert int(p["par_level"]) <= int(p["capacity"])
        assert re.fullmatch(r"[A-Z]\d", p["slot"])


def test_sim_first_read_matches_the_planogram(quirky_run: Run) -> None:
    plan = rows(quirky_run, "planograms.csv")
    serial_of = {d["asset_number"]: d["dex_serial"] for d in rows(quirky_run, "devices.csv")}
    expected = {(serial_of[p["asset_number"]], p["selection"]): (p["product_id"], p["price"])
                for p in plan}  # fmt: skip
    seen = {}
    first_read = f"*_{quirky_run.config.start:%Y%m%d}000000.dex"  # at 00:00:00 of day 1
    for path in quirky_run.paths.inbox.glob(first_read):
        for read in evadts.parse(path.read_bytes()).reads:
            for s in read.selections:
                seen[(read.machine.serial, s.selection)] = (s.product_id, str(s.price))
    assert seen == expected
