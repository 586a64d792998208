"""Every rate and switch of the fleet simulator, with its default, in one frozen dataclass.

A run is a pure function of a :class:`SimConfig`: same config, same bytes. Tests build their own
configs (``dataclasses.replace``) instead of patching module state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Cabinet types as operators name them, with (rows, columns) of their slot grid.
CABINET_TYPES: dict[str, tuple[int, int]] = {
    "Cooler 5x8": (5, 8),
    "Freezer 5x8": (5, 8),
    "Ambient 5x8": (5, 8),
    "Ambient+ 6x9": (6, 9),
    "Stockwell 4x7": (4, 7),
}

# What each cabinet type holds: the catalog categories it can be stocked with.
CABINET_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Cooler 5x8": ("Beverage",),
    "Freezer 5x8": ("Frozen",),
    "Ambient 5x8": ("Snack", "Candy"),
    "Ambient+ 6x9": ("Snack", "Candy"),
    "Stockwell 4x7": ("Fresh", "Beverage"),
}

# The one simulated device with narrow counter fields: PA201/VA102 wrap past 65,535 counts and
# PA202/VA101 past 99,999,999 minor units (an 8-digit field). Every other device's fields are
# wide enough never to wrap. Sales across a wrap = (now - before) mod modulus.
WRAP_COUNT_MODULUS = 65_536
WRAP_VALUE_MODULUS = 100_000_000
# Effectively unbounded fields for every other device (no wrap within any run).
WIDE_MODULUS = 2**62


@dataclass(frozen=True)
class QuirkConfig:
    """How often deliveries look like the field's (see ../shared/dex-corpus). Rates are shares.

    Per-device dialects are drawn once per device (a device always writes the same way); per-file
    quirks are drawn per delivery.
    """

    enabled: bool = True
    # per device
    lf_only: float = 0.3
    lower_crc: float = 0.2
    six_digit_dates: float = 0.3
    interval_only: float = 0.08
    handheld_wrapper: float = 0.5  # of devices read by handheld (no telemetry)
    # per delivery
    duplicate: float = 0.01  # same bytes, another name
    reexport: float = 0.005  # the same read rendered again with other bytes
    damaged: float = 0.006  # one byte changed: G85 fails
    truncated: float = 0.004  # cut off mid-line
    multi_read: float = 0.05  # a telemetry upload fails and goes with the next night's
    late: float = 0.03  # arrives days after the read
    max_late_days: int = 5


@dataclass(frozen=True)
class DemandConfig:
    """Expected demand per slot-hour: base × traffic × weekday × hour × season × trend × life."""

    mean_daily_units: float = 1.1  # per slot at medium traffic, before the other factors
    popularity_sigma: float = 0.7  # log-normal spread of product popularity
    traffic_factor: dict[str, float] = field(
        default_factory=lambda: {"low": 0.5, "medium": 1.0, "high": 1.9}
    )
    # Monday .. Sunday; workplaces dominate vending, so weekends are quiet.
    weekday_factor: tuple[float, ...] = (1.08, 1.12, 1.12, 1.1, 1.0, 0.75, 0.62)
    # Share of a day's demand per hour 0..23 (normalised by the simulator).
    hour_profile: tuple[float, ...] = (
        0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.4, 3.4, 3.6, 4.2, 5.0,
        6.8, 6.0, 4.6, 5.2, 5.0, 4.0, 2.8, 2.0, 1.4, 1.0, 0.6, 0.4,
    )  # fmt: skip
    season_amplitude: float = 0.15  # peak-to-mean of the yearly cycle (beverages peak in July)
    trend_sigma: float = 0.12  # per-location yearly log-trend
    new_product_share: float = 0.08  # of products launched during the run
    ramp_days: float = 21.0  # new products reach full demand over about this many days
    fading_share: float = 0.08  # of products whose demand fades during the run
    fade_half_life_days: float = 60.0
    substitute_probability: float = 0.55  # a customer facing a sold-out slot picks the substitute


@dataclass(frozen=True)
class OperationsConfig:
    """Visits, reads and the events that make counters hard to read."""

    telemetry_share: float = 0.3  # devices that also send a read every night
    nightly_read_hour: int = 2
    visit_hours: tuple[int, int] = (7, 16)  # route visits start within these hours
    par_share: float = 0.85  # par level as a share of capacity
    capacity_override: int | None = None  # e.g. 10**6 for tests that must never sell out
    price_change_rate: float = 0.01  # per device and day
    swap_rate: float = 0.04  # per visit: one slot gets another product
    board_replacement_rate: float = 0.002  # per visit
    clock_drift_share: float = 0.3  # devices whose clock drifts (seconds per day, normal)
    clock_drift_sigma: float = 4.0
    clock_jump_share: float = 0.02  # devices whose clock jumps once during the run
    test_vend_rate: float = 0.1  # per visit: the driver test-vends one item
    free_vend_rate: float = 0.03  # per visit: one item vended free (service mode)
    wrap_machine: int | None = 0  # index of the device with narrow counter fields
    cashless_share: float = 0.55


@dataclass(frozen=True)
class CashConfig:
    """Coins, bills, tubes and collections (drawn from their own random stream)."""

    collection_rate: float = 0.4  # per visit: the driver empties the cash box
    bill_share: float = 0.6  # of whole dollars paid in, paid with bills
    tube_capacity_cents: int = 4_000  # all coin tubes together
    tube_fill_below: int = 35  # percent of capacity: the driver fills the tubes at a visit
    tube_dispense_above: int = 90  # percent: at a collection, the excess is paid out by hand
    no_detail_share: float = 0.06  # devices sending CA2 but no CA3/CA4/CA10/CA15
    miscount_rate: float = 0.15  # per collection: an honest counting error
    bill_miscount_share: float = 0.3  # of miscounts: a bill or a five-bill stack, else coins
    shrink_rate: float = 0.6  # per collection on the shrink route: the driver keeps bills
    shrink_share: tuple[float, float] = (0.1, 0.25)  # of the bills kept


@dataclass(frozen=True)
class SimConfig:
    """A whole run: fleet size, period, seed and every rate."""

    machines: int = 50
    days: int = 90
    seed: int = 42
    start: date = date(2024, 1, 1)
    products: int = 120
    quirks: QuirkConfig = field(default_factory=QuirkConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    operations: OperationsConfig = field(default_factory=OperationsConfig)
    cash: CashConfig = field(default_factory=CashConfig)
    currency_decimals: int = 2
    batches: int = 1  # arrival windows the run's deliveries are split into
    row_group_rows: int = 262_144
