"""When a recommended change happens: the machine's next planned visit, not a separate trip.

The visit plan (``ml/service_plan``, ``models.visits``) names the date a driver is next sent to a
machine after the fleet's "now"; a machine the plan does not visit yet gets the next day of its
service days (``devices.service_days``, MTWTFSS), the day its route passes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from transforms.catalog import lake_connection
from transforms.lake import Location

SQL = Path(__file__).parent / "sql" / "next_visits.sql"
PLANNED = "visit plan"
SERVICE_DAYS = "service days"


@dataclass(frozen=True)
class NextVisit:
    """The visit a machine's changes are placed on."""

    visit_date: date | None
    source: str  # PLANNED, SERVICE_DAYS or "" when neither is known


def next_service_day(today: date, service_days: str) -> date | None:
    """The first day after ``today`` whose weekday is set in the MTWTFSS mask (None: no day)."""
    mask = (service_days or "").strip()[:7]
    for ahead in range(1, 8):
        day = today + timedelta(days=ahead)
        if len(mask) > day.weekday() and mask[day.weekday()] == "1":
            return day
    return None


def next_visits(lake: Location) -> dict[str, NextVisit]:
    """Machine serial → its next visit (module docstring)."""
    con = lake_connection(lake, ("raw", "master", "marts", "ml"))
    try:
        rows = con.execute(SQL.read_text()).fetchall()
    finally:
        con.close()
    out = {}
    for serial, today, service_days, planned in rows:
        if planned is not None:
            out[serial] = NextVisit(planned, PLANNED)
        elif today is not None and (day := next_service_day(today, service_days or "")):
            out[serial] = NextVisit(day, SERVICE_DAYS)
        else:
            out[serial] = NextVisit(None, "")
    return out
