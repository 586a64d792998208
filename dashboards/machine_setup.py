"""Machine setup on the Machines page (managers): add a machine with its cabinets in three
short steps, place an auto-registered machine, move one, retire and restore. Every write is a
service call (``operations.services.fleet``/``devices``) through ``dashboards.actions.perform``."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import actions, data, session
from dashboards.escape import md
from operations.services import devices, fleet, masterdata

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STEP_KEY = "setup_step"
VALUES_KEY = "setup_values"
NO_ROUTE = "(no route)"


def weekday_mask(days: list[str]) -> str:
    """``["Mon", "Wed"]`` → ``"1010000"`` (Monday first, as the master data stores it)."""
    return "".join("1" if day in days else "0" for day in WEEKDAYS)


def weekdays(mask: str | None) -> list[str]:
    """The inverse of :func:`weekday_mask` (empty for no mask)."""
    return [day for day, bit in zip(WEEKDAYS, mask or "", strict=False) if bit == "1"]


def _places() -> tuple[list[str], list[str]]:
    who, db = session.actor(), data.ops_db()
    locations = [loc.code for loc in fleet.list_locations(db, who)]
    routes = [route.code for route in masterdata.list_routes(db, who)]
    return locations, routes


def _add_machine() -> None:
    step = st.session_state.get(STEP_KEY, 1)
    values: dict[str, Any] = st.session_state.setdefault(VALUES_KEY, {})
    st.markdown(f"**Step {step} of 3** · " + ["Identity", "Place", "Cabinets"][step - 1])
    locations, routes = _places()
    if step == 1:
        with st.form("setup_identity"):
            asset = st.text_input("Asset number", values.get("asset", ""), key="setup_asset")
            serial = st.text_input(
                "DEX serial (ID101; empty if not known yet)",
                values.get("serial", ""),
                key="setup_serial",
            )
            model = st.text_input("Model", values.get("model", ""), key="setup_model")
            kind = st.text_input("Device type", values.get("kind", "snack"), key="setup_kind")
            telemetry = st.checkbox("Telemetry", values.get("telemetry", False), key="setup_tel")
            if st.form_submit_button("Next: place"):
                values.update(
                    asset=asset, serial=serial, model=model, kind=kind, telemetry=telemetry
                )
                st.session_state[STEP_KEY] = 2
                st.rerun()
    elif step == 2:
        with st.form("setup_place"):
            location = st.selectbox("Location", locations, key="setup_location")
            route = st.selectbox("Route", [NO_ROUTE, *routes], key="setup_route")
            days = st.multiselect("Service days", WEEKDAYS, ["Mon", "Thu"], key="setup_days")
            back, ahead = st.columns(2)
            if back.form_submit_button("Back"):
                st.session_state[STEP_KEY] = 1
                st.rerun()
            if ahead.form_submit_button("Next: cabinets"):
                values.update(location=location, route=route, days=days)
                st.session_state[STEP_KEY] = 3
                st.rerun()
    else:
        _cabinets_step(values)


def _cabinets_step(values: dict[str, Any]) -> None:
    count = int(st.number_input("Cabinets", 1, 9, 1, key="setup_cabinet_count"))
    with st.form("setup_cabinets"):
        specs = []
        for index in range(1, count + 1):
            cols = st.columns(3)
            kind = cols[0].selectbox(
                f"Cabinet {index} type", devices.CABINET_TYPES, key=f"setup_type_{index}"
            )
            rows = cols[1].number_input(
                f"Cabinet {index} rows", 1, 26, 5, key=f"setup_rows_{index}"
            )
            columns = cols[2].number_input(
                f"Cabinet {index} columns", 1, 99, 8, key=f"setup_cols_{index}"
            )
            specs.append(fleet.CabinetSpec(kind, int(rows), int(columns)))
        back, done = st.columns(2)
        went_back = back.form_submit_button("Back")
        submitted = done.form_submit_button("Add machine")
    if went_back:
        st.session_state[STEP_KEY] = 2
        st.rerun()
    if not submitted:
        return
    route = values.get("route")

    def write() -> object:
        return fleet.add_machine(
            data.ops_db(),
            session.actor(),
            asset_number=values.get("asset", ""),
            dex_serial=values.get("serial", "").strip() or None,
            model=values.get("model", ""),
            device_type=values.get("kind", ""),
            location_code=values.get("location") or "",
            route_code="" if route in (None, NO_ROUTE) else route,
            telemetry=bool(values.get("telemetry")),
            service_days=weekday_mask(values.get("days", [])),
            cabinets=specs,
        )

    asset = values.get("asset", "")
    # success reruns inside perform: the form starts over empty; a refusal keeps the values
    st.session_state[STEP_KEY] = 1
    st.session_state.pop(VALUES_KEY, None)
    actions.perform(
        "add the machine",
        write,
        lambda _: f"Added machine {md(asset)} with {len(specs)} cabinet(s).",
    )
    st.session_state[STEP_KEY] = 3
    st.session_state[VALUES_KEY] = values


def _place_unassigned() -> None:
    who = session.actor()
    waiting = devices.list_unassigned_devices(data.ops_db(), who)
    if not waiting:
        st.caption("No machine is waiting to be placed: every reporting serial has a location.")
        return
    locations, routes = _places()
    labels = {
        d.id: f"{d.dex_serial or d.asset_number} (first seen {d.first_seen_at:%Y-%m-%d})"
        if d.first_seen_at
        else f"{d.dex_serial or d.asset_number}"
        for d in waiting
    }
    with st.form("place_form"):
        device_id = st.selectbox("Machine", list(labels), format_func=labels.get, key="place_id")
        asset = st.text_input("Asset number", key="place_asset", max_chars=64)
        location = st.selectbox("Location", locations, key="place_location")
        route = st.selectbox("Route", routes, key="place_route")
        submitted = st.form_submit_button("Place machine")
    if submitted:
        actions.perform(
            "place the machine",
            lambda: devices.place_device(
                data.ops_db(),
                session.actor(),
                int(device_id),
                asset_number=asset,
                location_code=location or "",
                route_code=route or "",
            ),
            lambda d: f"Placed {md(d.asset_number)} at {md(location)} on route {md(route)}.",
        )


def _move() -> None:
    who = session.actor()
    live = [m for m in fleet.list_machines(data.ops_db(), who) if m.asset_number and not m.retired]
    locations, routes = _places()
    with st.form("move_form"):
        asset = st.selectbox("Machine", [m.asset_number for m in live], key="move_asset")
        location = st.selectbox("New location", locations, key="move_location")
        route = st.selectbox("New route", [NO_ROUTE, *routes], key="move_route")
        submitted = st.form_submit_button("Move machine")
    if submitted and asset:
        actions.perform(
            "move the machine",
            lambda: fleet.move_machine(
                data.ops_db(),
                session.actor(),
                asset,
                location_code=location or "",
                route_code="" if route == NO_ROUTE else route,
            ),
            lambda _: f"Moved {md(asset)} to {md(location)} ({md(route)}).",
        )


def _retire_restore() -> None:
    who, db = session.actor(), data.ops_db()
    machines = fleet.list_machines(db, who)
    live = [m.asset_number for m in machines if m.asset_number and not m.retired]
    cols = st.columns(2)
    with cols[0].form("retire_form"):
        asset = st.selectbox("Machine to retire", live, key="retire_asset")
        sure = st.checkbox("It left the fleet (its history stays)", key="retire_sure")
        retire = st.form_submit_button("Retire machine")
    if retire and asset:
        if not sure:
            st.error("Tick the confirmation to retire the machine. Nothing was changed.")
        else:
            actions.perform(
                "retire the machine",
                lambda: masterdata.delete(data.ops_db(), session.actor(), "device", asset),
                lambda _: f"Retired {md(asset)}; its reads, orders and planograms are kept.",
            )
    retired = fleet.list_retired(db, who, "device")
    with cols[1].form("restore_form"):
        back = st.selectbox("Retired machine", retired, key="restore_asset")
        restore = st.form_submit_button("Restore machine")
    if restore and back:
        actions.perform(
            "restore the machine",
            lambda: fleet.restore(data.ops_db(), session.actor(), "device", back),
            lambda _: f"Restored {md(back)}.",
        )


def section() -> None:
    """The setup tabs (the page shows them to admins and managers only)."""
    st.subheader("Machine setup")
    tabs = st.tabs(["Add a machine", "Place unassigned", "Move", "Retire or restore"])
    with tabs[0]:
        _add_machine()
    with tabs[1]:
        _place_unassigned()
    with tabs[2]:
        _move()
    with tabs[3]:
        _retire_restore()
