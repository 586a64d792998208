"""The operator's world: locations, routes, devices with 1-3 cabinets, and a planogram per cabinet.

Slots of the whole fleet live in flat arrays (index = global slot number); a device's slots are
one contiguous range, so per-device work is a slice, never a gather.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.catalog import SIZE_CAPACITY, Catalog
from simulator.config import CABINET_CATEGORIES, CABINET_TYPES, SimConfig

# model, device type, cabinets, serial prefix, draw weight
MODELS: tuple[tuple[str, str, tuple[str, ...], str, float], ...] = (
    ("Crane National 187", "Snack", ("Ambient 5x8",), "CN", 0.2),
    ("AMS Sensit III", "Snack", ("Ambient+ 6x9",), "AMS", 0.15),
    ("Dixie-Narco 501E", "Cold Drink", ("Cooler 5x8",), "DN", 0.15),
    ("Royal 660", "Cold Drink", ("Cooler 5x8",), "RV", 0.1),
    ("Vendo 721", "Combo", ("Ambient 5x8", "Cooler 5x8"), "VE", 0.15),
    ("Crane Merchant Media", "Combo", ("Ambient+ 6x9", "Cooler 5x8", "Stockwell 4x7"), "CM", 0.1),
    ("Fastcorp F-Series", "Frozen", ("Freezer 5x8",), "FC", 0.05),
    ("Stockwell Smart Cabinet", "Micro Market", ("Stockwell 4x7",), "SW", 0.1),
)
PLACES = (
    "Riverside", "Oakwood", "Lakeview", "Hillcrest", "Maple", "Cedar", "Harbor", "Summit",
    "Westgate", "Northfield", "Elm Park", "Granite", "Union", "Fairview", "Brookside",
)  # fmt: skip
KINDS = (
    "Hospital", "Office Park", "University Hall", "Transit Center", "Factory", "Gym",
    "High School", "Library", "Hotel Lobby", "Warehouse", "Car Dealership", "Call Center",
)  # fmt: skip
STREETS = ("Main St", "Oak Ave", "Broad St", "High St", "Park Rd", "Market St", "River Rd",
           "State St", "Lincoln Ave", "Washington Blvd")  # fmt: skip
TRAFFIC_LEVELS = ("low", "medium", "high")
SERVICE_DAYS = {"high": "1111100", "medium": "1010100"}  # low traffic: one weekday
CITY_CENTER = (39.9612, -82.9988)
MACHINES_PER_LOCATION = 1.4
MACHINES_PER_ROUTE = 12


@dataclass(frozen=True)
class Location:
    """A place that hosts devices."""

    location_id: str
    name: str
    address: str
    latitude: float
    longitude: float
    traffic: str
    trend: float  # yearly log-trend of its demand


@dataclass(frozen=True)
class Route:
    """A driver's route."""

    route_id: str
    name: str
    driver: str


@dataclass(frozen=True)
class Device:
    """A vending machine; its slots are ``slot_start:slot_stop`` in the fleet arrays."""

    index: int
    asset_number: str
    serial: str
    model: str
    device_type: str
    location: int
    route: int
    telemetry: bool
    service_days: str  # MTWTFSS mask
    visit_hour: int
    cabinets: tuple[str, ...]
    slot_start: int
    slot_stop: int

    @property
    def slots(self) -> slice:
        """This device's range in the fleet's slot arrays."""
        return slice(self.slot_start, self.slot_stop)


@dataclass(frozen=True)
class Fleet:
    """Locations, routes, devices, and the initial planogram of every slot (flat arrays)."""

    locations: tuple[Location, ...]
    routes: tuple[Route, ...]
    devices: tuple[Device, ...]
    slot_machine: np.ndarray  # int32: device index
    slot_cabinet: np.ndarray  # int8: 1-based cabinet index
    slot_name: tuple[str, ...]  # A1, A2, ...
    slot_selection: tuple[str, ...]  # DEX PA101 id
    capacity: np.ndarray  # int64
    par: np.ndarray  # int64
    product: np.ndarray  # int64 product index, as planned at the start
    price_cents: np.ndarray  # int64, as planned at the start

    @property
    def n_slots(self) -> int:
        """Number of slots in the fleet."""
        return len(self.slot_machine)


def make_fleet(config: SimConfig, catalog: Catalog, rng: np.random.Generator) -> Fleet:
    """Draw locations, routes and devices, and stock every cabinet from the catalog."""
    n_loc = max(1, int(np.ceil(config.machines / MACHINES_PER_LOCATION)))
    n_routes = max(1, int(np.ceil(config.machines / MACHINES_PER_ROUTE)))
    locations = tuple(_location(i, rng, config) for i in range(n_loc))
    routes = tuple(
        Route(f"R{i + 1:03d}", f"Route {i + 1}", f"driver{i + 1:02d}") for i in range(n_routes)
    )
    weights = np.array([m[4] for m in MODELS])
    model_of = rng.choice(len(MODELS), size=config.machines, p=weights / weights.sum())
    # Every location gets a device first, then the rest spread at random.
    loc_of = np.concatenate(
        [np.arange(min(n_loc, config.machines)), rng.integers(0, n_loc, config.machines - n_loc)]
    ).astype(int)[: config.machines]
    ops = config.operations
    devices: list[Device] = []
    slot_rows: list[tuple[int, int, str, str, int]] = []  # machine, cabinet, slot, selection, prod
    for i in range(config.machines):
        model, dtype, cabinets, prefix, _ = MODELS[model_of[i]]
        loc = locations[loc_of[i]]
        mask = SERVICE_DAYS.get(loc.traffic)
        if mask is None:
            weekday = int(rng.integers(0, 5))
            mask = "".join("1" if d == weekday else "0" for d in range(7))
        start = len(slot_rows)
        for c, cab in enumerate(cabinets, start=1):
            rows, cols = CABINET_TYPES[cab]
            products = _stock(catalog, CABINET_CATEGORIES[cab], rows * cols, rng)
            for k in range(rows * cols):
                r, col = divmod(k, cols)
                slot = f"{chr(ord('A') + r)}{col + 1}"
                slot_rows.append((i, c, slot, f"{c}{r + 1}{col + 1}", int(products[k])))
        devices.append(
            Device(
                index=i,
                asset_number=f"A{i + 1:05d}",
                serial=f"{prefix}{int(rng.integers(10**7, 10**8)):08d}",
                model=model,
                device_type=dtype,
                location=int(loc_of[i]),
                route=int(loc_of[i] * n_routes // n_loc),
                telemetry=bool(rng.random() < ops.telemetry_share),
                service_days=mask,
                visit_hour=int(rng.integers(ops.visit_hours[0], ops.visit_hours[1] + 1)),
                cabinets=cabinets,
                slot_start=start,
                slot_stop=len(slot_rows),
            )
        )
    product = np.array([r[4] for r in slot_rows], dtype=np.int64)
    sizes = np.array(catalog.size)[product]
    capacity = np.array([SIZE_CAPACITY[s] for s in sizes], dtype=np.int64)
    if ops.capacity_override is not None:
        capacity[:] = ops.capacity_override
    par = np.maximum(2, np.round(capacity * ops.par_share)).astype(np.int64)
    return Fleet(
        locations=locations,
        routes=routes,
        devices=tuple(devices),
        slot_machine=np.array([r[0] for r in slot_rows], dtype=np.int32),
        slot_cabinet=np.array([r[1] for r in slot_rows], dtype=np.int8),
        slot_name=tuple(r[2] for r in slot_rows),
        slot_selection=tuple(r[3] for r in slot_rows),
        capacity=capacity,
        par=par,
        product=product,
        price_cents=catalog.price_cents[product].copy(),
    )


def _location(i: int, rng: np.random.Generator, config: SimConfig) -> Location:
    place = PLACES[i % len(PLACES)]
    kind = KINDS[(i // len(PLACES)) % len(KINDS)]
    suffix = f" {i // (len(PLACES) * len(KINDS)) + 1}" if i >= len(PLACES) * len(KINDS) else ""
    return Location(
        location_id=f"L{i + 1:04d}",
        name=f"{place} {kind}{suffix}",
        address=f"{int(rng.integers(1, 9999))} {STREETS[int(rng.integers(len(STREETS)))]}, "
        "Columbus, OH",
        latitude=round(CITY_CENTER[0] + float(rng.uniform(-0.15, 0.15)), 6),
        longitude=round(CITY_CENTER[1] + float(rng.uniform(-0.2, 0.2)), 6),
        traffic=TRAFFIC_LEVELS[int(rng.choice(3, p=[0.3, 0.45, 0.25]))],
        trend=float(rng.normal(0.0, config.demand.trend_sigma)),
    )


def _stock(
    catalog: Catalog, categories: tuple[str, ...], n: int, rng: np.random.Generator
) -> np.ndarray:
    """Products for ``n`` slots: distinct on-sale products by popularity, repeats past that."""
    pool = catalog.in_category(categories)
    pool = pool[catalog.launch_day[pool] <= 0] if (catalog.launch_day[pool] <= 0).any() else pool
    p = catalog.popularity[pool] / catalog.popularity[pool].sum()
    distinct = rng.choice(pool, size=min(n, len(pool)), replace=False, p=p)
    extra = rng.choice(pool, size=n - len(distinct), replace=True, p=p)
    return np.concatenate([distinct, extra])


def substitutes(fleet_product: np.ndarray, device: Device, catalog: Catalog) -> np.ndarray:
    """For each slot of ``device``: the global slot its walk-aways try instead, or -1.

    The substitute is the slot (another product, same device) whose product has the highest
    substitution share for this slot's product; ties go to the first slot.
    """
    sl = device.slots
    products = fleet_product[sl]
    share = catalog.substitution[products][:, products]  # [slot, candidate slot]
    same = products[:, None] == products[None, :]
    share = np.where(same, 0.0, share)
    best = share.argmax(axis=1)
    return np.where(share.max(axis=1) > 0, best + device.slot_start, -1).astype(np.int64)
