"""Estimated service time: minutes per stop, per cabinet and per unit loaded (configurable).

An order's estimate is ``minutes_per_stop × machines + minutes_per_cabinet × cabinets +
minutes_per_unit × units planned``; a route's day is the sum over its orders of that date that
are not cancelled. The rates come from the caller (``orchestration.settings.load_service_times``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from operations.schema import ServiceOrder

DEFAULT_MINUTES_PER_STOP = 10.0
DEFAULT_MINUTES_PER_CABINET = 5.0
DEFAULT_MINUTES_PER_UNIT = 0.25


@dataclass(frozen=True)
class ServiceTimeRates:
    """How long a stop, a cabinet and one unit take, in minutes."""

    minutes_per_stop: float = DEFAULT_MINUTES_PER_STOP
    minutes_per_cabinet: float = DEFAULT_MINUTES_PER_CABINET
    minutes_per_unit: float = DEFAULT_MINUTES_PER_UNIT


@dataclass(frozen=True)
class RouteDay:
    """One route's estimated work on one date."""

    route: str
    planned_date: date
    orders: int
    stops: int
    cabinets: int
    units: int
    minutes: float


def order_minutes(order: ServiceOrder, rates: ServiceTimeRates) -> float:
    """The order's estimate (its cabinets loaded with ``cabinet``: see ``orders.order_query``)."""
    stops = len({oc.cabinet.device_id for oc in order.cabinets})
    units = sum(item.quantity_planned for oc in order.cabinets for item in oc.items)
    return (
        rates.minutes_per_stop * stops
        + rates.minutes_per_cabinet * len(order.cabinets)
        + rates.minutes_per_unit * units
    )


def route_days(orders: Iterable[ServiceOrder], rates: ServiceTimeRates) -> list[RouteDay]:
    """Per route and date, the orders that are not cancelled and their summed estimate."""
    totals: dict[tuple[str, date], list[ServiceOrder]] = {}
    for order in orders:
        if order.status != "cancelled":
            totals.setdefault((order.route.code, order.planned_date), []).append(order)
    return [
        RouteDay(
            route,
            day,
            len(day_orders),
            sum(len({oc.cabinet.device_id for oc in o.cabinets}) for o in day_orders),
            sum(len(o.cabinets) for o in day_orders),
            sum(i.quantity_planned for o in day_orders for oc in o.cabinets for i in oc.items),
            sum(order_minutes(o, rates) for o in day_orders),
        )
        for (route, day), day_orders in sorted(totals.items())
    ]
