"""Stop order on a route: nearest neighbour by great-circle distance from the route's first stop.

The first stop is the planned machine that comes first on the route's standing order (its
location id, then serial): drivers start a route at the same place. Machines without
coordinates go last, in that standing order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_KM = 6371.0


@dataclass(frozen=True)
class Stop:
    """A machine to visit and where it stands."""

    key: str  # machine serial
    order_key: tuple[str, str]  # standing order: location id, serial
    latitude: float | None
    longitude: float | None


def distance_km(a: Stop, b: Stop) -> float:
    """Great-circle (haversine) distance between two stops with coordinates."""
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def order_stops(stops: Sequence[Stop]) -> list[Stop]:
    """The stops in visiting order: from the first in standing order, always to the nearest
    unvisited one (ties: standing order); stops without coordinates at the end."""
    located = sorted(
        (s for s in stops if s.latitude is not None and s.longitude is not None),
        key=lambda s: s.order_key,
    )
    unlocated = sorted(
        (s for s in stops if s.latitude is None or s.longitude is None), key=lambda s: s.order_key
    )
    if not located:
        return unlocated
    route = [located.pop(0)]
    while located:
        here = route[-1]
        nearest = min(located, key=lambda s: (distance_km(here, s), s.order_key))
        located.remove(nearest)
        route.append(nearest)
    return route + unlocated
