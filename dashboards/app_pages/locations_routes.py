"""Locations & routes: locations (address, coordinates, traffic, access notes) and routes (name,
driver, service weekdays); admins and managers add and edit them, put machines on a route in
bulk, retire and restore. Every write is a service call (``operations.services``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import actions, data, freshness, session, tables
from dashboards.escape import md
from dashboards.machine_setup import WEEKDAYS, weekday_mask, weekdays
from dashboards.pages import MANAGERS, OFFICE
from operations.schema import TRAFFIC_LEVELS, Location, Route
from operations.services import fleet, masterdata
from transforms.spreadsheet import frame_csv

NEW = "(new)"


def _tables(locations: list[Location], routes: list[Route]) -> None:
    machines = fleet.list_machines(data.ops_db(), session.actor())
    per_route: dict[str, int] = {}
    for m in machines:
        if m.route_code and not m.retired:
            per_route[m.route_code] = per_route.get(m.route_code, 0) + 1
    st.subheader("Locations")
    places = pd.DataFrame(
        [
            {
                "location_id": loc.code,
                "name": loc.name,
                "address": loc.address,
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "traffic": loc.traffic,
                "access_notes": loc.access_notes,
            }
            for loc in locations
        ]
    )
    if not places.empty:
        tables.show(places, key="locations_table")
        st.download_button(
            "Locations (CSV)",
            frame_csv(places.rename(columns=tables.label)),
            file_name="locations.csv",
            mime="text/csv",
            key="locations_csv",
        )
    st.subheader("Routes")
    rounds = pd.DataFrame(
        [
            {
                "route_id": r.code,
                "name": r.name,
                "driver": r.driver_username or "",
                "service_days": ", ".join(weekdays(r.service_days)) or "–",
                "machines": per_route.get(r.code, 0),
            }
            for r in routes
        ]
    )
    if not rounds.empty:
        tables.show(rounds, key="routes_table")


def _location_form(locations: list[Location]) -> None:
    by_code = {loc.code: loc for loc in locations}
    pick = st.selectbox("Location", [NEW, *by_code], key="loc_pick")
    loc = by_code.get(pick)
    suffix = pick.replace(" ", "_")
    with st.form("location_form"):
        cols = st.columns(3)
        code = cols[0].text_input(
            "Location code", loc.code if loc else "", key=f"loc_code_{suffix}", disabled=bool(loc)
        )
        name = cols[1].text_input("Name", loc.name if loc else "", key=f"loc_name_{suffix}")
        traffic = cols[2].selectbox(
            "Traffic",
            TRAFFIC_LEVELS,
            TRAFFIC_LEVELS.index(loc.traffic) if loc else 1,
            key=f"loc_traffic_{suffix}",
        )
        address = st.text_input("Address", loc.address if loc else "", key=f"loc_addr_{suffix}")
        cols = st.columns(2)
        lat = cols[0].text_input(
            "Latitude (−90 to 90)", str(loc.latitude) if loc else "", key=f"loc_lat_{suffix}"
        )
        lon = cols[1].text_input(
            "Longitude (−180 to 180)", str(loc.longitude) if loc else "", key=f"loc_lon_{suffix}"
        )
        notes = st.text_area(
            "Access notes (door code, hours, whom to ask)",
            loc.access_notes if loc else "",
            key=f"loc_notes_{suffix}",
            max_chars=2000,
        )
        submitted = st.form_submit_button("Save location")
    if submitted:
        key = loc.code if loc else code
        actions.perform(
            "save the location",
            lambda: masterdata.save_location(
                data.ops_db(),
                session.actor(),
                code=key,
                name=name,
                address=address,
                latitude=lat,
                longitude=lon,
                traffic=traffic,
                access_notes=notes,
            ),
            lambda saved: f"Location {md(key)} {saved.outcome}.",
        )


def _route_form(routes: list[Route]) -> None:
    by_code = {r.code: r for r in routes}
    pick = st.selectbox("Route", [NEW, *by_code], key="route_pick")
    route = by_code.get(pick)
    suffix = pick.replace(" ", "_")
    with st.form("route_form"):
        cols = st.columns(3)
        code = cols[0].text_input(
            "Route code",
            route.code if route else "",
            key=f"route_code_{suffix}",
            disabled=bool(route),
        )
        name = cols[1].text_input("Name", route.name if route else "", key=f"route_name_{suffix}")
        driver = cols[2].text_input(
            "Driver (user name)",
            (route.driver_username or "") if route else "",
            key=f"route_driver_{suffix}",
        )
        days = st.multiselect(
            "Service weekdays",
            WEEKDAYS,
            weekdays(route.service_days) if route else [],
            key=f"route_days_{suffix}",
        )
        submitted = st.form_submit_button("Save route")
    if submitted:
        key = route.code if route else code
        actions.perform(
            "save the route",
            lambda: masterdata.save_route(
                data.ops_db(),
                session.actor(),
                code=key,
                name=name,
                driver=driver,
                service_days=weekday_mask(days) if days else "",
            ),
            lambda saved: f"Route {md(key)} {saved.outcome}.",
        )


def _bulk_assign(routes: list[Route]) -> None:
    machines = [m for m in fleet.list_machines(data.ops_db(), session.actor()) if m.asset_number]
    labels = {
        m.asset_number: f"{m.asset_number} · {m.location_code or 'no location'} · "
        f"{m.route_code or 'no route'}"
        for m in machines
        if not m.retired
    }
    with st.form("bulk_route"):
        chosen = st.multiselect(
            "Machines", list(labels), format_func=labels.get, key="bulk_machines"
        )
        route = st.selectbox("Put them on route", [r.code for r in routes], key="bulk_route")
        submitted = st.form_submit_button("Assign to route")
    if submitted:
        actions.perform(
            "assign the machines",
            lambda: fleet.assign_route(data.ops_db(), session.actor(), chosen, route or ""),
            lambda moved: f"{moved} machine(s) moved to route {md(route)}.",
        )


def _retire_restore(locations: list[Location], routes: list[Route]) -> None:
    who, db = session.actor(), data.ops_db()
    entity = st.radio("What", ["location", "route"], horizontal=True, key="lr_entity")
    live = [x.code for x in (locations if entity == "location" else routes)]
    cols = st.columns(2)
    with cols[0].form("lr_retire"):
        code = st.selectbox(f"{entity.capitalize()} to retire", live, key="lr_retire_code")
        retire = st.form_submit_button(f"Retire {entity}")
    if retire and code:
        actions.perform(
            f"retire the {entity}",
            lambda: masterdata.delete(data.ops_db(), session.actor(), entity, code),
            lambda _: f"Retired {entity} {md(code)}.",
        )
    with cols[1].form("lr_restore"):
        back = st.selectbox(
            f"Retired {entity}", fleet.list_retired(db, who, entity), key="lr_restore_code"
        )
        restore = st.form_submit_button(f"Restore {entity}")
    if restore and back:
        actions.perform(
            f"restore the {entity}",
            lambda: fleet.restore(data.ops_db(), session.actor(), entity, back),
            lambda _: f"Restored {entity} {md(back)}.",
        )


def main() -> None:
    """Render the page."""
    who = session.require_role(OFFICE)
    st.title("Locations & routes")
    actions.show_outcome()
    freshness.lag_note()
    locations = fleet.list_locations(data.ops_db(), who)
    routes = masterdata.list_routes(data.ops_db(), who)
    _tables(locations, routes)
    if who.role not in MANAGERS:
        st.caption("Locations and routes are edited by managers and admins.")
        return
    tabs = st.tabs(["Location", "Route", "Assign machines to a route", "Retire or restore"])
    with tabs[0]:
        _location_form(locations)
    with tabs[1]:
        _route_form(routes)
    with tabs[2]:
        _bulk_assign(routes)
    with tabs[3]:
        _retire_restore(locations, routes)


main()
