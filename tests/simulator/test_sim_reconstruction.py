"""Sales between reads rebuilt from the DEX files alone equal the simulator's truth, exactly.

The reconstruction here is deliberately independent of the simulator: plain arithmetic on the
parsed counters, with the rules of docs/dex-format.md, "Sales between two reads" (cumulative
difference; restart when EA4 changes; wrap past the documented field width; since-reset counters
for interval-only devices).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

import evadts
from simulator.config import WRAP_COUNT_MODULUS, WRAP_VALUE_MODULUS
from simulator.truth import INTERVAL_SALES, SLOT_DAY

from .conftest import Run

NAME = re.compile(r"^(?P<serial>[A-Z]+\d+)_(?P<ts>\d{14})")
Key = tuple[str, datetime, str]  # serial, end read's machine time, selection
Row = tuple[int, int, int, int, str]  # units, revenue cents, test, free, basis


def cents(value: Decimal | None, decimals: int) -> int:
    return 0 if value is None else int(value.scaleb(decimals))


def usable_reads(inbox: Path) -> dict[str, list[evadts.Read]]:
    """Usable reads per serial, once each, in upload order (file-name time, then file order)."""
    found: dict[tuple[object, ...], tuple[str, int, evadts.Read]] = {}
    for path in inbox.iterdir():
        match = NAME.match(path.name)
        assert match, path.name
        for read in evadts.parse(path.read_bytes(), source=path.name).reads:
            if not read.usable:
                continue
            key = (read.machine.serial, read.read_at, read.audit.reads_since_init, read.init_at)
            found.setdefault(key, (match["ts"], read.index, read))
    per_serial: dict[str, list[tuple[str, int, evadts.Read]]] = defaultdict(list)
    for (serial, *_), item in found.items():
        per_serial[serial].append(item)
    return {
        s: [r for _, _, r in sorted(items, key=lambda i: i[:2])] for s, items in per_serial.items()
    }


def reconstruct(inbox: Path) -> dict[Key, Row]:
    out: dict[Key, Row] = {}
    for serial, reads in usable_reads(inbox).items():
        for before, after in itertools.pairwise(reads):
            d = after.currency.decimals
            for sel in after.selections:
                prev = before.selection(sel.selection)
                test_i, free_i = sel.test_vends.count_init or 0, sel.free_vends.count_init or 0
                if sel.interval_only:
                    row = (sel.paid_vends_since_reset, cents(sel.paid_value_since_reset, d),
                           sel.test_vends.count_reset or 0, sel.free_vends.count_reset or 0,
                           "interval")  # fmt: skip
                elif after.init_at != before.init_at:
                    row = (sel.paid_vends_total, cents(sel.paid_value_total, d), test_i, free_i,
                           "restart")  # fmt: skip
                else:
                    units = sel.paid_vends_total - prev.paid_vends_total
                    value = cents(sel.paid_value_total, d) - cents(prev.paid_value_total, d)
                    basis = "wrap" if units < 0 or value < 0 else "cumulative"
                    row = (units % WRAP_COUNT_MODULUS if units < 0 else units,
                           value % WRAP_VALUE_MODULUS if value < 0 else value,
                           test_i - (prev.test_vends.count_init or 0),
                           free_i - (prev.free_vends.count_init or 0), basis)  # fmt: skip
                out[(serial, after.read_at, sel.selection)] = row
    return out


def truth_rows(run: Run) -> dict[Key, Row]:
    df = pl.read_parquet(run.paths.truth / INTERVAL_SALES)
    cols = ("serial", "end_machine_time", "selection", "units_sold", "revenue_cents",
            "test_vends", "free_vends", "counter_basis")  # fmt: skip
    return {(r[0], r[1], r[2]): r[3:] for r in df.select(cols).iter_rows()}


def test_sim_interval_sales_rebuilt_from_files_equal_truth(quirky_run: Run) -> None:
    rebuilt = reconstruct(quirky_run.paths.inbox)
    truth = truth_rows(quirky_run)
    assert rebuilt.keys() == truth.keys()
    wrong = {k: (rebuilt[k], truth[k]) for k in truth if rebuilt[k] != truth[k]}
    assert not wrong, list(wrong.items())[:5]
    bases = {row[4] for row in truth.values()}
    assert bases == {"cumulative", "interval", "restart", "wrap"}


def test_sim_interval_sums_equal_slot_day_totals(quirky_run: Run) -> None:
    # The first read is at 00:00:00 of day 1 and the last at 23:59:59 of the last day, so the
    # intervals of a slot cover exactly the days of slot_day.
    keys = ["serial", "selection"]
    sums = ["units_sold", "revenue_cents", "test_vends", "free_vends"]
    intervals = (
        pl.read_parquet(quirky_run.paths.truth / INTERVAL_SALES)
        .group_by(keys)
        .agg(pl.col(sums).sum())
    )
    days = pl.read_parquet(quirky_run.paths.truth / SLOT_DAY).group_by(keys).agg(pl.col(sums).sum())
    joined = days.join(intervals, on=keys, how="full", suffix="_iv", coalesce=True)
    assert joined.height == days.height == intervals.height
    for col in sums:
        assert (joined[col] == joined[f"{col}_iv"]).all(), col
    assert joined["units_sold"].sum() > 0 and joined["test_vends"].sum() > 0
