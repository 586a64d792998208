"""The driver's day, made for a phone: one column, big buttons. The stops of the signed-in
driver's orders (the service layer filters them) for the chosen day, in the planned order, with
navigation links, access notes, the pick list and done/left counters. Per cabinet of a started
order: delivered quantities, a note, before/after photos and a problem report; each change is
saved on the server as it is made (``operations.services.visits``), so a dropped connection or
a reload loses nothing. Then complete the order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from dashboards import actions, data, order_tables, photo_view, session, tables
from dashboards.cash_entry import cash_form
from dashboards.escape import md
from dashboards.navigation import navigation_links
from operations.errors import OperationsError
from operations.schema import (
    EXCEPTION_KINDS,
    PHOTO_KINDS,
    OrderPhoto,
    ServiceOrder,
    ServiceOrderCabinet,
)
from operations.services import orders, visits

DRIVER_ONLY = frozenset({"driver"})
WORKABLE = ("scheduled", "in_progress")
SAVE_ERROR_KEY = "driver_save_error"
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif"]


def _default_day(days: list[date], open_days: set[date]) -> int:
    """Today if it has orders, else the next day with open orders, else the last open one."""
    today = date.today()
    upcoming = [d for d in days if d >= today and d in open_days]
    pick = today if today in days else (upcoming[0] if upcoming else None)
    if pick is None and open_days:
        pick = max(open_days)
    return days.index(pick) if pick in days else len(days) - 1


def _day_label(day: date) -> str:
    return f"{day:%a %d %b %Y}" + (" (today)" if day == date.today() else "")


def _saving(what: str, write: Callable[[], object]) -> Callable[[], None]:
    """A widget callback that saves one change at once; a refusal is shown on the next run."""

    def save() -> None:
        try:
            write()
        except OperationsError as problem:
            st.session_state[SAVE_ERROR_KEY] = f"Could not {what}: {md(problem)}."

    return save


def _stop_header(stop: visits.Stop) -> None:
    mark = "✅ " if stop.done else ""
    st.markdown(f"**{mark}{md(stop.machine)}**  \n{md(stop.location)} · {md(stop.address)}")
    if stop.access_notes:
        st.info(f"Access: {md(stop.access_notes)}")
    links = navigation_links(stop.latitude, stop.longitude)
    if links is None:
        st.caption("No coordinates for this place.")
        return
    left, right = st.columns(2)
    left.link_button("Navigate (maps app)", links.geo, width="stretch")
    right.link_button("OpenStreetMap", links.web, width="stretch")


def _quantities(order: ServiceOrder, oc: ServiceOrderCabinet, entry: visits.Entry) -> None:
    who = session.actor()
    for item in oc.items:
        key = f"delivered_{order.id}_{oc.cabinet_id}_{item.slot}"
        st.number_input(
            md(f"{item.slot} · {item.product.name} (plan {item.quantity_planned})"),
            min_value=0,
            max_value=orders.MAX_QUANTITY,
            value=entry.delivered.get(item.slot, item.quantity_planned),
            step=1,
            key=key,
            on_change=_saving(
                "save the quantity",
                lambda key=key, slot=item.slot: visits.save_entry(
                    data.ops_db(),
                    who,
                    order.id,
                    oc.cabinet_id,
                    delivered={slot: st.session_state[key]},
                ),
            ),
        )


def _note(order: ServiceOrder, cabinet_id: int, entry: visits.Entry) -> None:
    who = session.actor()
    key = f"note_{order.id}_{cabinet_id}"
    st.text_input(
        "Note",
        value=entry.note,
        key=key,
        max_chars=1000,
        on_change=_saving(
            "save the note",
            lambda: visits.save_entry(
                data.ops_db(), who, order.id, cabinet_id, note=st.session_state[key]
            ),
        ),
    )


def _photos(order: ServiceOrder, cabinet_id: int) -> None:
    who = session.actor()
    nonce_key = f"photo_nonce_{order.id}_{cabinet_id}"
    nonce = st.session_state.get(nonce_key, 0)
    kind = st.radio(
        "Photo", PHOTO_KINDS, horizontal=True, key=f"photo_kind_{order.id}_{cabinet_id}"
    )
    use_camera = st.toggle("Use the camera", key=f"camera_{order.id}_{cabinet_id}")
    picked = (
        st.camera_input("Take a photo", key=f"camera_shot_{order.id}_{cabinet_id}_{nonce}")
        if use_camera
        else st.file_uploader(
            "Photo file", type=PHOTO_TYPES, key=f"photo_file_{order.id}_{cabinet_id}_{nonce}"
        )
    )
    if picked is not None and st.button(
        f"Save {kind} photo", key=f"photo_save_{order.id}_{cabinet_id}", width="stretch"
    ):

        def uploaded(photo: object) -> str:
            st.session_state[nonce_key] = nonce + 1  # a fresh, empty picker after the rerun
            return f"{kind.capitalize()} photo saved for cabinet {cabinet_id}."

        actions.perform(
            "save the photo",
            lambda: visits.add_photo(
                data.ops_db(),
                who,
                data.settings().photos,
                order.id,
                cabinet_id,
                kind=kind,
                data=picked.getvalue(),
                name=picked.name,
            ),
            uploaded,
        )


def _exception(order: ServiceOrder, cabinet_id: int, entry: visits.Entry) -> None:
    who = session.actor()
    if entry.exception_kind:
        st.warning(
            md(
                f"Problem reported: {visits.EXCEPTION_LABELS[entry.exception_kind]}"
                + (f" ({entry.exception_note})" if entry.exception_note else "")
                + f" · follow-up order #{entry.follow_up_order_id}"
            )
        )
    with st.expander("Report a problem", expanded=False):
        kind = st.radio(  # radio, not a drop-down: one tap on a phone
            "Problem",
            EXCEPTION_KINDS,
            format_func=lambda k: visits.EXCEPTION_LABELS[k],
            key=f"exception_kind_{order.id}_{cabinet_id}",
        )
        note = st.text_input(
            "What happened", key=f"exception_note_{order.id}_{cabinet_id}", max_chars=800
        )
        if st.button(
            "Report problem", key=f"exception_submit_{order.id}_{cabinet_id}", width="stretch"
        ):
            actions.perform(
                "report the problem",
                lambda: visits.report_exception(
                    data.ops_db(), who, order.id, cabinet_id, kind=kind, note=note
                ),
                lambda saved: (
                    f"Problem reported; follow-up order #{saved.follow_up_order_id} "
                    "is with the office."
                ),
            )


def _cabinet_form(
    order: ServiceOrder,
    oc: ServiceOrderCabinet,
    entry: visits.Entry,
    taken: list[OrderPhoto],
) -> None:
    who = session.actor()
    _quantities(order, oc, entry)
    _note(order, oc.cabinet_id, entry)
    photo_view.show(taken)
    _photos(order, oc.cabinet_id)
    _exception(order, oc.cabinet_id, entry)
    done_key = f"done_{order.id}_{oc.cabinet_id}"
    st.checkbox(
        "Cabinet done",
        value=entry.done,
        key=done_key,
        on_change=_saving(
            "mark the cabinet",
            lambda: visits.save_entry(
                data.ops_db(), who, order.id, oc.cabinet_id, done=st.session_state[done_key]
            ),
        ),
    )


def _start(order: ServiceOrder) -> None:
    who = session.actor()
    if st.button(
        f"Start order #{order.id}", key=f"start_{order.id}", type="primary", width="stretch"
    ):
        actions.perform(
            "start the order",
            lambda: orders.start_order(data.ops_db(), who, order.id),
            lambda done: f"Order #{done.id} started: record what you deliver, then complete.",
        )


def _complete(order: ServiceOrder, entries: dict[int, visits.Entry]) -> None:
    who = session.actor()
    delivered = {
        (oc.cabinet_id, item.slot): entries[oc.cabinet_id].delivered.get(
            item.slot, item.quantity_planned
        )
        for oc in order.cabinets
        for item in oc.items
    }
    if st.button(
        f"Complete order #{order.id}",
        key=f"complete_submit_{order.id}",
        type="primary",
        width="stretch",
    ):
        actions.perform(
            "complete the order",
            lambda: orders.complete_order(data.ops_db(), who, order.id, delivered),
            lambda finished: f"Order #{finished.id} completed. Thank you!",
        )


def _order(
    order: ServiceOrder, stops: list[visits.Stop], labels: dict[int, order_tables.CabinetLabel]
) -> None:
    who = session.actor()
    st.subheader(f"Order #{order.id} · {order.status.replace('_', ' ')}")
    st.caption(
        md(f"Route {order.route.code} · planned {order.planned_date}")
        + (f" · {md(order.note)}" if order.note else "")
    )
    items = order_tables.items_frame(order, labels)
    with st.expander("Take along (pick list)", expanded=order.status == "scheduled"):
        tables.show(order_tables.per_product(items, "load"), hide_index=True, width="stretch")
    entries = visits.get_entries(data.ops_db(), who, order.id)
    taken = visits.list_photos(data.ops_db(), who, order.id)
    by_cabinet = {oc.cabinet_id: oc for oc in order.cabinets}
    for stop in stops:
        with st.container(border=True):
            _stop_header(stop)
            oc = by_cabinet[stop.cabinet_id]
            if order.status == "in_progress":
                mine = [p for p in taken if p.cabinet_id == stop.cabinet_id]
                _cabinet_form(order, oc, entries[stop.cabinet_id], mine)
            else:
                rows = items[items["cabinet_id"] == stop.cabinet_id]
                tables.show(rows[["slot", "product", "load"]], hide_index=True, width="stretch")
    if order.status == "scheduled":
        _start(order)
    elif order.status == "in_progress":
        cash_form(order, stops)
        _complete(order, entries)


def main() -> None:
    """Render the page."""
    session.require_role(DRIVER_ONLY)
    who = session.actor()
    st.title("My orders")
    actions.show_outcome()
    problem = st.session_state.pop(SAVE_ERROR_KEY, None)
    if problem:
        st.error(f"{problem} Nothing was changed.")
    mine = [o for o in orders.list_orders(data.ops_db(), who) if o.status != "cancelled"]
    if not mine:
        st.info("No service orders for you.")
        return
    days = sorted({o.planned_date for o in mine})
    open_days = {o.planned_date for o in mine if o.status in WORKABLE}
    day = st.selectbox(
        "Day", days, index=_default_day(days, open_days), format_func=_day_label, key="driver_day"
    )
    stops = visits.day_stops(data.ops_db(), who, day)
    done = sum(stop.done for stop in stops)
    left, right = st.columns(2)
    left.metric("Done", done)
    right.metric("Left", len(stops) - done)
    show_done = st.toggle("Show completed orders", key="driver_done")
    labels = order_tables.cabinet_labels()
    by_id = {o.id: o for o in mine}
    for order_id in dict.fromkeys(stop.order_id for stop in stops):
        order = by_id[order_id]
        if order.status == "completed" and not show_done:
            continue
        _order(order, [s for s in stops if s.order_id == order_id], labels)
        st.divider()
    for draft in (o for o in mine if o.planned_date == day and o.status == "draft"):
        st.subheader(f"Order #{draft.id} · draft")
        st.caption("Not released yet: the office still has to schedule this order.")
    if not stops:
        st.info("Nothing for this day.")


main()
