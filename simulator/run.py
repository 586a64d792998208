"""The day loop: a fleet served hour by hour, visited on schedule, read, and written to disk.

Within an hour every slot of the fleet is served in one vectorised step. A device with an event
in that hour (a visit, a nightly read, a price change) has the hour split at the event: demand
before it is served first, then the event happens, then the rest of the hour's demand (Poisson
splitting keeps the hourly totals exactly Poisson).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.cash import CashBook
from simulator.catalog import make_catalog
from simulator.config import SimConfig
from simulator.delivery import DeliveryPlanner
from simulator.demand import DemandModel
from simulator.fleet import Fleet, make_fleet
from simulator.inbox import InboxWriter
from simulator.machine import FREE, PAID, TEST, FleetState
from simulator.masterdata import write_collections, write_master_data
from simulator.service import (
    CLOCK_DRIFT,
    CLOCK_JUMP,
    CLOSING,
    COMMISSIONING,
    TELEMETRY,
    VISIT,
    Operator,
)
from simulator.truth import CASH_COLLECTIONS, SLOT_DAY, TruthWriter
from simulator.units import DAY_SECONDS, HOUR_SECONDS, UNIX_EPOCH_ORDINAL

PRICE = "price"


@dataclass(frozen=True)
class OutputPaths:
    """Where a run writes: the inbox (DEX files), master data (CSV) and truth (Parquet)."""

    inbox: Path
    master_data: Path
    truth: Path


@dataclass(frozen=True)
class RunSummary:
    """What a run wrote and how long it took."""

    machines: int
    slots: int
    days: int
    reads: int
    files: int
    bytes: int
    seconds: float


def simulate(
    config: SimConfig,
    paths: OutputPaths,
    workers: int = 1,
    batch: int | None = None,
    on_day: Callable[[int], None] | None = None,
) -> RunSummary:
    """Run the fleet for ``config.days`` days and write everything under ``paths``.

    ``batch`` (1..config.batches) writes only the DEX files arriving in that window; master
    data and truth are written in full every time (they are the same bytes for the same config).
    """
    began = time.perf_counter()
    # The fifth stream (cash) was added later: spawn(5) leaves the first four as spawn(4) made
    # them, so every seed's sales, reads and stock-outs stayed the same.
    seeds = np.random.SeedSequence(config.seed).spawn(5)
    world_rng, demand_rng, ops_rng, quirk_rng, cash_rng = (np.random.default_rng(s) for s in seeds)
    catalog = make_catalog(config, world_rng)
    fleet = make_fleet(config, catalog, world_rng)
    write_master_data(paths.master_data, fleet, catalog, config.currency_decimals)
    state = FleetState(config, fleet, catalog, demand_rng)
    demand = DemandModel(config, catalog, fleet)
    planner = DeliveryPlanner(config, fleet.devices, quirk_rng)
    epoch = datetime.combine(config.start, datetime.min.time())
    paths.inbox.mkdir(parents=True, exist_ok=True)
    truth = TruthWriter(paths.truth, config.row_group_rows)
    with InboxWriter(paths.inbox, workers) as inbox:
        cash = CashBook(config, fleet, cash_rng)
        op = Operator(
            config, state, planner, truth, inbox, epoch=epoch, rng=ops_rng, batch=batch, cash=cash
        )
        _clock_events(config, state, op, ops_rng)
        for m in range(len(fleet.devices)):
            op.read(m, 0, COMMISSIONING, protect=True)
        labels = _slot_labels(fleet)
        product_ids = pa.array(catalog.product_id)
        for day in range(config.days):
            _run_day(
                config, day, state, op, demand=demand, rng=ops_rng, labels=labels, ids=product_ids
            )
            if on_day is not None:
                on_day(day)
        op.stockouts(
            [(int(s), float(state.soldout_since[s]), int(state.episode_lost[s]))
             for s in np.flatnonzero(state.soldout_since >= 0)],
            None,
        )  # fmt: skip
        op.deliver(planner.flush())
        inbox.flush()
        files, written = inbox.files, inbox.bytes
    truth.close()
    write_collections(paths.master_data, paths.truth / CASH_COLLECTIONS)
    return RunSummary(
        machines=len(fleet.devices),
        slots=fleet.n_slots,
        days=config.days,
        reads=op.reads,
        files=files,
        bytes=written,
        seconds=time.perf_counter() - began,
    )


def _clock_events(
    config: SimConfig, state: FleetState, op: Operator, rng: np.random.Generator
) -> None:
    """Draw which device clocks jump (once, by hours to a year either way); record drifts."""
    ops, run_seconds = config.operations, config.days * DAY_SECONDS
    for m in range(len(state.fleet.devices)):
        if state.clock_drift[m] != 0:
            op.event(m, CLOCK_DRIFT, 0, int(state.machine_seconds(m, 0)),
                     old="0 s/day", new=f"{state.clock_drift[m]:+.2f} s/day")  # fmt: skip
        if rng.random() < ops.clock_jump_share and run_seconds > 2:
            at = int(rng.integers(1, run_seconds - 1))
            before = int(state.machine_seconds(m, at))
            sign = 1 if rng.random() < 0.5 else -1
            state.clock_jump_at[m] = at
            state.clock_jump_by[m] = sign * int(rng.integers(HOUR_SECONDS, 400 * DAY_SECONDS))
            after = int(state.machine_seconds(m, at))
            op.event(m, CLOCK_JUMP, at, after, old=str(op.epoch_unix + before),
                     new=str(op.epoch_unix + after))  # fmt: skip


def _slot_labels(fleet: Fleet) -> dict[str, pa.Array[Any]]:
    """Per-slot label columns of slot_day, built once (they never change)."""
    machine = pa.array(fleet.slot_machine)
    return {
        "serial": pa.array([d.serial for d in fleet.devices]).take(machine),
        "asset_number": pa.array([d.asset_number for d in fleet.devices]).take(machine),
        "cabinet_index": pa.array(fleet.slot_cabinet),
        "slot": pa.array(fleet.slot_name),
        "selection": pa.array(fleet.slot_selection),
    }


def _schedule(
    config: SimConfig, weekday: int, state: FleetState, rng: np.random.Generator
) -> list[list[tuple[int, int, str]]]:
    """Events of the day per hour: (device, second within the hour, kind), device order."""
    ops, devices = config.operations, state.fleet.devices
    hours: list[list[tuple[int, int, str]]] = [[] for _ in range(24)]
    seconds = rng.integers(1, HOUR_SECONDS, (3, len(devices)))
    reprice = rng.random(len(devices)) < ops.price_change_rate
    price_hour = rng.integers(0, 24, len(devices))
    for dev in devices:
        m, busy = dev.index, set()
        if dev.service_days[weekday] == "1":
            hours[dev.visit_hour].append((m, int(seconds[0, m]), VISIT))
            busy.add(dev.visit_hour)
        if dev.telemetry:
            hours[ops.nightly_read_hour].append((m, int(seconds[1, m]), TELEMETRY))
            busy.add(ops.nightly_read_hour)
        if reprice[m]:
            h = int(price_hour[m])
            while h in busy:  # one event per device and hour keeps the hour split simple
                h = (h + 1) % 24
            hours[h].append((m, int(seconds[2, m]), PRICE))
    for events in hours:
        events.sort()
    return hours


def _run_day(
    config: SimConfig,
    day: int,
    state: FleetState,
    op: Operator,
    *,
    demand: DemandModel,
    rng: np.random.Generator,
    labels: dict[str, pa.Array[Any]],
    ids: pa.Array[Any],
) -> None:
    on = config.start + timedelta(days=day)
    day_start = day * DAY_SECONDS
    expected = demand.expected(day, on, state.product)
    hours = _schedule(config, on.weekday(), state, rng)
    devices, demand_rng = state.fleet.devices, state.rng
    for h, events in enumerate(hours):
        t_hour = day_start + h * HOUR_SECONDS
        rate = expected * demand.hour_share[h]
        if not events:
            state.serve(slice(None), demand_rng.poisson(rate), t_hour, HOUR_SECONDS)
            continue
        share = np.ones(len(rate))  # of the hour before the device's event
        for m, sec, _ in events:
            share[devices[m].slots] = sec / HOUR_SECONDS
        state.serve(slice(None), demand_rng.poisson(rate * share), t_hour, HOUR_SECONDS * share)
        for m, sec, kind in events:
            t = t_hour + sec
            if kind == VISIT:
                op.visit(m, t, day, day_start)
            elif kind == TELEMETRY:
                op.read(m, t, TELEMETRY)
            else:
                op.change_price(m, t)
        ix = np.concatenate([np.arange(devices[m].slot_start, devices[m].slot_stop)
                             for m, _, _ in events])  # fmt: skip
        after = 1.0 - share[ix]
        state.serve(ix, demand_rng.poisson(rate[ix] * after), t_hour + HOUR_SECONDS * share[ix],
                    HOUR_SECONDS * after)  # fmt: skip
    if day == config.days - 1:
        for m in range(len(devices)):
            op.read(m, day_start + DAY_SECONDS - 1, CLOSING, protect=True)
    state.close_day(day_start)
    _write_slot_day(config, on, state, op, expected=expected, labels=labels, ids=ids)
    state.new_day()


def _write_slot_day(
    config: SimConfig,
    on: date,
    state: FleetState,
    op: Operator,
    *,
    expected: np.ndarray,
    labels: dict[str, pa.Array[Any]],
    ids: pa.Array[Any],
) -> None:
    n = len(expected)
    sold = state.life_count - state.day_base_count
    op.truth[SLOT_DAY].append(
        {
            **labels,
            "product_id": ids.take(pa.array(state.product)),
            "date": pa.array(np.full(n, on.toordinal() - UNIX_EPOCH_ORDINAL, np.int32)).cast(
                pa.date32()
            ),
            "true_demand": expected,
            "demand_units": state.day_demand,
            "units_sold": sold[PAID],
            "revenue_cents": state.life_value[PAID] - state.day_base_value,
            "currency_decimals": np.full(n, config.currency_decimals, np.int8),
            "stockout_minutes": state.day_soldout_seconds / 60.0,
            "lost_units": state.day_lost,
            "substituted_in": state.day_sub_in,
            "substituted_out": state.day_sub_out,
            "test_vends": sold[TEST],
            "free_vends": sold[FREE],
        },
        n,
    )
