"""Products: the catalogue with search and CSV; admins and managers add, edit (name, category,
price, cost, size, barcode, image URL), retire and restore. A price change takes the day it
takes effect and shows, before saving, which machines it reaches. Two people editing the same
product: the second save is refused ("changed since you opened it") and nothing is written."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboards import actions, data, freshness, session, tables
from dashboards.escape import md
from dashboards.pages import MANAGERS, OFFICE
from operations.schema import PRODUCT_SIZES, Product
from operations.services import fleet, masterdata, products
from transforms.spreadsheet import frame_csv

PRICE_HORIZON_DAYS = 730  # a price is scheduled at most two years ahead
OPENED_KEY = "product_opened_versions"  # product code → the version its form was opened at


def _frame(rows: list[Product]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "product_id": p.code,
                "name": p.name,
                "category": p.category,
                "price_cents": p.price_cents,
                "cost_cents": p.cost_cents,
                "size": p.size,
                "barcode": p.barcode or "",
                "image_url": p.image_url or "",
                "retired": p.deleted_at is not None,
            }
            for p in rows
        ],
        columns=[
            "product_id",
            "name",
            "category",
            "price_cents",
            "cost_cents",
            "size",
            "barcode",
            "image_url",
            "retired",
        ],
    )


def _catalogue(everything: list[Product]) -> None:
    cols = st.columns([3, 1])
    search = cols[0].text_input("Search (code, name, category, barcode)", key="products_search")
    with_retired = cols[1].checkbox("Show retired", key="products_retired")
    frame = _frame(everything)
    if not with_retired:
        frame = frame[~frame["retired"]]
    if search.strip():
        needle = search.strip().lower()
        text = frame[["product_id", "name", "category", "barcode"]].agg(" ".join, axis=1)
        frame = frame[text.str.lower().str.contains(needle, regex=False)]
    st.caption(f"{len(frame)} products")
    tables.show(frame, key="products_table")
    st.download_button(
        "Products (CSV)",
        frame_csv(tables.readable(frame).rename(columns=tables.label)),
        file_name="products.csv",
        mime="text/csv",
        key="products_csv",
    )
    pending = products.pending_price_changes(data.ops_db(), session.actor())
    if pending:
        st.markdown("**Price changes waiting for their day**")
        tables.show(
            pd.DataFrame(
                pending,
                columns=["product_id", "effective_on", "old_price_cents", "new_price_cents"],
            ),
            key="pending_prices",
        )


def _add() -> None:
    with st.form("product_add", clear_on_submit=False):
        cols = st.columns(3)
        code = cols[0].text_input("Product code", key="add_code", max_chars=64)
        name = cols[1].text_input("Name", key="add_name", max_chars=200)
        category = cols[2].text_input("Category", key="add_category", max_chars=100)
        cols = st.columns(3)
        price = cols[0].text_input("Price (e.g. 1.50)", key="add_price")
        cost = cols[1].text_input("Cost (e.g. 0.60)", key="add_cost")
        size = cols[2].selectbox("Size", PRODUCT_SIZES, key="add_size")
        cols = st.columns(2)
        barcode = cols[0].text_input("Barcode (EAN/UPC, optional)", key="add_barcode")
        image = cols[1].text_input("Image URL (https://…, optional)", key="add_image")
        submitted = st.form_submit_button("Add product")
    if submitted:
        actions.perform(
            "add the product",
            lambda: products.add_product(
                data.ops_db(),
                session.actor(),
                code=code,
                name=name,
                category=category,
                price=price,
                cost=cost,
                size=size,
                barcode=barcode,
                image_url=image,
            ),
            lambda p: f"Added product {md(p.code)} ({md(p.name)}).",
        )


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _reach(code: str) -> None:
    reach = products.price_reach(data.ops_db(), session.actor(), code)
    if not reach:
        st.caption("No machine holds this product in its planogram in force.")
        return
    st.caption(
        f"A price change reaches {len({r.asset_number for r in reach})} machine(s) holding "
        "this product; a slot priced apart keeps its own price until its planogram changes."
    )
    frame = pd.DataFrame(
        [
            {
                "asset_number": r.asset_number,
                "location": r.location,
                "route": r.route,
                "cabinet": r.cabinet_index,
                "slots": ", ".join(r.slots),
                "slot_prices": ", ".join(_money(c) for c in r.slot_price_cents),
            }
            for r in reach
        ]
    )
    tables.show(frame, key="price_reach")


def _edit(live: list[Product]) -> None:
    if not live:
        return
    by_code = {p.code: p for p in live}
    code = st.selectbox(
        "Product to edit",
        list(by_code),
        format_func=lambda c: f"{c} · {by_code[c].name}",
        key="edit_code",
    )
    product = by_code[code]
    opened: dict[str, int] = st.session_state.setdefault(OPENED_KEY, {})
    seen = opened.setdefault(code, product.row_version)
    if seen != product.row_version:
        st.warning(
            f"{md(code)} changed since you opened it (by someone else): reload it before "
            "editing, or your save is refused."
        )
        if st.button("Reload the product", key="edit_reload"):
            opened.pop(code, None)
            for key in [k for k in st.session_state if str(k).startswith("edit_f_")]:
                del st.session_state[key]
            st.rerun()
    with st.form("product_edit"):
        cols = st.columns(3)
        name = cols[0].text_input("Name", product.name, key=f"edit_f_name_{code}")
        category = cols[1].text_input("Category", product.category, key=f"edit_f_cat_{code}")
        size = cols[2].selectbox(
            "Size", PRODUCT_SIZES, PRODUCT_SIZES.index(product.size), key=f"edit_f_size_{code}"
        )
        cols = st.columns(3)
        price = cols[0].text_input("Price", _money(product.price_cents), key=f"edit_f_price_{code}")
        effective = cols[1].date_input(
            "New price from (day)",
            date.today(),
            min_value=date.today(),
            max_value=date.today() + timedelta(days=PRICE_HORIZON_DAYS),
            key=f"edit_f_from_{code}",
        )
        cost = cols[2].text_input("Cost", _money(product.cost_cents), key=f"edit_f_cost_{code}")
        cols = st.columns(2)
        barcode = cols[0].text_input("Barcode", product.barcode or "", key=f"edit_f_bar_{code}")
        image = cols[1].text_input("Image URL", product.image_url or "", key=f"edit_f_img_{code}")
        submitted = st.form_submit_button("Save product")
    _reach(code)
    if not submitted:
        return
    opened.pop(code, None)  # a saved product opens again at its new version

    def outcome(saved: Product) -> str:
        note = ""
        if saved.price_cents != product.price_cents or price.strip() != _money(product.price_cents):
            note = f" New price {md(price)} from {effective:%Y-%m-%d}."
        return f"Saved product {md(code)}.{note}"

    actions.perform(
        "save the product",
        lambda: products.edit_product(
            data.ops_db(),
            session.actor(),
            code,
            seen_version=seen,
            name=name,
            category=category,
            cost=cost,
            size=size,
            barcode=barcode,
            image_url=image,
            price=price,
            effective_on=effective,
            today=date.today(),
        ),
        outcome,
    )
    opened[code] = seen  # refused: the form still stands for the version it was opened at


def _retire_restore(live: list[Product]) -> None:
    who, db = session.actor(), data.ops_db()
    cols = st.columns(2)
    with cols[0].form("product_retire"):
        code = st.selectbox("Product to retire", [p.code for p in live], key="retire_product")
        submitted = st.form_submit_button("Retire product")
    if submitted and code:
        actions.perform(
            "retire the product",
            lambda: masterdata.delete(data.ops_db(), session.actor(), "product", code),
            lambda _: f"Retired {md(code)}; planograms and orders that name it are kept.",
        )
    with cols[1].form("product_restore"):
        back = st.selectbox(
            "Retired product", fleet.list_retired(db, who, "product"), key="restore_product"
        )
        restore = st.form_submit_button("Restore product")
    if restore and back:
        actions.perform(
            "restore the product",
            lambda: fleet.restore(data.ops_db(), session.actor(), "product", back),
            lambda _: f"Restored {md(back)}.",
        )


def main() -> None:
    """Render the page."""
    who = session.require_role(OFFICE)
    st.title("Products")
    actions.show_outcome()
    freshness.lag_note()
    everything = products.list_all(data.ops_db(), who)
    _catalogue(everything)
    if who.role not in MANAGERS:
        st.caption("Products are edited by managers and admins.")
        return
    live = [p for p in everything if p.deleted_at is None]
    tabs = st.tabs(["Add a product", "Edit", "Retire or restore"])
    with tabs[0]:
        _add()
    with tabs[1]:
        _edit(live)
    with tabs[2]:
        _retire_restore(live)


main()
