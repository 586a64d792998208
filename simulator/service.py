"""What happens at a device: DEX reads, route visits, price changes, swaps, new boards.

Each read is turned into a :class:`ReadPayload`, handed to the delivery planner, and recorded in
the truth: the read itself and, when it arrives usable, the sales since the previous usable read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from simulator.cash import CashBook, Collection
from simulator.catalog import lifecycle
from simulator.config import CABINET_CATEGORIES, WIDE_MODULUS, SimConfig
from simulator.delivery import Delivery, DeliveryPlanner
from simulator.dex import Counters, ReadPayload
from simulator.fleet import substitutes
from simulator.inbox import InboxWriter
from simulator.machine import FREE, PAID, TEST, FleetState
from simulator.truth import (
    CASH_COLLECTIONS,
    DELIVERIES,
    EVENTS,
    INTERVAL_SALES,
    READS,
    STOCKOUTS,
    TruthWriter,
)
from simulator.units import DAY_SECONDS, HOUR_SECONDS, UNIX_EPOCH_ORDINAL

VISIT, TELEMETRY, COMMISSIONING, CLOSING = "visit", "telemetry", "commissioning", "closing"
PRICE_CHANGE, SWAP, BOARD, WRAP, CLOCK_JUMP, CLOCK_DRIFT = (
    "price_change", "product_swap", "board_replacement", "counter_wrap", "clock_jump",
    "clock_drift",
)  # fmt: skip


class Operator:
    """Runs the service side of the simulation and records what the world would not show."""

    def __init__(
        self,
        config: SimConfig,
        state: FleetState,
        planner: DeliveryPlanner,
        truth: TruthWriter,
        inbox: InboxWriter,
        *,
        epoch: datetime,
        rng: np.random.Generator,
        batch: int | None,
        cash: CashBook,
    ) -> None:
        self.config = config
        self.cash = cash
        self.last_collection: dict[int, tuple[str, bool]] = {}  # device -> read id, usable
        self.ops = config.operations
        self.state = state
        self.fleet = state.fleet
        self.catalog = state.catalog
        self.planner = planner
        self.truth = truth
        self.inbox = inbox
        self.epoch = epoch
        self.epoch_unix = int((epoch - datetime(1970, 1, 1)).total_seconds())
        self.rng = rng
        self.batch = batch
        n, m = self.fleet.n_slots, len(self.fleet.devices)
        self.reads = 0
        self.read_seq = np.zeros(m, dtype=np.int64)
        self.board_serial = [f"CB{int(x):07d}" for x in rng.integers(10**6, 10**7, m)]
        self.last_read_machine = [
            int(state.machine_seconds(d, -int(rng.integers(HOUR_SECONDS, 7 * DAY_SECONDS))))
            for d in range(m)
        ]
        # Snapshot at each device's last usable read: what interval sales are measured from.
        self.snap_count = np.zeros((3, n), dtype=np.int64)
        self.snap_value = np.zeros((3, n), dtype=np.int64)
        self.snap_written = np.zeros((2, n), dtype=np.int64)  # paid count, value as sent
        self.snap_epoch = np.full(m, -1, dtype=np.int64)
        self.snap_at = np.zeros((2, m), dtype=np.int64)  # true, machine seconds
        self.wrap_turns = np.zeros((2, n), dtype=np.int64)  # completed wraps, count / value
        self.open_reads: dict[str, dict[str, Any]] = {}  # truth rows (append_row), by read id
        self.product_ids = np.array(self.catalog.product_id, dtype=object)
        self.slot_selection = np.array(self.fleet.slot_selection, dtype=object)

    # ---- reads -------------------------------------------------------------------------
    def read(
        self, m: int, t: int, kind: str, protect: bool = False, collecting: bool = False
    ) -> tuple[str, bool]:
        """Take a DEX read of device ``m`` at true time ``t``; deliver it and record truth.
        Returns the read's id and whether it arrives usable. At a visit the driver works the
        coin tubes before reading (``collecting``: the excess goes into the bag)."""
        st, dev = self.state, self.fleet.devices[m]
        sl = dev.slots
        mt = int(st.machine_seconds(m, t))
        life_c, life_v = st.life_count[:, sl], st.life_value[:, sl]
        board_c = life_c - st.board_base_count[:, sl]
        board_v = life_v - st.board_base_value[:, sl]
        reset_c = life_c - st.reset_base_count[:, sl]
        reset_v = life_v - st.reset_base_value[:, sl]
        cm, vm = int(st.count_modulus[m]), int(st.value_modulus[m])
        written = np.stack([board_c[PAID] % cm, board_v[PAID] % vm])
        if cm != WIDE_MODULUS:
            self._note_wraps(m, sl, (t, mt), (board_c[PAID] // cm, board_v[PAID] // vm))
        pa5 = st.pa5_at[sl]
        sold_out = np.where(pa5 >= 0, st.machine_seconds(m, np.maximum(pa5, 0)), -1)

        def counters(k: int) -> Counters:
            return Counters(board_c[k] % cm, board_v[k] % vm, reset_c[k], reset_v[k])

        def total(k: int) -> tuple[int, int, int, int]:
            return (int(board_v[k].sum() % vm), int(board_c[k].sum() % cm),
                    int(reset_v[k].sum()), int(reset_c[k].sum()))  # fmt: skip

        count, value = int(reset_c[PAID].sum()), int(reset_v[PAID].sum())
        cash = int(self.rng.binomial(count, 1.0 - self.ops.cashless_share))
        cash_value = value * cash // count if count else 0
        st.cash_board[m] += (cash, cash_value)
        st.cashless_board[m] += (count - cash, value - cash_value)
        self.cash.book_sales(m, cash_value, cash)
        if kind == VISIT:
            self.cash.tube_work(m, collecting)
        interval_only = self.planner.dialects[m].interval_only
        st.reads_since_init[m] += 1
        self.read_seq[m] += 1
        read_id = f"{dev.serial}#{self.read_seq[m]}"
        payload = ReadPayload(
            epoch=self.epoch,
            read_id=read_id,
            serial=dev.serial,
            model=dev.model,
            asset_number=dev.asset_number,
            board_serial=self.board_serial[m],
            read_at=mt,
            true_read_at=t,
            previous_read_at=self.last_read_machine[m],
            reads_since_init=int(st.reads_since_init[m]),
            init_at=int(st.machine_seconds(m, st.board_init_at[m])),
            decimals=self.config.currency_decimals,
            selections=tuple(self.fleet.slot_selection[sl]),
            products=tuple(self.product_ids[st.product[sl]]),
            price=st.price[sl].copy(),
            capacity=self.fleet.capacity[sl],
            par=self.fleet.par[sl],
            level=st.level[sl].copy(),
            paid=counters(PAID),
            test=counters(TEST),
            free=counters(FREE),
            sold_out_at=sold_out,
            sold_out_count=st.pa5_count[sl].copy(),
            totals={
                "VA1": total(PAID),
                "VA2": total(TEST),
                "VA3": total(FREE),
                "CA2": (int(st.cash_board[m, 1]), int(st.cash_board[m, 0]), cash_value, cash),
                "DA2": (
                    int(st.cashless_board[m, 1]),
                    int(st.cashless_board[m, 0]),
                    value - cash_value,
                    count - cash,
                ),
            },
            door_open=(mt, int(self.rng.integers(5, 30))) if kind == VISIT else None,
            cash=self.cash.counters(m, interval_only),
        )
        st.reset_after_read(sl)
        self.last_read_machine[m] = mt
        self.reads += 1
        deliveries, usable = self.planner.plan(m, payload, kind == TELEMETRY, protect)
        self.open_reads[read_id] = {
            "read_id": read_id, "serial": dev.serial, "asset_number": dev.asset_number,
            "kind": kind, "read_at": self.epoch_unix + t, "machine_time": self.epoch_unix + mt,
            "reads_since_init": payload.reads_since_init,
            "machine_init_at": self.epoch_unix + payload.init_at,
            "interval_only": interval_only, "usable_as_delivered": usable, "file_names": [],
        }  # fmt: skip
        self.deliver(deliveries)
        if usable:
            self._interval_truth(
                m,
                sl,
                t,
                mt,
                life_c=life_c,
                life_v=life_v,
                written=written,
                interval_only=interval_only,
            )
        return read_id, usable

    def deliver(self, deliveries: list[Delivery]) -> None:
        """Queue deliveries for writing (this batch's only) and record them in the truth."""
        self.inbox.add([d for d in deliveries if self.batch is None or d.batch == self.batch])
        done: list[str] = []
        for d in deliveries:
            ids = [p.read_id for p in d.reads]
            for rid in ids:
                row = self.open_reads[rid]
                row["file_names"].append(d.name)
                done.append(rid)
            self.truth[DELIVERIES].append_row({
                "file_name": d.name, "serial": d.serial,
                "arrival_date": self.epoch.date().toordinal() + d.arrival_day - UNIX_EPOCH_ORDINAL,
                "arrival_day": d.arrival_day, "batch": d.batch, "quirks": list(d.quirks),
                "read_ids": ids, "read_at": [self.epoch_unix + p.true_read_at for p in d.reads],
                "machine_time": [self.epoch_unix + p.read_at for p in d.reads],
                "reads_usable": [d.usable] * len(ids), "usable": d.usable,
                "duplicate_of": d.duplicate_of,
                "written": self.batch is None or d.batch == self.batch,
            })  # fmt: skip
        for rid in dict.fromkeys(done):
            self.truth[READS].append_row(self.open_reads.pop(rid))

    def _interval_truth(
        self,
        m: int,
        sl: slice,
        t: int,
        mt: int,
        *,
        life_c: np.ndarray,
        life_v: np.ndarray,
        written: np.ndarray,
        interval_only: bool,
    ) -> None:
        st = self.state
        if self.snap_epoch[m] >= 0:
            n = sl.stop - sl.start
            if interval_only:
                basis = np.full(n, "interval", dtype=object)
            elif st.board_epoch[m] != self.snap_epoch[m]:
                basis = np.full(n, "restart", dtype=object)
            else:
                wrapped = (written < self.snap_written[:, sl]).any(axis=0)
                basis = np.where(wrapped, "wrap", "cumulative").astype(object)
            slots = np.arange(sl.start, sl.stop)
            self.truth[INTERVAL_SALES].append(
                {
                    "serial": np.full(n, self.fleet.devices[m].serial, dtype=object),
                    "asset_number": np.full(n, self.fleet.devices[m].asset_number, dtype=object),
                    "selection": self.slot_selection[slots],
                    "product_id": self.product_ids[st.product[sl]],
                    "start_read_at": np.full(n, self.epoch_unix + self.snap_at[0, m]),
                    "end_read_at": np.full(n, self.epoch_unix + t),
                    "start_machine_time": np.full(n, self.epoch_unix + self.snap_at[1, m]),
                    "end_machine_time": np.full(n, self.epoch_unix + mt),
                    "units_sold": life_c[PAID] - self.snap_count[PAID, sl],
                    "revenue_cents": life_v[PAID] - self.snap_value[PAID, sl],
                    "currency_decimals": np.full(n, self.config.currency_decimals, np.int8),
                    "test_vends": life_c[TEST] - self.snap_count[TEST, sl],
                    "free_vends": life_c[FREE] - self.snap_count[FREE, sl],
                    "counter_basis": basis,
                },
                n,
            )
        self.snap_count[:, sl] = life_c
        self.snap_value[:, sl] = life_v
        self.snap_written[:, sl] = written
        self.snap_epoch[m] = st.board_epoch[m]
        self.snap_at[:, m] = (t, mt)

    def _note_wraps(
        self, m: int, sl: slice, at: tuple[int, int], turns_of: tuple[np.ndarray, np.ndarray]
    ) -> None:
        t, mt = at
        for row, (turns, what) in enumerate(zip(turns_of, ("count", "value"), strict=True)):
            for s in np.flatnonzero(turns > self.wrap_turns[row, sl]):
                selection = self.fleet.slot_selection[sl.start + s]
                self.event(m, WRAP, t, mt, selection=selection, old=f"{what} field",
                           new=f"wrapped {int(turns[s])}x")  # fmt: skip
            self.wrap_turns[row, sl] = np.maximum(turns, self.wrap_turns[row, sl])

    def event(
        self,
        m: int,
        kind: str,
        t: int,
        mt: int,
        *,
        selection: str | None = None,
        old: str,
        new: str,
    ) -> None:
        """Record one event in truth/events.parquet."""
        dev = self.fleet.devices[m]
        self.truth[EVENTS].append_row({
            "serial": dev.serial, "asset_number": dev.asset_number, "kind": kind,
            "at": self.epoch_unix + t, "machine_time": self.epoch_unix + mt,
            "selection": selection, "old_value": old, "new_value": new,
        })  # fmt: skip

    # ---- visits and remote changes -----------------------------------------------------
    def visit(self, m: int, t: int, day: int, day_start: int) -> None:
        """A route visit: read, maybe a new board and a swap, refill to par, service vends."""
        st, dev, rng = self.state, self.fleet.devices[m], self.rng
        sl = dev.slots
        new_board = m != self.ops.wrap_machine and rng.random() < self.ops.board_replacement_rate
        collecting = self.cash.rng.random() < self.config.cash.collection_rate
        read_id, usable = self.read(m, t, VISIT, protect=new_board, collecting=collecting)
        if collecting:
            self._collection(m, t, read_id, usable, self.cash.collect(m))
        if new_board:
            self.cash.replace_board(m)
            old_init = int(st.machine_seconds(m, st.board_init_at[m]))
            st.replace_board(m, sl, t)
            self.board_serial[m] = f"CB{int(rng.integers(10**6, 10**7)):07d}"
            mt = int(st.machine_seconds(m, t))
            self.event(m, BOARD, t, mt, old=str(self.epoch_unix + old_init),
                       new=str(self.epoch_unix + mt))  # fmt: skip
        if rng.random() < self.ops.swap_rate:
            self._swap(m, sl, t, day)
        ended = st.refill(sl, t, day_start)
        self.stockouts(ended, t)
        for kind, rate in ((TEST, self.ops.test_vend_rate), (FREE, self.ops.free_vend_rate)):
            if rng.random() < rate:
                st.service_vend(kind, int(rng.integers(sl.start, sl.stop)))

    def _collection(self, m: int, t: int, read_id: str, usable: bool, c: Collection) -> None:
        """Record a collection in the truth (the bag number is the driver's running count)."""
        dev = self.fleet.devices[m]
        route = self.fleet.routes[dev.route]
        previous = self.last_collection.get(m)
        self.last_collection[m] = (read_id, usable)
        counted = c.counted_bills_cents + c.counted_coins_cents
        self.cash.bags += 1
        self.truth[CASH_COLLECTIONS].append_row({
            "serial": dev.serial, "asset_number": dev.asset_number, "route_id": route.route_id,
            "driver": route.driver, "bag": f"B{self.cash.bags:06d}",
            "collected_at": self.epoch_unix + t,
            "machine_time": self.epoch_unix + int(self.state.machine_seconds(m, t)),
            "read_id": read_id, "read_usable": usable,
            "previous_read_id": None if previous is None else previous[0],
            "previous_read_usable": None if previous is None else previous[1],
            "first": c.first, "cash_detail": not bool(self.cash.no_detail[m]),
            "expected_cents": c.expected_cents, "box_coins_cents": c.box_coins_cents,
            "bills_cents": c.bills_cents, "manual_dispensed_cents": c.manual_dispensed_cents,
            "counted_cents": counted, "counted_bills_cents": c.counted_bills_cents,
            "counted_coins_cents": c.counted_coins_cents,
            "variance_cents": counted - c.expected_cents, "cause": c.cause,
            "currency_decimals": self.config.currency_decimals,
        })  # fmt: skip

    def _swap(self, m: int, sl: slice, t: int, day: int) -> None:
        st, cat, rng = self.state, self.catalog, self.rng
        s = int(rng.integers(sl.start, sl.stop))
        cabinet = self.fleet.devices[m].cabinets[int(self.fleet.slot_cabinet[s]) - 1]
        pool = cat.in_category(CABINET_CATEGORIES[cabinet])
        pool = pool[~np.isin(pool, st.product[sl])]
        d = self.config.demand
        weight = (
            cat.popularity[pool] * lifecycle(cat, day, d.ramp_days, d.fade_half_life_days)[pool]
        )
        if len(pool) == 0 or weight.sum() <= 0:
            return
        new = int(rng.choice(pool, p=weight / weight.sum()))
        old = int(st.product[s])
        st.product[s], st.price[s] = new, cat.price_cents[new]
        st.level[s] = 0  # the old product leaves with the driver; the refill stocks the new one
        st.substitute[sl] = substitutes(st.product, self.fleet.devices[m], cat)
        mt = int(st.machine_seconds(m, t))
        self.event(m, SWAP, t, mt, selection=self.fleet.slot_selection[s],
                   old=cat.product_id[old], new=cat.product_id[new])  # fmt: skip

    def change_price(self, m: int, t: int) -> None:
        """Re-price one product in a device (every slot that holds it), between visits too."""
        st, sl = self.state, self.fleet.devices[m].slots
        product = st.product[int(self.rng.integers(sl.start, sl.stop))]
        step = int(self.rng.choice([-10, -5, 5, 10, 15, 25]))
        mt = int(st.machine_seconds(m, t))
        for s in np.flatnonzero(st.product[sl] == product) + sl.start:
            old = int(st.price[s])
            st.price[s] = max(50, old + step)
            self.event(m, PRICE_CHANGE, t, mt, selection=self.fleet.slot_selection[s],
                       old=str(old), new=str(int(st.price[s])))  # fmt: skip

    def stockouts(self, episodes: list[tuple[int, float, int]], end: float | None) -> None:
        """Record ended (or, with ``end`` None, still open) stock-out episodes."""
        if not episodes:
            return
        f, st = self.fleet, self.state
        run_end = self.config.days * DAY_SECONDS
        for s, start, lost in episodes:
            dev = f.devices[f.slot_machine[s]]
            stop = run_end if end is None else end
            self.truth[STOCKOUTS].append_row({
                "serial": dev.serial, "asset_number": dev.asset_number,
                "cabinet_index": int(f.slot_cabinet[s]), "slot": f.slot_name[s],
                "selection": f.slot_selection[s], "product_id": self.product_ids[st.product[s]],
                "start_at": self.epoch_unix + int(start),
                "end_at": None if end is None else self.epoch_unix + int(end),
                "minutes": (stop - start) / 60.0, "lost_units": lost,
            })  # fmt: skip
