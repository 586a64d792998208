"""Accounting the simulator's truth must obey, checked by hand on `serve` and on a whole run.

The demand identity (docs/simulator.md, slot_day): ``demand_units`` counts the customers who
wanted this slot's product (own choice; substitution arrivals not included). Each of them either
bought it here, found the slot empty and bought the substitute (``substituted_out``), or walked
away (``lost_units``, which includes those whose substitute was empty too). ``units_sold`` is
every paid vend of the slot, i.e. its own customers' purchases plus the units sold here as
someone else's substitute (``substituted_in``). Hence, per slot and day, exactly:

    demand_units = (units_sold - substituted_in) + lost_units + substituted_out
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from simulator import SimConfig
from simulator.catalog import make_catalog
from simulator.fleet import make_fleet
from simulator.machine import PAID, FleetState
from simulator.truth import READS, SLOT_DAY, STOCKOUTS

from .conftest import Run
from .test_sim_reconstruction import usable_reads

STATE_ARRAYS = (
    "level", "life_count", "life_value", "day_demand", "day_lost", "day_sub_in", "day_sub_out",
    "soldout_since", "pa5_at", "pa5_count", "episode_lost",
)  # fmt: skip
T0, SPAN = 3_600.0, 3_600.0


def tiny_state(seed: int = 3) -> FleetState:
    """One device's state; every slot holds 7 units and has no substitute unless set below."""
    config = SimConfig(machines=1, days=1, seed=seed, products=10)
    world = np.random.default_rng(seed)
    catalog = make_catalog(config, world)
    fleet = make_fleet(config, catalog, world)
    state = FleetState(config, fleet, catalog, np.random.default_rng(seed))
    state.level[:] = 7
    state.substitute[:] = -1
    state.substitute_probability = 1.0  # every customer facing an empty slot tries the substitute
    return state


def hand_case(state: FleetState) -> np.ndarray:
    """Set up slots 0..5 as worked out in test_sim_serve_by_hand; return the arrivals."""
    state.level[:6] = [5, 3, 10, 0, 1, 2]
    state.substitute[1], state.substitute[3] = 2, 4
    state.soldout_since[3] = state.pa5_at[3] = 100.0  # slot 3 has been empty since t = 100 s
    arrivals = np.zeros(len(state.level), dtype=np.int64)
    arrivals[:6] = [4, 5, 1, 2, 0, 2]
    return arrivals


def snapshot(state: FleetState) -> dict[str, np.ndarray]:
    return {name: getattr(state, name).copy() for name in STATE_ARRAYS}


@pytest.mark.parametrize("path", ["slice", "all_indices", "some_indices"])
def test_sim_serve_by_hand(path: str) -> None:
    state = tiny_state()
    arrivals = hand_case(state)
    price = state.price.copy()
    before = snapshot(state)
    if path == "slice":
        state.serve(slice(None), arrivals, T0, SPAN)
    elif path == "all_indices":
        state.serve(np.arange(len(arrivals)), arrivals, T0, SPAN)
    else:
        ix = np.arange(6)
        state.serve(ix, arrivals[ix], np.full(6, T0), np.full(6, SPAN))
    # Worked out by hand (own customers are served first, then substitutes, first come first
    # served; substitute_probability is 1):
    #   slot 0: 5 in stock, 4 customers -> sells 4, 1 left; nobody unserved, not sold out.
    #   slot 1: 3 in stock, 5 customers -> sells 3, sold out within the hour; 2 unserved try
    #           slot 2, which still has 10 - 1 = 9 -> both buy there: sub_out 2, lost 0.
    #   slot 2: 10 in stock, 1 own customer + 2 substitutes -> 7 left, sub_in 2.
    #   slot 3: empty since t=100, 2 customers try slot 4, which has 1 -> 1 buys, 1 walks away.
    #   slot 4: 1 in stock, sold as a substitute -> sold out now (within the hour).
    #   slot 5: 2 in stock, 2 customers -> sells 2, sold out; nobody unserved.
    np.testing.assert_array_equal(state.level[:6], [1, 0, 7, 0, 0, 0])
    sold = state.life_count[PAID] - before["life_count"][PAID]
    np.testing.assert_array_equal(sold[:6], [4, 3, 3, 0, 1, 2])
    np.testing.assert_array_equal(
        (state.life_value[PAID] - before["life_value"][PAID])[:6], sold[:6] * price[:6]
    )
    np.testing.assert_array_equal(state.day_demand[:6], [4, 5, 1, 2, 0, 2])
    np.testing.assert_array_equal(state.day_lost[:6], [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(state.day_sub_out[:6], [0, 2, 0, 1, 0, 0])
    np.testing.assert_array_equal(state.day_sub_in[:6], [0, 0, 2, 0, 1, 0])
    np.testing.assert_array_equal(state.pa5_count[:6], [0, 2, 0, 2, 0, 0])  # chose it sold out
    np.testing.assert_array_equal(state.episode_lost[:6], [0, 0, 0, 1, 0, 0])
    out = state.soldout_since[:6]
    assert out[0] == -1.0 and out[2] == -1.0  # still stocked: no episode
    assert out[3] == 100.0  # the episode that was already running goes on
    for s in (1, 4, 5):
        assert T0 <= out[s] < T0 + SPAN, s
    np.testing.assert_array_equal(state.pa5_at[:6], out)
    # Nothing happened anywhere else.
    for name in STATE_ARRAYS:
        np.testing.assert_array_equal(
            getattr(state, name)[..., 6:], before[name][..., 6:], err_msg=name
        )


def test_sim_serve_slice_and_index_paths_agree() -> None:
    """Random stock and arrivals over the whole fleet, hours in a row: both paths, same state."""
    a, b = tiny_state(seed=8), tiny_state(seed=8)
    draw = np.random.default_rng(1)
    n = len(a.level)
    for state in (a, b):
        state.substitute[:] = np.where(draw.random(n) < 0.7, draw.integers(0, n, n), -1)
        state.substitute_probability = 0.55
    b.substitute[:] = a.substitute
    start = draw.integers(0, 6, n)
    a.level[:], b.level[:] = start, start
    for hour in range(8):
        arrivals = draw.poisson(1.5, n)
        a.serve(slice(None), arrivals, hour * SPAN, SPAN)
        b.serve(np.arange(n), arrivals, hour * SPAN, SPAN)
    for name, value in snapshot(a).items():
        np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
    assert a.day_lost.sum() > 0 and a.day_sub_out.sum() > 0  # the test exercised both outcomes
    # The same accounting holds for every slot: own customers are sold, lost or sent away.
    own_sold = a.life_count[PAID] - a.day_base_count[PAID] - a.day_sub_in
    np.testing.assert_array_equal(a.day_demand, own_sold + a.day_lost + a.day_sub_out)


@pytest.fixture(scope="module")
def slot_day(quirky_run: Run) -> pl.DataFrame:
    return pl.read_parquet(quirky_run.paths.truth / SLOT_DAY)


@pytest.fixture(scope="module")
def stockouts(quirky_run: Run) -> pl.DataFrame:
    return pl.read_parquet(quirky_run.paths.truth / STOCKOUTS)


def test_sim_demand_accounting_per_slot_day(slot_day: pl.DataFrame) -> None:
    # The identity of the module docstring, exactly, on every row.
    broken = slot_day.filter(
        pl.col("demand_units")
        != pl.col("units_sold")
        - pl.col("substituted_in")
        + pl.col("lost_units")
        + pl.col("substituted_out")
    )
    assert broken.height == 0, broken.head(5)
    assert (slot_day["units_sold"] >= slot_day["substituted_in"]).all()
    assert slot_day["lost_units"].sum() > 0 and slot_day["substituted_out"].sum() > 0
    # Substitutes are sold within the device on the same day: what leaves one slot arrives at
    # another.
    per_device = slot_day.group_by("serial", "date").agg(
        pl.col("substituted_in").sum(), pl.col("substituted_out").sum()
    )
    assert (per_device["substituted_in"] == per_device["substituted_out"]).all()


def test_sim_lost_sales_only_while_sold_out(slot_day: pl.DataFrame) -> None:
    # A customer is lost or sent to a substitute only when the slot is empty, so that day has
    # stock-out minutes; no day has more than 24 hours of them.
    minutes = pl.col("stockout_minutes")
    unserved = (pl.col("lost_units") > 0) | (pl.col("substituted_out") > 0)
    assert slot_day.filter(unserved & (minutes <= 0)).is_empty()
    assert slot_day.filter(minutes > 24 * 60).is_empty()
    assert slot_day.filter(unserved).height > 0


def test_sim_slot_day_and_stockouts_agree_per_slot(
    slot_day: pl.DataFrame, stockouts: pl.DataFrame
) -> None:
    keys = ["serial", "cabinet_index", "slot"]
    days = slot_day.group_by(keys).agg(
        minutes=pl.col("stockout_minutes").sum(), lost=pl.col("lost_units").sum()
    )
    episodes = stockouts.group_by(keys).agg(
        minutes_ep=pl.col("minutes").sum(), lost_ep=pl.col("lost_units").sum()
    )
    joined = days.join(episodes, on=keys, how="left").fill_null(0)
    assert joined.height == days.height and episodes.height <= days.height
    assert episodes.height > 0
    np.testing.assert_allclose(joined["minutes"], joined["minutes_ep"], rtol=1e-9, atol=1e-6)
    assert (joined["lost"] == joined["lost_ep"]).all(), joined.filter(
        pl.col("lost") != pl.col("lost_ep")
    ).head(5)


def test_sim_reads_see_an_empty_slot_exactly_during_its_stockouts(
    quirky_run: Run, stockouts: pl.DataFrame
) -> None:
    """A read's PA1 level is 0 exactly when an episode of the slot spans the read's true time.

    An episode starts when the last unit is sold (``start_at`` < read time) and ends at the
    refill (a visit reads first, then refills: ``read time <= end_at``). An episode stamped on
    a slot that still had stock shows up as a read with units in an open episode.
    """
    truth_reads = pl.read_parquet(quirky_run.paths.truth / READS)
    true_time: dict[tuple[str, datetime], datetime] = {
        (s, m): t for s, m, t in truth_reads.select("serial", "machine_time", "read_at").iter_rows()
    }
    episodes: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for serial, sel, start, end in stockouts.select(
        "serial", "selection", "start_at", "end_at"
    ).iter_rows():
        episodes[(serial, sel)].append((start, end))
    checked = empty = 0
    wrong: list[tuple[str, str, datetime, int]] = []
    for serial, reads in usable_reads(quirky_run.paths.inbox).items():
        for read in reads:
            t = true_time[(serial, read.read_at)]
            for sel in read.selections:
                spans = episodes.get((serial, sel.selection), [])
                inside = any(s < t and (e is None or t <= e) for s, e in spans)
                checked += 1
                empty += sel.current_level == 0
                if inside != (sel.current_level == 0):
                    wrong.append((serial, sel.selection, t, sel.current_level))
    assert not wrong, (len(wrong), wrong[:5])
    assert checked > 10_000 and empty > 100
