"""The cash side of every device: coins to tubes or the cash box, bills, change, the driver's tube
work, cash collections with miscounts, and one planted shrink route.

It draws from its own random stream, so adding it changed no sale, read or stock-out of an
existing seed: the cash/cashless split of each read is still the operator's draw
(:meth:`simulator.service.Operator.read`); this module only says how that cash came in.

Counters (EVA-DTS CA3, CA4, CA10, CA15) are lifetime totals per device; what a device reports is
derived as for the vend counters: since init = lifetime - value at board init (mod the field's
width on the wrap device), since reset = lifetime - value at the last read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.config import WIDE_MODULUS, WRAP_VALUE_MODULUS, SimConfig
from simulator.fleet import Fleet

# Lifetime flows per device, in minor units (columns of CashBook.life).
CASH_IN, TO_BOX, TO_TUBES, BILLS, DISPENSED, MANUAL_DISPENSED, FILLED = range(7)
FLOWS = 7
BILL = 100  # the machines take one-dollar bills
COIN = 5  # every coin amount is a multiple of a nickel
# The wrap device's cash-in, cash-box and bill fields start this many minor units short of
# their 8-digit maximum.
WRAP_HEADROOM_CENTS = 2_000


@dataclass(frozen=True)
class CashCounters:
    """What a read reports of the cash detail: since init (None: interval-only device) and
    since reset of each flow, and the tube contents (CA1501)."""

    since_init: tuple[int, ...] | None
    since_reset: tuple[int, ...]
    tube_contents: int


@dataclass(frozen=True)
class Collection:
    """One emptying of a device's cash box by its route's driver, as the truth records it."""

    expected_cents: int  # box coins + bills + coins the driver took out of the tubes by hand
    box_coins_cents: int
    bills_cents: int
    manual_dispensed_cents: int
    counted_bills_cents: int
    counted_coins_cents: int
    cause: str  # exact, miscount, shrink
    first: bool  # no earlier collection in the run: the box held cash from before it


class CashBook:
    """Per-device cash state of the whole fleet, driven by the operator at each read."""

    def __init__(self, config: SimConfig, fleet: Fleet, rng: np.random.Generator) -> None:
        c = config.cash
        m = len(fleet.devices)
        self.config = c
        self.rng = rng
        self.fleet = fleet
        # History before the run: counters since init are not 0 on day 1.
        self.life = np.zeros((m, FLOWS), dtype=np.int64)
        self.life[:, CASH_IN] = rng.integers(10_000, 5_000_000, m) // COIN * COIN
        self.life[:, BILLS] = self.life[:, CASH_IN] // 2 // BILL * BILL
        self.life[:, TO_TUBES] = (self.life[:, CASH_IN] - self.life[:, BILLS]) // 2 // COIN * COIN
        self.life[:, TO_BOX] = self.life[:, CASH_IN] - self.life[:, BILLS] - self.life[:, TO_TUBES]
        self.life[:, DISPENSED] = self.life[:, TO_TUBES] // 2 // COIN * COIN
        self.life[:, FILLED] = rng.integers(0, 200, m) * 100
        self.init_base = np.zeros_like(self.life)
        self.modulus = np.full(m, WIDE_MODULUS, dtype=np.int64)
        wrap = config.operations.wrap_machine
        if wrap is not None and wrap < m:
            # 8-digit value fields, just short of their maximum: CA305 wraps within days.
            self.modulus[wrap] = WRAP_VALUE_MODULUS
            self.init_base[wrap] = self.life[wrap] - self.life[wrap] % WRAP_VALUE_MODULUS
            for flow in (CASH_IN, TO_BOX, BILLS):
                self.init_base[wrap, flow] = self.life[wrap, flow] - (
                    WRAP_VALUE_MODULUS - WRAP_HEADROOM_CENTS
                )
        self.reset_base = self.life.copy()
        self.tube = np.full(m, c.tube_capacity_cents * 6 // 10 // COIN * COIN, dtype=np.int64)
        # The box and the tube coins set aside since the last collection (what the bag gets).
        # Boxes hold cash from before the run: the first collection cannot be known from DEX.
        self.box_coins = rng.integers(0, 4_000, m) // COIN * COIN
        self.box_bills = rng.integers(0, 60, m) * BILL
        self.bag_dispensed = np.zeros(m, dtype=np.int64)
        self.collected_before = np.zeros(m, dtype=bool)
        # Devices that send no CA3/CA4/CA10/CA15 at all (CA2 only): their collections cannot be
        # reconciled from the counters.
        self.no_detail = rng.random(m) < c.no_detail_share
        self.shrink_route = int(rng.integers(0, len(fleet.routes)))
        self.bags = 0  # bags handed in so far (bag numbers run across the fleet)

    def book_sales(self, m: int, cash_value: int, cash_count: int) -> None:
        """Book an interval's cash sales (CA2 since reset = ``cash_value``) as cash in, change
        paid from the tubes, coins to tubes or box, and bills."""
        if cash_value <= 0:
            return
        rng, cap = self.rng, self.config.tube_capacity_cents
        # change: a few coins per vend paid in bills or with a coin too many, never more than
        # the tubes hold (the machine takes exact change then)
        change = int(rng.integers(0, 8 * cash_count + 1)) * COIN
        change = min(change, int(self.tube[m]))
        cash_in = cash_value + change
        bills = BILL * min(int(rng.binomial(cash_in // BILL, self.config.bill_share)),
                           cash_in // BILL)  # fmt: skip
        coins = cash_in - bills
        tube_after_change = int(self.tube[m]) - change
        to_tubes = min(coins, max(cap - tube_after_change, 0))
        to_box = coins - to_tubes
        life = self.life[m]
        life[CASH_IN] += cash_in
        life[TO_BOX] += to_box
        life[TO_TUBES] += to_tubes
        life[BILLS] += bills
        life[DISPENSED] += change
        self.tube[m] = tube_after_change + to_tubes
        self.box_coins[m] += to_box
        self.box_bills[m] += bills

    def tube_work(self, m: int, collecting: bool) -> None:
        """The driver at the machine: low tubes filled from the change fund; at a collection,
        tubes fuller than the limit paid out by hand into the bag."""
        c, life = self.config, self.life[m]
        low = c.tube_capacity_cents * c.tube_fill_below // 100
        if self.tube[m] < low:
            fill = (c.tube_capacity_cents * 6 // 10 - int(self.tube[m])) // 25 * 25
            life[FILLED] += fill
            self.tube[m] += fill
        high = c.tube_capacity_cents * c.tube_dispense_above // 100
        if collecting and self.tube[m] > high:
            take = (int(self.tube[m]) - c.tube_capacity_cents * 7 // 10) // COIN * COIN
            life[MANUAL_DISPENSED] += take
            self.tube[m] -= take
            self.bag_dispensed[m] += take

    def counters(self, m: int, interval_only: bool) -> CashCounters | None:
        """The device's cash detail at a read (None where it sends none), then AUTO reset."""
        reset = tuple(int(x) for x in self.life[m] - self.reset_base[m])
        init = tuple(int(x) for x in (self.life[m] - self.init_base[m]) % self.modulus[m])
        self.reset_base[m] = self.life[m]
        if self.no_detail[m]:
            return None
        return CashCounters(None if interval_only else init, reset, int(self.tube[m]))

    def replace_board(self, m: int) -> None:
        """A new board: the cash counters since init restart at 0 (the tubes keep their coins)."""
        self.init_base[m] = self.life[m]

    def collect(self, m: int) -> Collection:
        """Empty the box into the bag; the driver counts it, with an honest miscount now and
        then, and on the shrink route sometimes keeps some of the bills."""
        c, rng = self.config, self.rng
        box_coins, bills, dispensed = (int(self.box_coins[m]), int(self.box_bills[m]),
                                       int(self.bag_dispensed[m]))  # fmt: skip
        expected = box_coins + bills + dispensed
        counted_bills, counted_coins, cause = bills, box_coins + dispensed, "exact"
        if rng.random() < c.miscount_rate:
            cause = "miscount"
            if rng.random() < c.bill_miscount_share:
                counted_bills = max(counted_bills + BILL * int(rng.choice([-5, -1, 1, 5])), 0)
            else:
                counted_coins = max(counted_coins + COIN * int(rng.choice([-5, -2, -1, 1, 2])), 0)
        shrinker = self.fleet.devices[m].route == self.shrink_route
        if shrinker and bills > 0 and rng.random() < c.shrink_rate:
            kept = BILL * max(1, int(bills * rng.uniform(*c.shrink_share) / BILL))
            counted_bills = max(counted_bills - kept, 0)
            cause = "shrink"
        first = not self.collected_before[m]
        self.collected_before[m] = True
        self.box_coins[m] = self.box_bills[m] = self.bag_dispensed[m] = 0
        return Collection(expected, box_coins, bills, dispensed, counted_bills, counted_coins,
                          cause, first)  # fmt: skip
