"""The saved reports (the assistant without the AI): every one runs for the roles offered it,
questions find the right report by their words, and parameters come from the question."""

from __future__ import annotations

import pytest

from models.ask import policy, reports
from models.ask.assistant import run_report
from tests.models.ask.support import direct, warehouse
from tests.platform_home import PlatformHome
from transforms.catalog import CATALOG

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

MANAGER = policy.views_for("manager", CATALOG)
VIEWER = policy.views_for("viewer", CATALOG)


def test_at_least_fifteen_reports_and_viewers_get_no_raw_ones() -> None:
    assert len(reports.library()) >= 15
    offered = {r.report_id for r in reports.offered(VIEWER)}
    assert "quarantine_recent" not in offered  # it reads a raw table
    assert {r.report_id for r in reports.offered(MANAGER)} == {
        r.report_id for r in reports.library()
    }


@pytest.mark.parametrize("item", reports.library(), ids=lambda r: r.report_id)
def test_every_report_runs_on_the_demo_warehouse(platform_home: PlatformHome, item: object) -> None:
    params = dict(item.params)  # type: ignore[attr-defined]
    if "product" in params:
        params["product"] = "Cola"
    outcome = run_report(reports.Match(item, 0, params), warehouse(platform_home.home))  # type: ignore[arg-type]
    assert outcome.status == "answered", outcome.message


@pytest.mark.parametrize(
    ("question", "report_id"),
    [
        (
            "Which machines on route 3 lost the most to stock-outs last week?",
            "stockout_loss_by_machine",
        ),
        ("what are our best selling products", "top_products"),
        ("Which machines earn the most?", "top_machines"),
        ("show me the worst performing machines", "bottom_machines"),
        ("how much did each route sell", "revenue_by_route"),
        ("which sites make the most revenue", "revenue_by_location"),
        ("revenue trend day by day", "daily_revenue"),
        ("which slots are empty right now", "sold_out_now"),
        ("which machines need a visit?", "needs_visit"),
        ("which machines are offline or broken", "machine_status"),
        ("what files were rejected and why", "quarantine_recent"),
        ("how do categories sell week by week", "category_weekly"),
        ("how did the new energy drink do where we trialled it?", "product_weekly"),
        ("what share of payments is cash", "cash_share"),
        ("which planogram swaps are recommended", "top_recommendations"),
        ("what is the demand forecast for next week", "forecast_next_week"),
        ("which products are slow movers", "slow_movers"),
        ("what is on the plan for the drivers today", "visit_plan"),
        ("where does the planogram disagree with the dex", "planogram_mismatch"),
    ],
)
def test_questions_find_their_report(question: str, report_id: str) -> None:
    found = reports.match(question, MANAGER)
    assert found and found[0].report.report_id == report_id, [m.report.report_id for m in found]


def test_parameters_come_from_the_question() -> None:
    (best, *_) = reports.match("top 5 products in the last 14 days on route R002", MANAGER)
    assert best.params == {"days": 14, "limit": 5, "route": "R002"}
    (weekly, *_) = reports.match('how did "Acme Cola" do week by week', MANAGER)
    assert weekly.params["product"] == "Acme Cola"
    (month, *_) = reports.match("best selling products last month", MANAGER)
    assert month.params["days"] == 30


def test_a_bad_parameter_is_refused_with_its_name() -> None:
    item = reports.report("top_products")
    with pytest.raises(ValueError, match="days must lie between"):
        reports.with_params(item, {"days": 0})
    with pytest.raises(ValueError, match="no parameter 'colour'"):
        reports.with_params(item, {"colour": "red"})
    with pytest.raises(KeyError, match="no saved report"):
        reports.report("nope")


def test_a_route_by_number_is_resolved_and_filters(platform_home: PlatformHome) -> None:
    routes = direct(platform_home.home, "SELECT route_id FROM routes ORDER BY route_id")
    route_id = routes[-1][0]
    number = str(int("".join(ch for ch in route_id if ch.isdigit())))
    match = reports.with_params(reports.report("revenue_by_route"), {"days": 3650})
    by_route = run_report(match, warehouse(platform_home.home))
    expected = direct(
        platform_home.home,
        "SELECT d.route_id, sum(s.revenue) FROM fct_daily_sales s JOIN devices d"
        " ON d.dex_serial = s.machine_serial"
        " WHERE s.sales_date <= (SELECT as_of::DATE FROM fleet_clock)"
        " GROUP BY ALL ORDER BY 2 DESC",
    )
    got = [(r.route_id, float(r.revenue)) for r in by_route.result.frame.itertuples()]
    assert got == [(r, round(float(v), 2)) for r, v in expected]
    top = reports.with_params(reports.report("needs_visit"), {"route": number})
    outcome = run_report(top, warehouse(platform_home.home))
    assert outcome.status == "answered"
    assert set(outcome.result.frame["route_id"]) <= {route_id}
    expected_count = direct(
        platform_home.home,
        f"SELECT count(*) FROM service_scores WHERE needs_visit AND route_id = '{route_id}'",
    )[0][0]
    assert len(outcome.result.frame) == expected_count
    unknown = run_report(
        reports.with_params(reports.report("needs_visit"), {"route": "99"}),
        warehouse(platform_home.home),
    )
    assert unknown.status == "query_error" and "No route is called '99'" in unknown.message
