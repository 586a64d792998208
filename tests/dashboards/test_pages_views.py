"""Fleet overview, Machine, Sales, Stock-outs, Data quality: render per role, figures against
direct SQL over the warehouse, filters, driver scoping, the re-queue permission."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from ingest import requeue
from operations import db as operations_db
from operations.errors import PermissionDenied
from operations.permissions import Actor
from orchestration.settings import load_settings
from tests.dashboards.conftest import PlatformHome, assert_clean, open_app, texts
from tests.orchestration.pipeline import query

OFFICE_PAGES = {
    "app_pages/overview.py": "Fleet overview",
    "app_pages/machine.py": "Machine",
    "app_pages/sales.py": "Sales",
    "app_pages/stockouts.py": "Stock-outs",
    "app_pages/data_quality.py": "Data quality",
}


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_office_pages_render(platform_home: PlatformHome, role: str) -> None:
    app = open_app(platform_home, role)
    for page, title in OFFICE_PAGES.items():
        app.switch_page(page)
        app.run()
        assert_clean(app)
        assert app.title[0].value == title, page


def test_overview_figures_match_the_warehouse(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "viewer")
    assert_clean(app)
    shown = texts(app)
    day = date.fromisoformat(re.search(r"data's last day: (\d{4}-\d\d-\d\d)", shown)[1])
    units_week, units_today = query(
        platform_home.home,
        f"SELECT sum(units_sold) FILTER (WHERE sales_date > DATE '{day}' - 7),"
        f" sum(units_sold) FILTER (WHERE sales_date = DATE '{day}')"
        " FROM fct_daily_sales",
    )[0]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Units last 7 days"] == f"{units_week:,}"
    assert metrics["Units today"] == f"{units_today:,}"
    assert units_today > 0  # "today" is a full day of sales, not a trailing fragment
    (sold_out,) = query(platform_home.home, "SELECT count(*) FROM slot_status WHERE sold_out")[0]
    assert metrics["Sold-out slots"] == str(sold_out)
    assert metrics["Quarantined files"] == "1"  # the file the fixture damaged
    assert metrics["Machines"] == "8"
    assert len(app.get("plotly_chart")) == 1  # the map (no tiles needed)


def test_sales_product_filter_and_totals(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "manager", "app_pages/sales.py")
    assert_clean(app)
    start, end = app.date_input(key="period").value
    product_id, name = query(
        platform_home.home,
        f"SELECT s.product_id, p.name FROM fct_daily_sales s JOIN products p USING (product_id)"
        f" WHERE sales_date BETWEEN DATE '{start}' AND DATE '{end}'"
        " GROUP BY ALL ORDER BY sum(units_sold) DESC LIMIT 1",
    )[0]
    app.multiselect(key="products").select(product_id)
    app.run()
    assert_clean(app)
    table = app.dataframe[0].value
    assert list(table["Product"]) == [name]
    units, previous = query(
        platform_home.home,
        f"SELECT sum(units_sold) FILTER (WHERE sales_date >= DATE '{start}'),"
        f" sum(units_sold) FILTER (WHERE sales_date < DATE '{start}') FROM fct_daily_sales"
        f" WHERE product_id = '{product_id}' AND sales_date BETWEEN"
        f" DATE '{start - timedelta(days=(end - start).days + 1)}' AND DATE '{end}'",
    )[0]
    assert int(table["Units"].iloc[0]) == units
    assert int(table["Previous units"].iloc[0]) == previous
    app.selectbox(key="group_by").select("Route")
    app.run()
    routes = app.dataframe[0].value
    assert set(routes["Route"]) <= {"R001", "R002"}
    assert int(routes["Units"].sum()) == units


def test_driver_sees_only_their_routes_machines(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "driver", "app_pages/machine.py")
    assert_clean(app)
    options = set(app.selectbox(key="machine").options)
    own = platform_home.route_serials["R001"]
    assert len(options) == len(own) > 0
    labels = " ".join(options)
    assert all(serial in labels for serial in own)
    assert not any(serial in labels for serial in platform_home.route_serials["R002"])


def test_machine_page_draws_each_cabinet(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "viewer", "app_pages/machine.py")
    serial = app.selectbox(key="machine").value
    (cabinets,) = query(
        platform_home.home,
        f"SELECT count(*) FROM cabinets c JOIN devices d USING (asset_number)"
        f" WHERE d.dex_serial = '{serial}'",
    )[0]
    charts = app.get("plotly_chart")
    assert len(charts) == cabinets + 1  # one grid per cabinet and the sales trend
    app.radio(key="colour_by").set_value("Units sold (28 days)")
    app.run()
    assert_clean(app)
    (reads,) = query(
        platform_home.home, f"SELECT count(*) FROM dex_reads WHERE machine_serial = '{serial}'"
    )[0]
    assert f"{reads} reads;" in texts(app)


def test_stockouts_now_match_the_warehouse(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "viewer", "app_pages/stockouts.py")
    assert_clean(app)
    (ongoing,) = query(platform_home.home, "SELECT count(*) FROM fct_stockouts WHERE ongoing")[0]
    assert {m.label: m.value for m in app.metric}["Slots sold out now"] == str(ongoing)


def test_data_quality_requeue_only_for_managers(platform_home: PlatformHome) -> None:
    viewer = open_app(platform_home, "viewer", "app_pages/data_quality.py")
    assert_clean(viewer)
    frames = [d.value for d in viewer.dataframe]
    quarantined = next(f for f in frames if "Original name" in f.columns)
    assert quarantined["Original name"].tolist() == [platform_home.damaged_file]
    assert set(quarantined["Reason"]) == {"crc_mismatch"}
    runs = next(f for f in frames if "Status" in f.columns and "Job" in f.columns)
    assert len(runs) >= 2 and set(runs["Status"]) == {"SUCCESS"}  # the fixture's materialize
    checks = next(f for f in frames if "Check" in f.columns)
    assert "no_negative_sales" in set(checks["Check"])
    assert "Re-queue a quarantined file" not in texts(viewer)
    manager = open_app(platform_home, "manager", "app_pages/data_quality.py")
    assert "Re-queue a quarantined file" in texts(manager)
    # a forged call straight to the library as a viewer is refused, and changes nothing
    settings = load_settings(platform_home.home)
    sha = requeue.quarantined(settings).records[0]["sha256"]
    engine = operations_db.connect(platform_home.database_url)
    try:
        with pytest.raises(PermissionDenied):
            requeue.requeue(settings, engine, Actor("vera", "viewer"), sha, b"fixed")
        assert not list(settings.inbox.glob("requeued-*"))
    finally:
        engine.dispose()
