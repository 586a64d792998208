"""fct_stockouts on hand-built read sequences: one machine, every expected value worked out by
hand in the test (rules: docs/metrics.md, "Stock-outs")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.raw_tables import DayResult
from tests.transforms.raw_rows import add_read, write_day
from transforms import lake
from transforms.derived import dataset, refresh_derived
from transforms.marts import refresh_marts

COLUMNS = (
    "selection, start_at, start_source, start_after, start_before, end_at, ongoing, "
    "duration_minutes, est_lost_units, counted_lost_units, uncounted_minutes, "
    "demand_units_per_hour, read_id_detected"
)


def d(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 2, day, hour, minute)


def _stockouts(root: Path, reads: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """Write one raw partition of machine M1 and return its fct_stockouts rows. Each read is
    a dict: read_at, optional previous_read_at (EA3; default: the read before), reads_since_init,
    door (True: the door was opened at the read, EA1 EGS) and `selections`: selection id ->
    counters (paid_vends_total, current_level, sold_out_at, sold_out_count, ...)."""
    day = DayResult()
    for n, r in enumerate(reads):
        read_id = add_read(
            day,
            n,
            r["read_at"],
            previous_read_at=r.get("previous_read_at", reads[n - 1]["read_at"] if n else None),
            reads_since_init=r.get("reads_since_init", n + 1),
        )
        if r.get("door"):
            day.add(
                "dex_events",
                read_id=read_id,
                machine_serial="M1",
                read_at=r["read_at"],
                segment="EA1",
                code="EGS",
                event_at=r["read_at"],
                duration_minutes=10,
            )
        for position, (selection, counters) in enumerate(r["selections"].items(), start=1):
            day.add(
                "dex_selection_counters",
                read_id=read_id,
                machine_serial="M1",
                read_at=r["read_at"],
                position=position,
                selection=selection,
                product_id=f"P{selection}",
                paid_value_total=Decimal(counters["paid_vends_total"]),
                **counters,
            )
    write_day(root, day)
    refresh_marts(root)
    refresh_derived(root, whole=("fleet_clock", "fct_stockouts"))
    path = lake.current_file(dataset(root, "fct_stockouts"))
    assert path is not None
    con = duckdb.connect()
    try:
        cur = con.execute(
            f"SELECT {COLUMNS} FROM read_parquet('{path.as_posix()}') ORDER BY selection, start_at"
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def sel(paid: int, level: int, **extra: object) -> dict[str, object]:
    """Counters of a selection with capacity 10 and standard fill (par) 8."""
    return {"paid_vends_total": paid, "current_level": level, "capacity": 10,
            "standard_fill": 8, **extra}  # fmt: skip


def test_pa5_episode_counted_by_pa503_ends_at_the_visit(tmp_path: Path) -> None:
    # r0 level 8; r1 (a visit: door opened) level 0 after 8 sales, PA5 2 Feb 15:00, PA503 3;
    # r2: 2 more sold, level 6: stock added 6 + 2 - 0 = 8 > 0, at r1 (a visit) -> the episode
    # runs 2 Feb 15:00 -> 3 Feb 10:00 = 19 h = 1140 min; its lost demand is PA503's 3 customers,
    # nothing uncounted
    rows = _stockouts(tmp_path, [
        {"read_at": d(1), "selections": {"11": sel(100, 8)}},
        {"read_at": d(3), "door": True, "selections": {"11": sel(
            108, 0, sold_out_at=d(2, 15), sold_out_count=3)}},
        {"read_at": d(5), "selections": {"11": sel(110, 6)}},
    ])  # fmt: skip
    assert len(rows) == 1
    row = rows[0]
    assert (row["start_at"], row["start_source"], row["start_after"], row["start_before"]) == (
        d(2, 15), "PA5", d(2, 15), d(2, 15))  # fmt: skip
    assert (row["end_at"], row["ongoing"], row["duration_minutes"]) == (d(3), False, 1140.0)
    assert (row["counted_lost_units"], row["uncounted_minutes"], row["est_lost_units"]) == (
        3, 0.0, 3.0)  # fmt: skip
    assert row["read_id_detected"] == "r1"


def test_refilled_from_empty_at_an_unreceived_visit_is_an_episode(tmp_path: Path) -> None:
    # r0 (1 Feb 10:00, no door) level 8; the next read we have, r1 (4 Feb 10:00), says through
    # EA3 that the machine's previous read was 3 Feb 10:00 (never received), and it holds level 2
    # after 14 sales: stock added 2 + 14 - 8 = 8 = standard fill, all at that unreceived read
    # (r0 was no visit) -> the slot was empty when refilled there: an episode between 1 Feb
    # 10:00 and 3 Feb 10:00 (its PA5 went with the lost read), ending 3 Feb 10:00.
    # Estimated start: the machine's only interval (72 h, 72 distinct hour-of-week cells, each
    # at the mean rate) makes every hour one demand hour; the slot has no interval whose
    # demand is all known, so no rate: the 8 units it held sell by 8/9 of the 48 h window =
    # 42 h 40 min -> 3 Feb 04:40; uncounted 04:40 -> 10:00 = 320 min, no rate: 0 units
    rows = _stockouts(tmp_path, [
        {"read_at": d(1), "selections": {"11": sel(100, 8)}},
        {"read_at": d(4), "previous_read_at": d(3), "reads_since_init": 3,
         "selections": {"11": sel(114, 2)}},
    ])  # fmt: skip
    assert len(rows) == 1
    row = rows[0]
    assert (row["start_source"], row["start_after"], row["start_before"]) == (
        "estimated", d(1), d(3))  # fmt: skip
    assert abs((row["start_at"] - d(3, 4, 40)).total_seconds()) < 1
    assert (row["end_at"], row["ongoing"], row["duration_minutes"]) == (d(3), False, 320.0)
    assert (row["counted_lost_units"], row["uncounted_minutes"], row["est_lost_units"]) == (
        0, 320.0, 0.0)  # fmt: skip


def test_two_sell_outs_between_two_reads(tmp_path: Path) -> None:
    # r0 (a visit, 1 Feb 10:00) level 1: the driver fills to par, adding 8 - 1 = 7; r1 (4 Feb
    # 10:00, EA3: previous read 3 Feb 10:00, never received) level 0 after 16 sales, PA5 4 Feb
    # 08:00, PA503 1: stock added 0 + 16 - 1 = 15, of which 7 at r0 and 8 = standard fill at
    # the unreceived read -> sold out before it (window 1 Feb 10:00 .. 3 Feb 10:00, ends
    # 3 Feb 10:00) and again after it (PA5 4 Feb 08:00); r1 is a visit too, r2 holds 6 after
    # 2 sales (added 8): the second episode ends 4 Feb 10:00, 2 h = 120 min, PA503's 1 customer
    rows = _stockouts(tmp_path, [
        {"read_at": d(1), "door": True, "selections": {"11": sel(100, 1)}},
        {"read_at": d(4), "previous_read_at": d(3), "reads_since_init": 3, "door": True,
         "selections": {"11": sel(116, 0, sold_out_at=d(4, 8), sold_out_count=1)}},
        {"read_at": d(6), "reads_since_init": 4, "selections": {"11": sel(118, 6)}},
    ])  # fmt: skip
    assert len(rows) == 2
    hidden, seen = rows
    assert (hidden["start_source"], hidden["start_after"], hidden["start_before"]) == (
        "estimated", d(1), d(3))  # fmt: skip
    assert d(1) <= hidden["start_at"] <= d(3)
    assert (hidden["end_at"], hidden["counted_lost_units"]) == (d(3), 0)
    assert (seen["start_at"], seen["start_source"], seen["end_at"]) == (d(4, 8), "PA5", d(4))
    assert (seen["duration_minutes"], seen["counted_lost_units"], seen["est_lost_units"]) == (
        120.0, 1, 1.0)  # fmt: skip


def test_uncounted_time_is_filled_at_the_slots_rate(tmp_path: Path) -> None:
    # Reads every 12 h from 1 Feb 00:00; selection 12 (capacity 100, never sold out) tops the
    # machine up to 12 units in every interval, so every hour-of-week cell gets the mean rate
    # and an hour is one demand hour. Selection 11:
    #   r0 -> r1: 6 sold, level 4                                in stock
    #   r1 -> r2: 4 sold, level 0, PA5 1 Feb 20:00, PA503 2      sold out, demand 4 + 2 known
    #   r2 -> r3, r3 -> r4: 0 sold, level 0, no PA503            sold out, uncounted 24 h
    #   r4 (a visit) -> r5: level 8 - 5 = 3 after 5 sales        refilled at r4 (added 8)
    # rate = (6 + 6 + 5) units / 36 h = 17/36 per hour (the uncounted intervals left out);
    # episode 1 Feb 20:00 -> 3 Feb 00:00 = 28 h = 1680 min; lost = 2 + 17/36 x 24 = 13.33
    levels = [(0, 10, 0, 100), (6, 4, 6, 94), (10, 0, 14, 86), (10, 0, 26, 74),
              (10, 0, 38, 62), (15, 3, 45, 55)]  # fmt: skip
    reads = []
    for n, (paid11, level11, paid12, level12) in enumerate(levels):
        extra = {"sold_out_at": d(1, 20), "sold_out_count": 2} if n == 2 else {}
        reads.append({
            "read_at": datetime(2025, 2, 1) + (n * 12) * (d(1, 1) - d(1, 0)),
            "door": n == 4,
            "selections": {"11": sel(paid11, level11, **extra),
                           "12": {"paid_vends_total": paid12, "current_level": level12,
                                  "capacity": 100, "standard_fill": 90}},
        })  # fmt: skip
    rows = _stockouts(tmp_path, reads)
    assert len(rows) == 1
    row = rows[0]
    assert (row["selection"], row["start_at"], row["start_source"]) == ("11", d(1, 20), "PA5")
    assert (row["end_at"], row["duration_minutes"]) == (datetime(2025, 2, 3), 1680.0)
    assert row["demand_units_per_hour"] == pytest.approx(17 / 36)
    assert (row["counted_lost_units"], row["uncounted_minutes"]) == (2, 1440.0)
    assert row["est_lost_units"] == pytest.approx(2 + 17 / 36 * 24, abs=0.005)


def test_an_episode_open_at_the_last_read_is_ongoing(tmp_path: Path) -> None:
    # r0 level 3; r1 level 0 after 3 sales, PA5 2 Feb 12:00 (PA503 1), nothing since: ongoing,
    # lasting to the last read, 22 h = 1320 min
    rows = _stockouts(tmp_path, [
        {"read_at": d(1), "selections": {"11": sel(10, 3)}},
        {"read_at": d(3), "selections": {"11": sel(
            13, 0, sold_out_at=d(2, 12), sold_out_count=1)}},
    ])  # fmt: skip
    assert [(r["end_at"], r["ongoing"], r["duration_minutes"], r["est_lost_units"])
            for r in rows] == [(None, True, 1320.0, 1.0)]  # fmt: skip


def test_estimated_start_is_the_gamma_mean_inside_the_window(tmp_path: Path) -> None:
    # Reads every 12 h from 1 Feb 00:00; selection 12 (capacity 100) tops the machine up to 12
    # units in every interval: every hour is one demand hour. Selection 11 (par 8):
    #   r0 -> r1: 6 sold, level 8 -> 2                                   in stock
    #   r1 -> r2: EA3 says the previous read was 1 Feb 18:00 (unreceived; r1 no visit), 5 sold,
    #             level 5: added 5 + 5 - 2 = 8 = par there -> sold out in 12:00 .. 18:00
    #   r2 -> r3: 4 sold, level 1                                        in stock
    # rate = (6 + 4) / 24 h = 5/12; k = 2 units, window U = 6 h, x = rate U = 2.5:
    # P(2, 2.5) = 1 - e^-2.5 (1 + 2.5) = 0.712703, P(3, 2.5) = 1 - e^-2.5 (1 + 2.5 + 3.125)
    # = 0.456187; mean = (2 / (5/12)) x 0.456187 / 0.712703 = 3.072386 h -> 1 Feb 15:04:20.6;
    # lost = 5/12 x (6 - 3.072386) h = 1.22 (nothing counted), over 175.7 min
    plan = [(0, 8, 0, 100), (6, 2, 6, 94), (11, 5, 13, 87), (15, 1, 21, 79)]
    reads = []
    for n, (paid11, level11, paid12, level12) in enumerate(plan):
        read = {
            "read_at": datetime(2025, 2, 1) + (n * 12) * (d(1, 1) - d(1, 0)),
            "selections": {"11": sel(paid11, level11),
                           "12": {"paid_vends_total": paid12, "current_level": level12,
                                  "capacity": 100, "standard_fill": 90}},
        }  # fmt: skip
        if n == 2:
            read |= {"previous_read_at": d(1, 18), "reads_since_init": 4}
        if n == 3:
            read["reads_since_init"] = 5
        reads.append(read)
    rows = _stockouts(tmp_path, reads)
    assert len(rows) == 1
    row = rows[0]
    assert (row["start_source"], row["start_after"], row["start_before"], row["end_at"]) == (
        "estimated", d(1, 12), d(1, 18), d(1, 18))  # fmt: skip
    assert abs((row["start_at"] - d(1, 15, 4)).total_seconds() - 20.6) < 1
    assert row["demand_units_per_hour"] == pytest.approx(5 / 12)
    assert (row["counted_lost_units"], row["est_lost_units"]) == (0, 1.22)
    assert row["uncounted_minutes"] == pytest.approx(175.7, abs=0.05)


def test_the_walk_stops_where_the_slot_is_missing_from_a_read(tmp_path: Path) -> None:
    # Selection 12 stays at level 5 throughout. Selection 11:
    #   r0 (1 Feb 10:00) level 5
    #   r1 (2 Feb) level 0 after 5 sales, PA5 1 Feb 20:00, PA503 2        -> the episode
    #   r2 (3 Feb) still 0, the same PA5, PA503 3: walked, 3 more counted
    #   r3 (4 Feb) selection 11 missing from the read: no interval of 11 starts at r2's end,
    #              so the walk ends at r2 (the interval r3 -> r4 is not linked to it)
    #   r4 (5 Feb) level 8
    # -> ongoing, lasting to r2's read: 1 Feb 20:00 -> 3 Feb 10:00 = 38 h = 2280 min; lost
    # demand 2 + 3 = 5, all counted
    rows = _stockouts(tmp_path, [
        {"read_at": d(1), "selections": {"11": sel(100, 5), "12": sel(50, 5)}},
        {"read_at": d(2), "selections": {"11": sel(
            105, 0, sold_out_at=d(1, 20), sold_out_count=2), "12": sel(50, 5)}},
        {"read_at": d(3), "selections": {"11": sel(
            105, 0, sold_out_at=d(1, 20), sold_out_count=3), "12": sel(50, 5)}},
        {"read_at": d(4), "selections": {"12": sel(50, 5)}},
        {"read_at": d(5), "selections": {"11": sel(105, 8), "12": sel(50, 5)}},
    ])  # fmt: skip
    assert [(r["selection"], r["start_at"], r["start_source"], r["end_at"], r["ongoing"],
             r["duration_minutes"], r["counted_lost_units"], r["est_lost_units"],
             r["uncounted_minutes"], r["read_id_detected"]) for r in rows] == [
        ("11", d(1, 20), "PA5", None, True, 2280.0, 5, 5.0, 0.0, "r1")]  # fmt: skip
