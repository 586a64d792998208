"""A device's state at a read → :class:`evadts.Read` → bytes, in the device's own dialect.

:class:`ReadPayload` is plain numbers (picklable, cheap to ship to a render worker); the
rendering itself is :func:`evadts.write`, so the G85 and SE are the parser's own arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import numpy as np

import evadts
from evadts import (
    AuditInfo,
    Cash,
    CounterSet,
    Currency,
    Event,
    Machine,
    Read,
    Selection,
    Totals,
    WriteOptions,
)
from evadts.writer import CrcCase, DateDigits, LineEnding
from simulator.cash import (
    BILLS,
    CASH_IN,
    DISPENSED,
    FILLED,
    MANUAL_DISPENSED,
    TO_BOX,
    TO_TUBES,
    CashCounters,
)

CURRENCY_CODE, CURRENCY_NUMERIC = "USD", "1840"
HANDHELD_WRAPPER = "<000|Operations|Handheld|{date}|{time}|daa|00001|>"


@dataclass(frozen=True)
class Dialect:
    """How one device writes its files (drawn once per device)."""

    line_ending: LineEnding = "\r\n"
    crc_case: CrcCase = "upper"
    date_digits: DateDigits = 8
    interval_only: bool = False
    handheld_wrapper: bool = False

    def options(self, wrapper: str | None) -> WriteOptions:
        """The evadts write options of this dialect (wrapper only where the device has one)."""
        return WriteOptions(
            line_ending=self.line_ending,
            crc_case=self.crc_case,
            date_digits=self.date_digits,
            interval_only=self.interval_only,
            wrapper=wrapper if self.handheld_wrapper else None,
        )


@dataclass(frozen=True)
class Counters:
    """Value/count pairs in minor units: since init (already wrapped) and since reset."""

    count_init: np.ndarray
    value_init: np.ndarray
    count_reset: np.ndarray
    value_reset: np.ndarray


@dataclass(frozen=True)
class ReadPayload:
    """One read as the device reports it. Times are device-clock seconds since ``epoch``."""

    epoch: datetime
    read_id: str  # <serial>#<n>, as in truth/reads.parquet
    serial: str
    model: str
    asset_number: str
    board_serial: str
    read_at: int  # device clock
    true_read_at: int  # the handheld's / uploader's clock (true time)
    previous_read_at: int | None
    reads_since_init: int
    init_at: int
    decimals: int
    selections: tuple[str, ...]
    products: tuple[str, ...]
    price: np.ndarray
    capacity: np.ndarray
    par: np.ndarray
    level: np.ndarray
    paid: Counters
    test: Counters
    free: Counters
    sold_out_at: np.ndarray  # device clock, -1 where not sold out since the last read
    sold_out_count: np.ndarray
    totals: dict[str, tuple[int, int, int, int]]  # VA1, VA2, VA3, CA2, DA2: value/count pairs
    door_open: tuple[int, int] | None  # device clock, minutes
    cash: CashCounters | None = None  # CA3/CA4/CA10/CA15; None where the device sends none

    def at(self, seconds: int) -> datetime:
        """A device-clock time as a datetime."""
        return self.epoch + timedelta(seconds=int(seconds))


@lru_cache(maxsize=1 << 16)
def _money(minor: int, decimals: int) -> Decimal:
    # Prices and small interval values repeat read after read: the cache halves build time.
    return Decimal(int(minor)).scaleb(-decimals)


def _counter_set(values: tuple[int, int, int, int], decimals: int) -> CounterSet:
    value_init, count_init, value_reset, count_reset = values
    return CounterSet(
        _money(value_init, decimals), count_init, _money(value_reset, decimals), count_reset
    )


def _vend_set(c: Counters, i: int, decimals: int) -> CounterSet:
    if c.count_init[i] == 0 and c.count_reset[i] == 0:
        return CounterSet()  # never used on this board: the device leaves PA3/PA4 out
    return CounterSet(
        _money(c.value_init[i], decimals),
        int(c.count_init[i]),
        _money(c.value_reset[i], decimals),
        int(c.count_reset[i]),
    )


def _cash(c: CashCounters | None, decimals: int) -> Cash | None:
    """The evadts cash detail of ``c``; an interval-only device leaves the since-init
    elements (CA305-CA308, CA403-CA404, CA1002) empty."""
    if c is None:
        return None
    r = c.since_reset
    i = c.since_init

    def init(flow: int) -> Decimal | None:
        return None if i is None else _money(i[flow], decimals)

    return Cash(
        cash_in_reset=_money(r[CASH_IN], decimals),
        to_cashbox_reset=_money(r[TO_BOX], decimals),
        to_tubes_reset=_money(r[TO_TUBES], decimals),
        bills_in_reset=_money(r[BILLS], decimals),
        cash_in_init=init(CASH_IN),
        to_cashbox_init=init(TO_BOX),
        to_tubes_init=init(TO_TUBES),
        bills_in_init=init(BILLS),
        dispensed_reset=_money(r[DISPENSED], decimals),
        manually_dispensed_reset=_money(r[MANUAL_DISPENSED], decimals),
        dispensed_init=init(DISPENSED),
        manually_dispensed_init=init(MANUAL_DISPENSED),
        filled_reset=_money(r[FILLED], decimals),
        filled_init=init(FILLED),
        tube_contents=_money(c.tube_contents, decimals),
    )


def to_read(p: ReadPayload) -> Read:
    """Build the :class:`evadts.Read` a device would send for ``p``."""
    d = p.decimals
    selections = []
    for i, sel in enumerate(p.selections):
        sold_out = p.sold_out_at[i]
        selections.append(
            Selection(
                selection=sel,
                price=_money(p.price[i], d),
                product_id=p.products[i],
                capacity=int(p.capacity[i]),
                standard_fill=int(p.par[i]),
                current_level=int(p.level[i]),
                paid_vends_total=int(p.paid.count_init[i]),
                paid_value_total=_money(p.paid.value_init[i], d),
                paid_vends_since_reset=int(p.paid.count_reset[i]),
                paid_value_since_reset=_money(p.paid.value_reset[i], d),
                test_vends=_vend_set(p.test, i, d),
                free_vends=_vend_set(p.free, i, d),
                sold_out_at=p.at(sold_out) if sold_out >= 0 else None,
                sold_out_count=int(p.sold_out_count[i]) if sold_out >= 0 else None,
            )
        )
    t = p.totals
    events = []
    if p.door_open is not None:
        events.append(Event("EA1", "EGS", at=p.at(p.door_open[0]), duration_minutes=p.door_open[1]))
    read_at = p.at(p.read_at)
    return Read(
        machine=Machine(
            serial=p.serial,
            model=p.model,
            asset_number=p.asset_number,
            control_board_serial=p.board_serial,
            control_board_model="VMC-2",
            control_board_software="4.12",
        ),
        dts_version="V6/2",
        read_at=read_at,
        read_at_source="ID5",
        init_at=p.at(p.init_at),
        currency=Currency(
            decimals=d, code=CURRENCY_CODE, numeric=CURRENCY_NUMERIC, style="iso_numeric"
        ),
        totals=Totals(
            paid=_counter_set(t["VA1"], d),
            test=_counter_set(t["VA2"], d),
            free=_counter_set(t["VA3"], d),
            cash=_counter_set(t["CA2"], d),
            cashless1=_counter_set(t["DA2"], d),
        ),
        selections=selections,
        cash=_cash(p.cash, d),
        events=events,
        audit=AuditInfo(
            reads_since_init=p.reads_since_init,
            read_at=read_at,
            previous_read_at=None if p.previous_read_at is None else p.at(p.previous_read_at),
        ),
    )


def render(p: ReadPayload, dialect: Dialect) -> bytes:
    """The bytes of ``p`` in ``dialect`` (the wrapper carries the handheld's true time)."""
    true_at = p.epoch + timedelta(seconds=p.true_read_at)
    wrapper = HANDHELD_WRAPPER.format(date=f"{true_at:%Y%m%d}", time=f"{true_at:%H%M%S}")
    return evadts.write(to_read(p), dialect.options(wrapper))
