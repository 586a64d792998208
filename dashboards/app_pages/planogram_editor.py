"""Planogram editor: a cabinet's slots, editable (product, capacity, par level, price), with bulk
actions, the change against the version in force and its what-if from the demand forecast, and
a save that makes a new dated version (optionally with a changeover order). Admins and managers.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboards import actions, data, session
from dashboards import planogram_edit as edit
from dashboards.escape import md
from dashboards.pages import MANAGERS
from operations.permissions import Action
from operations.schema import utcnow
from operations.services import masterdata, planogram_editor, planogram_templates
from operations.services.planogram_editor import CabinetChoice

STATE = edit.EDITOR_STATE


def _label(c: CabinetChoice) -> str:
    machine = f"{c.asset_number or '(unassigned)'} · {c.dex_serial or '–'}"
    return f"{machine} · cabinet {c.cabinet_index} ({c.cabinet_type})"


def _pick(cabinets: list[CabinetChoice]) -> CabinetChoice:
    by_id = {c.cabinet_id: c for c in cabinets}
    wanted = st.query_params.get("cabinet")
    ids = list(by_id)
    index = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in by_id else 0
    chosen = st.selectbox(
        "Cabinet", ids, index=index, format_func=lambda i: _label(by_id[i]), key="editor_cabinet"
    )
    return by_id[chosen]


def _state(cabinet: CabinetChoice) -> dict[str, object]:
    """The cabinet's edit in progress (opened from the version in force on first sight)."""
    states = st.session_state.setdefault(STATE, {})
    if cabinet.cabinet_id not in states:
        opened, rows = planogram_editor.open_cabinet(
            data.ops_db(), session.actor(), cabinet.cabinet_id
        )
        states[cabinet.cabinet_id] = {"opened": opened, "frame": edit.frame_of(rows), "rev": 0}
    return states[cabinet.cabinet_id]


def _replace(state: dict[str, object], frame: pd.DataFrame) -> None:
    state["frame"] = frame
    state["rev"] = int(state["rev"]) + 1  # type: ignore[call-overload]  # an int we stored
    st.rerun()


def _bulk(
    cabinet: CabinetChoice,
    cabinets: list[CabinetChoice],
    state: dict[str, object],
    frame: pd.DataFrame,
) -> None:
    """Par as a share of capacity, copy another cabinet, apply or save a template, clear a row."""
    db, who = data.ops_db(), session.actor()
    with st.expander("Bulk actions", expanded=False):
        left, right = st.columns(2)
        share = left.number_input(
            "Par level as % of capacity", 0, 100, 75, step=5, key="bulk_share"
        )
        if left.button("Set every par level", key="bulk_par"):
            _replace(state, edit.par_share(frame, share / 100))
        rows = sorted({planogram_editor.row_of(str(s)) for s in frame["slot"] if s})
        row = left.selectbox("Row", rows or ["–"], key="bulk_row")
        if left.button("Clear this row", key="bulk_clear", disabled=not rows):
            _replace(state, edit.clear_row(frame, row))
        same = [
            c
            for c in cabinets
            if c.cabinet_type == cabinet.cabinet_type and c.cabinet_id != cabinet.cabinet_id
        ]
        source = right.selectbox(
            f"Copy from a cabinet of type {cabinet.cabinet_type}",
            [c.cabinet_id for c in same],
            format_func=lambda i: _label(next(c for c in same if c.cabinet_id == i)),
            key="bulk_copy_from",
        )
        if right.button("Copy its planogram", key="bulk_copy", disabled=source is None):
            _, rows_from = planogram_editor.open_cabinet(db, who, int(source))
            _replace(state, edit.frame_of(rows_from))
        templates = planogram_templates.list_templates(db, who, cabinet_type=cabinet.cabinet_type)
        chosen = right.selectbox(
            "Template", [t.name for t in templates], key="bulk_template",
            help="Saved templates of this cabinet type",
        )  # fmt: skip
        if right.button("Apply template", key="bulk_apply", disabled=chosen is None):
            _replace(state, edit.frame_of(next(t for t in templates if t.name == chosen).slots))
        name = right.text_input("Save these slots as template", key="bulk_template_name")
        if right.button("Save template", key="bulk_save_template"):
            actions.perform(
                "save the template",
                lambda: planogram_templates.save_template(
                    db,
                    who,
                    name=name,
                    cabinet_type=cabinet.cabinet_type,
                    slots=edit.specs_of(frame),
                ),
                lambda t: f"Template **{md(t.name)}** saved ({len(t.slots)} slots).",
            )


def _editor(
    cabinet: CabinetChoice, state: dict[str, object], products: dict[str, str]
) -> pd.DataFrame:
    base = state["frame"]
    assert isinstance(base, pd.DataFrame)
    return st.data_editor(
        base,
        key=f"editor_grid_{cabinet.cabinet_id}_{state['rev']}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "slot": st.column_config.TextColumn("Slot", help="Row letter and column, like B3"),
            "selection": st.column_config.TextColumn("Selection", help="What the customer keys in"),
            "product_id": st.column_config.SelectboxColumn(
                "Product", options=list(products), help="Product code (names below)"
            ),
            "capacity": st.column_config.NumberColumn("Capacity", min_value=1, step=1),
            "par_level": st.column_config.NumberColumn("Par level", min_value=0, step=1),
            "price": st.column_config.NumberColumn(
                "Price", min_value=0.0, step=0.05, format="%.2f"
            ),
        },
    )


def _quick(
    cabinet: CabinetChoice, state: dict[str, object], frame: pd.DataFrame, products: dict[str, str]
) -> None:
    """One slot at a time (a phone, or no spreadsheet habit): product, capacity, par, price."""
    slots = [f"{chr(65 + r)}{c + 1}" for r in range(cabinet.rows) for c in range(cabinet.columns)]
    with st.form("editor_quick"):
        st.markdown("**Put a product in a slot**")
        cols = st.columns(5)
        slot = cols[0].selectbox("Slot", slots, key="quick_slot")
        product = cols[1].selectbox(
            "Product",
            list(products),
            format_func=lambda p: f"{p} · {products[p]}",
            key="quick_product",
        )
        capacity = cols[2].number_input("Capacity", 1, 999, 10, key="quick_capacity")
        par = cols[3].number_input("Par level", 0, 999, 8, key="quick_par")
        price = cols[4].number_input("Price", 0.0, 10_000.0, 1.0, step=0.05, key="quick_price")
        if st.form_submit_button("Put in slot"):
            current = frame[frame["slot"] == slot]
            selection = (
                current["selection"].iloc[0] if len(current) else _free_selection(frame, slot)
            )
            values = {"slot": slot, "selection": selection, "product_id": product,
                      "capacity": capacity, "par_level": par, "price": price}  # fmt: skip
            _replace(state, edit.put(frame, values))


def _free_selection(frame: pd.DataFrame, slot: str) -> str:
    """A selection code for a new slot: its position's digits (``B3`` → ``23``) when free."""
    taken = {str(s) for s in frame["selection"]}
    row, column = ord(slot[0]) - 64, slot[1:]
    for candidate in (f"{row}{column}", *(str(n) for n in range(100, 1000))):
        if candidate not in taken:
            return candidate
    return slot


def _forecast(serial: str | None) -> pd.DataFrame | None:
    try:
        return data.query("editor_forecast", machine_serial=serial or "")
    except data.WarehouseMissingError:
        return None


def _review(cabinet: CabinetChoice, checked: planogram_editor.EditorCheck) -> None:
    for error in checked.errors:
        st.error(md(error))
    if not checked.changes:
        st.caption(f"No change against version {checked.in_force_version or '(none)'} yet.")
        return
    st.subheader(f"Changes against version {checked.in_force_version or '(none)'}")
    forecast = _forecast(cabinet.dex_serial)
    if forecast is None:
        st.caption("No demand forecast yet (nothing materialized): units and revenue unknown.")
        forecast = pd.DataFrame(
            columns=["kind", "cabinet_index", "slot", "product_id", "weekly_units"]
        )
    table = edit.what_if(checked.changes, forecast, cabinet.cabinet_index)
    st.dataframe(
        table.rename(columns=edit.WHAT_IF_COLUMNS),
        hide_index=True,
        width="stretch",
        column_config={
            label: st.column_config.NumberColumn(label, format="%.1f")
            for label in list(edit.WHAT_IF_COLUMNS.values())[4:]
        },
    )
    st.caption(
        "Expected units: the demand forecast of the next 7 days (a product new to the slot: its "
        "rate elsewhere in the fleet at this machine's traffic). Empty: no forecast for it yet."
    )


def _save(cabinet: CabinetChoice, state: dict[str, object], frame: pd.DataFrame, ok: bool) -> None:
    today = utcnow().date()
    with st.form("editor_save"):
        effective = st.date_input("Effective date", today + timedelta(days=1), min_value=today)
        changeover = st.checkbox(
            "Create a changeover order for that date",
            value=True,
            disabled=cabinet.route_code is None,
            help="For the machine's route driver: load each changed slot to its par level",
        )
        note = st.text_input("Note")
        submitted = st.form_submit_button("Save new version", disabled=not ok, type="primary")
    if not submitted:
        return

    def done(saved: planogram_editor.EditorSaved) -> str:
        st.session_state[STATE].pop(cabinet.cabinet_id, None)  # reopen from the new version
        order = (
            "" if saved.order is None else f"; changeover order #{saved.order.id} for {effective}"
        )
        return (
            f"Saved version {saved.version.version} of {md(_label(cabinet))}, in force from "
            f"{effective} ({len(saved.changes)} slot(s) changed){order}. The warehouse shows it "
            "after the next pipeline run."
        )

    actions.perform(
        "save the planogram",
        lambda: planogram_editor.save_edit(
            data.ops_db(),
            session.actor(),
            cabinet.cabinet_id,
            edit.specs_of(frame),
            opened_version=state["opened"],
            effective_date=effective,
            changeover=bool(changeover and cabinet.route_code),
            note=note,
        ),
        done,
    )


def main() -> None:
    """Render the page."""
    who = session.require_role(MANAGERS)
    st.title("Planogram editor")
    actions.show_outcome()
    if not session.allowed(Action.EDIT_PLANOGRAM, who):
        st.info(f"Your role ({md(who.role)}) may not edit planograms.")
        return
    db = data.ops_db()
    cabinets = planogram_editor.list_cabinets(db, who)
    if not cabinets:
        st.info("No cabinets yet: add a machine with its cabinets first.")
        return
    cabinet = _pick(cabinets)
    state = _state(cabinet)
    opened = state["opened"]
    st.caption(
        f"Editing from version {opened or '(none: a first planogram)'}; grid "
        f"{cabinet.rows} rows × {cabinet.columns} columns; "
        f"route {md(cabinet.route_code or 'none')}."
    )
    products = {
        p.code: f"{p.name} ({p.size}, {p.price_cents / 100:.2f})"
        for p in masterdata.list_products(db, who)
    }
    frame = _editor(cabinet, state, products)
    _quick(cabinet, state, frame, products)
    _bulk(cabinet, cabinets, state, frame)
    st.dataframe(edit.grid(frame, cabinet.rows, cabinet.columns), width="stretch")
    with st.expander("Products"):
        st.dataframe(
            pd.DataFrame(list(products.items()), columns=["Product", "Name (size, price)"]),
            hide_index=True,
        )
    checked = planogram_editor.check_edit(db, who, cabinet.cabinet_id, edit.specs_of(frame))
    _review(cabinet, checked)
    if st.button("Discard my changes", key="editor_discard"):
        st.session_state[STATE].pop(cabinet.cabinet_id, None)
        st.rerun()
    _save(cabinet, state, frame, ok=not checked.errors and bool(checked.changes))


main()
