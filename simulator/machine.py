"""Per-slot and per-device state of the whole fleet, and how customers are served.

Counters are kept as lifetime totals (never reset, never wrapped) per vend kind (paid, test,
free); what a device reports is derived: since init = lifetime - value at board init (mod the
field's width), since reset = lifetime - value at the last read. The hot loop therefore touches
only the lifetime arrays.
"""

from __future__ import annotations

import numpy as np

from simulator.catalog import Catalog
from simulator.config import (
    WIDE_MODULUS,
    WRAP_COUNT_MODULUS,
    WRAP_VALUE_MODULUS,
    SimConfig,
)
from simulator.fleet import Fleet, substitutes
from simulator.units import DAY_SECONDS

PAID, TEST, FREE = 0, 1, 2
VEND_KINDS = 3
# Units a slot has sold before the run starts (its counters are not 0 on day 1).
HISTORY_UNITS = 4_000
# The wrap device's chosen slot starts this many units short of the count field's maximum.
WRAP_HEADROOM_UNITS = 12


class FleetState:
    """Everything that changes while the fleet runs; arrays indexed by global slot or device."""

    def __init__(
        self, config: SimConfig, fleet: Fleet, catalog: Catalog, rng: np.random.Generator
    ) -> None:
        n, m = fleet.n_slots, len(fleet.devices)
        ops = config.operations
        self.rng = rng
        self.fleet = fleet
        self.catalog = catalog
        self.substitute_probability = config.demand.substitute_probability
        self.all_slots = np.arange(n)
        self.product = fleet.product.copy()
        self.price = fleet.price_cents.copy()
        self.level = fleet.capacity.copy()
        # Lifetime counters [kind, slot]; the history makes day-1 counters look lived-in.
        self.life_count = np.zeros((VEND_KINDS, n), dtype=np.int64)
        self.life_count[PAID] = rng.integers(0, HISTORY_UNITS, n)
        # Few selections have ever been test- or free-vended: most devices then omit PA3/PA4.
        self.life_count[TEST] = rng.integers(1, 20, n) * (rng.random(n) < 0.1)
        self.life_count[FREE] = rng.integers(1, 10, n) * (rng.random(n) < 0.05)
        self.life_value = self.life_count * self.price[None, :]
        # Counter values at board init (board-relative = life - base) and at the last read.
        self.board_base_count = np.zeros_like(self.life_count)
        self.board_base_value = np.zeros_like(self.life_value)
        self.reset_base_count = self.life_count.copy()
        self.reset_base_value = self.life_value.copy()
        self.count_modulus = np.full(m, WIDE_MODULUS, dtype=np.int64)
        self.value_modulus = np.full(m, WIDE_MODULUS, dtype=np.int64)
        if ops.wrap_machine is not None and ops.wrap_machine < m:
            dev = fleet.devices[ops.wrap_machine]
            self.count_modulus[dev.index] = WRAP_COUNT_MODULUS
            self.value_modulus[dev.index] = WRAP_VALUE_MODULUS
            # The device's most popular slot, just short of both field maxima: it wraps early.
            s = dev.slot_start + int(np.argmax(catalog.popularity[self.product[dev.slots]]))
            self.board_base_count[PAID, s] = self.life_count[PAID, s] - (
                WRAP_COUNT_MODULUS - WRAP_HEADROOM_UNITS
            )
            self.board_base_value[PAID, s] = self.life_value[PAID, s] - (
                WRAP_VALUE_MODULUS - WRAP_HEADROOM_UNITS * int(self.price[s])
            )
        self.substitute = np.full(n, -1, dtype=np.int64)
        for dev in fleet.devices:
            self.substitute[dev.slots] = substitutes(self.product, dev, catalog)
        # Sold-out state: seconds since the run's start (float: sampled within the hour).
        self.soldout_since = np.full(n, -1.0)
        self.pa5_at = np.full(n, -1.0)  # last sold-out time since the last read
        self.pa5_count = np.zeros(n, dtype=np.int64)  # sold-out selection chosen, since read
        self.episode_lost = np.zeros(n, dtype=np.int64)
        self.new_day()
        # Devices: clock, board and payment split.
        drifting = rng.random(m) < ops.clock_drift_share
        self.clock_drift = np.where(drifting, rng.normal(0.0, ops.clock_drift_sigma, m), 0.0)
        self.clock_base = rng.integers(-90, 90, m)  # seconds off on day 1
        self.clock_jump_at = np.full(m, -1, dtype=np.int64)
        self.clock_jump_by = np.zeros(m, dtype=np.int64)
        # Boards were initialised 30..900 days before the run, at any second of the day.
        days_before, second = rng.integers(30, 900, m), rng.integers(0, DAY_SECONDS, m)
        self.board_init_at = -days_before * DAY_SECONDS - second
        self.board_epoch = np.zeros(m, dtype=np.int64)
        self.reads_since_init = rng.integers(10, 500, m)
        self.last_read_at = np.full(m, -1, dtype=np.int64)  # true seconds of the last read
        self.cash_board = np.zeros((m, 2), dtype=np.int64)  # count, value since board init
        self.cashless_board = np.zeros((m, 2), dtype=np.int64)

    # ---- clock -------------------------------------------------------------------------
    def machine_seconds(self, device: int, t: np.ndarray | float) -> np.ndarray:
        """The device clock's reading at true time ``t`` (seconds since the run's start)."""
        t = np.asarray(t, dtype=float)
        offset = self.clock_base[device] + np.round(self.clock_drift[device] * t / DAY_SECONDS)
        jump = self.clock_jump_at[device]
        if jump >= 0:
            offset = offset + np.where(t >= jump, self.clock_jump_by[device], 0)
        return np.floor(t + offset).astype(np.int64)

    # ---- a day -------------------------------------------------------------------------
    def new_day(self) -> None:
        """Start the per-day accumulators of slot_day."""
        n = len(self.level)
        self.day_base_count = self.life_count.copy()
        self.day_base_value = self.life_value[PAID].copy()
        self.day_demand = np.zeros(n, dtype=np.int64)
        self.day_lost = np.zeros(n, dtype=np.int64)
        self.day_sub_in = np.zeros(n, dtype=np.int64)
        self.day_sub_out = np.zeros(n, dtype=np.int64)
        self.day_soldout_seconds = np.zeros(n)

    def close_day(self, day_start: float) -> None:
        """Add the sold-out time up to midnight of slots still sold out."""
        out = self.soldout_since >= 0
        day_end = day_start + DAY_SECONDS
        self.day_soldout_seconds[out] += day_end - np.maximum(self.soldout_since[out], day_start)

    # ---- customers ---------------------------------------------------------------------
    def serve(
        self,
        ix: slice | np.ndarray,
        arrivals: np.ndarray,
        t0: float | np.ndarray,
        span: float | np.ndarray,
    ) -> None:
        """Serve ``arrivals`` (per slot in ``ix``) spread uniformly over ``[t0, t0 + span)``.

        A slot that runs out records when: the time of its last unit is the level-th of the
        arrivals' uniform order statistics (a Beta draw). Customers who find it sold out try
        its substitute with the configured probability, else walk away.
        """
        gid = self.all_slots[ix]
        # The level before this step's sales. A copy: with ``ix`` a slice, ``self.level[ix]``
        # is a view that the sale below would overwrite (an index array gives a copy anyway).
        level = self.level[ix].copy()
        sold = np.minimum(arrivals, level)
        self.level[ix] = level - sold
        self.life_count[PAID, ix] += sold
        self.life_value[PAID, ix] += sold * self.price[ix]
        self.day_demand[ix] += arrivals
        t0 = np.broadcast_to(np.asarray(t0, dtype=float), level.shape)
        span = np.broadcast_to(np.asarray(span, dtype=float), level.shape)
        newly_out = np.flatnonzero((level > 0) & (arrivals >= level))
        if len(newly_out):
            a = level[newly_out]
            at = t0[newly_out] + span[newly_out] * self.rng.beta(a, arrivals[newly_out] - a + 1)
            g = gid[newly_out]
            self.soldout_since[g] = at
            self.pa5_at[g] = at
            self.episode_lost[g] = 0
        unmet_at = np.flatnonzero(arrivals > level)
        if len(unmet_at) == 0:
            return
        g = gid[unmet_at]
        unmet = arrivals[unmet_at] - level[unmet_at]
        self.pa5_count[g] += unmet
        target = self.substitute[g]
        tries = np.zeros_like(unmet)
        has = target >= 0
        tries[has] = self.rng.binomial(unmet[has], self.substitute_probability)
        moments = t0[unmet_at] + span[unmet_at] * self.rng.random(len(unmet_at))
        success = self._substitute(g, target, tries, moments)
        lost = unmet - success
        self.day_lost[g] += lost
        self.episode_lost[g] += lost

    def _substitute(
        self, source: np.ndarray, target: np.ndarray, tries: np.ndarray, moments: np.ndarray
    ) -> np.ndarray:
        """Sell substitutes from ``target`` slots, first come first served; return successes."""
        result = np.zeros_like(tries)
        active = np.flatnonzero(tries > 0)
        if len(active) == 0:
            return result
        order = active[np.argsort(target[active], kind="stable")]
        tgt, k = target[order], tries[order]
        first = np.r_[True, tgt[1:] != tgt[:-1]]
        group = np.cumsum(first) - 1
        before = np.cumsum(k) - k
        before -= before[first][group]  # tries of earlier sources on the same target
        success = np.clip(self.level[tgt] - before, 0, k)
        result[order] = success
        slots = tgt[first]
        units = np.bincount(group, weights=success).astype(np.int64)
        level_before = self.level[slots]
        self.level[slots] -= units
        self.life_count[PAID, slots] += units
        self.life_value[PAID, slots] += units * self.price[slots]
        self.day_sub_in[slots] += units
        self.day_sub_out[source[order]] += success
        ran_out = (level_before > 0) & (self.level[slots] == 0)
        if ran_out.any():
            # The last source in each group is the latest moment the target was reached.
            last = np.r_[first[1:], True]
            g = slots[ran_out]
            self.soldout_since[g] = moments[order][last][ran_out]
            self.pa5_at[g] = self.soldout_since[g]
            self.episode_lost[g] = 0
        return result

    # ---- service -----------------------------------------------------------------------
    def refill(self, sl: slice, t: float, day_start: float) -> list[tuple[int, float, int]]:
        """Fill a device's slots to par at ``t``; return the stock-out episodes this ends."""
        ended = np.flatnonzero(self.soldout_since[sl] >= 0) + sl.start
        episodes = [
            (int(s), float(self.soldout_since[s]), int(self.episode_lost[s])) for s in ended
        ]
        since = self.soldout_since[ended]
        self.day_soldout_seconds[ended] += t - np.maximum(since, day_start)
        self.soldout_since[ended] = -1.0
        self.episode_lost[ended] = 0
        self.level[sl] = np.maximum(self.level[sl], self.par_of(sl))
        return episodes

    def par_of(self, sl: slice) -> np.ndarray:
        """Par levels of a device's slots."""
        return self.fleet.par[sl]

    def service_vend(self, kind: int, slot: int) -> None:
        """One test or free vend (a driver at a visit): stock goes down, its counters up."""
        if self.level[slot] > 0:
            self.level[slot] -= 1
            self.life_count[kind, slot] += 1
            self.life_value[kind, slot] += self.price[slot]

    def replace_board(self, device: int, sl: slice, t: int) -> None:
        """A new control board: counters since init restart at 0, EA4 becomes ``t``."""
        self.board_base_count[:, sl] = self.life_count[:, sl]
        self.board_base_value[:, sl] = self.life_value[:, sl]
        self.board_init_at[device] = t
        self.board_epoch[device] += 1
        self.reads_since_init[device] = 0
        self.cash_board[device] = 0
        self.cashless_board[device] = 0

    def reset_after_read(self, sl: slice) -> None:
        """AUTO reset at a read: since-reset counters and PA5 start again."""
        self.reset_base_count[:, sl] = self.life_count[:, sl]
        self.reset_base_value[:, sl] = self.life_value[:, sl]
        self.pa5_at[sl] = -1.0
        self.pa5_count[sl] = 0
