"""The planogram problem as plain data: what the optimiser, the AI reviewer and the writers share.

A cabinet is a grid of slots; each slot can hold one product, up to a capacity that depends on the
product's size (a spiral's pitch). The optimiser fills a ``CabinetContext`` into a ``Proposal``;
the AI reviewer (``models.ai``) may refine a proposal into another ``Proposal`` with
``source="ai"``; whatever is finally written becomes rows of ``planogram_recommendations``.
Money is in minor units (cents) as ``int`` or ``float`` expectations; rates are units per day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from models.planogram.substitution import PRIOR_Q, PRIOR_SD

Objective = Literal["revenue", "margin"]
Source = Literal["optimiser", "ai"]

# Units a spiral holds per product size when nothing better is known: a rule of thumb the operator
# sets in ``$CVD_HOME/planogram.toml`` (``[size_capacity]``); these defaults are common spiral
# pitches (and the demo fleet's).
DEFAULT_SIZE_CAPACITY: Mapping[str, int] = MappingProxyType({"S": 15, "M": 10, "L": 7})


@dataclass(frozen=True)
class SlotInfo:
    """One physical slot of a cabinet as it is now."""

    slot: str  # position, "A1"
    selection: str  # DEX selection id (PA101)
    size_class: str  # largest product size the slot takes: "S", "M" or "L"
    current_product_id: str | None
    current_capacity: int
    current_par: int
    # What the machine's newest DEX read reports in this selection, when it names a product; the
    # planogram (current_product_id) may lag the machine (a driver's swap not yet entered).
    dex_product_id: str | None = None

    @property
    def held_product_id(self) -> str | None:
        """The product in the slot as far as demand goes: DEX's when it names one, else the
        planogram's."""
        return self.dex_product_id or self.current_product_id

    @property
    def disagrees(self) -> bool:
        """DEX reports another product here than the planogram."""
        return bool(self.dex_product_id) and self.dex_product_id != self.current_product_id

    def only_recorded(self, product_id: str) -> bool:
        """Proposing ``product_id`` here changes the master planogram alone: DEX reports that
        product where the planogram names another, so nobody has to swap anything (change kind
        ``record``, never a swap: no cost, not counted against ``ChangeCost.max_swaps``)."""
        return self.disagrees and product_id == self.dex_product_id


@dataclass(frozen=True)
class CandidateProduct:
    """A product that may go into this cabinet, with its forecast demand at this machine."""

    product_id: str
    name: str
    category: str
    size: str  # "S", "M", "L"
    price_cents: int
    cost_cents: int
    daily_demand: float  # expected (uncensored) units per day at this machine
    demand_source: str  # "forecast", "borrowed" (similar products/locations), ...
    substitutes: dict[str, float] = field(default_factory=dict)  # product_id -> share
    # False for a product this machine never carried (its demand is borrowed or assumed): putting
    # it in is a trial, limited per cabinet (``ChangeCost.max_trials``) and labelled.
    carried: bool = True
    # Relative variance of ``daily_demand`` as an estimate (Var/mean²; 0 = known exactly): the
    # spread of the weekly-effect interval beyond Poisson noise (``models.planogram.changeover``).
    demand_rel_var: float = 0.0


@dataclass(frozen=True)
class Constraints:
    """What a manager sets for a cabinet (defaults: none binding)."""

    objective: Objective = "revenue"
    core_products: frozenset[str] = frozenset()  # must keep at least one facing
    min_facings: dict[str, int] = field(default_factory=dict)
    max_facings: dict[str, int] = field(default_factory=dict)
    default_max_facings: int = 3
    required_categories: frozenset[str] = frozenset()  # at least one facing each
    par_share: float = 0.85  # par level = round(capacity × par_share), at least 1
    # units per facing by product size (S, M, L): what a proposal may load into a spiral
    size_capacity: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SIZE_CAPACITY))


@dataclass(frozen=True)
class ChangeCost:
    """What a product swap costs and how many a visit may carry (``docs/models.md``).

    A swap takes the driver ``minutes_per_swap`` at ``labour_per_hour`` (currency units); the
    stock taken out of the slot goes back to the van, except for products of
    ``writeoff_categories`` (perishable: fresh food), whose expected leftover is written off at
    its cost. A swap is recommended only when its expected gain over ``horizon_weeks`` beats its
    cost; at most ``max_swaps`` per cabinet per visit, at most ``max_trials`` products the machine
    never carried per cabinet."""

    minutes_per_swap: float = 5.0
    labour_per_hour: float = 30.0
    horizon_weeks: float = 8.0
    max_swaps: int = 4
    max_trials: int = 1
    writeoff_categories: frozenset[str] = frozenset({"Fresh"})

    @property
    def labour_cents(self) -> float:
        """Labour of one swap in minor units."""
        return self.minutes_per_swap / 60.0 * self.labour_per_hour * 100.0


@dataclass(frozen=True)
class CabinetContext:
    """Everything the optimiser and the AI reviewer know about one cabinet."""

    machine_serial: str
    asset_number: str
    cabinet_index: int
    slots: tuple[SlotInfo, ...]
    candidates: tuple[CandidateProduct, ...]
    service_interval_days: float  # expected days between visits
    constraints: Constraints = Constraints()
    # Days between consecutive visits over one week, e.g. (2, 2, 3) for Mon/Wed/Fri; empty means
    # every interval is ``service_interval_days`` long.
    service_intervals: tuple[float, ...] = ()
    # Chance that a customer who finds a product absent or sold out buys its best stocked
    # substitute instead (the simulator's 0.55; DEX cannot reveal it, so it is an assumption).
    substitute_probability: float = PRIOR_Q
    # How far ``substitute_probability`` may be off (a standard deviation; 0 = known): the
    # pipeline cannot estimate it from DEX, so it states its prior's.
    # A swap is recommended only when it pays across q's 80% range (``changeover``).
    substitute_probability_sd: float = PRIOR_SD
    change_cost: ChangeCost = ChangeCost()

    def intervals(self) -> tuple[float, ...]:
        """The visit intervals of a week (days)."""
        return self.service_intervals or (float(self.service_interval_days),)


@dataclass(frozen=True)
class SlotAssignment:
    """The proposal for one slot."""

    slot: str
    selection: str
    product_id: str
    capacity: int
    par_level: int
    expected_weekly_units: float
    expected_weekly_revenue_cents: float
    reason: str
    # Set on a product swap by the cost-aware optimiser (``models.planogram.changeover``):
    swap_cost_cents: float = 0.0  # labour plus written-off stock
    weekly_gain_cents: float = 0.0  # the cabinet's expected weekly gain (objective) of this swap
    gain_low_cents: float = 0.0  # 80% interval of that weekly gain
    gain_high_cents: float = 0.0
    trial: bool = False  # a product the machine never carried


@dataclass(frozen=True)
class Proposal:
    """A whole cabinet's proposal and where it came from."""

    machine_serial: str
    cabinet_index: int
    assignments: tuple[SlotAssignment, ...]
    current_weekly_units: float
    current_weekly_revenue_cents: float
    source: Source = "optimiser"
    model_version: str = ""
    summary: str = ""  # the cabinet-level explanation a manager reads
    ai_status: str = "not_requested"  # ok | no_key | disabled | error | invalid | refused | timeout
    ai_model: str | None = None
