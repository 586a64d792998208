"""Issue 19, "Did it work?": an accepted recommendation followed up in ``recommendation_outcomes``.

On the demo home the simulated fleet's drivers swap products (the simulator's truth records each
swap). One such swap is taken as the change a recommendation asked for: the recommendation is
logged with a hand-set promise, accepted through the operations service, the master data synced
and the catalog rebuilt; the view's realised weekly units and revenue must be those the
simulator's truth sold in that selection over the same read intervals, computed here from
``truth/interval_sales.parquet``; the pages show realised against promised and the calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from models.output_schemas import SCHEMAS, dataset_dir
from operations.services import masterdata
from operations.services.recommendations import RecommendationSpec, accept_recommendations
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean
from transforms.catalog import build_catalog
from transforms.lake import publish

RUN = "run-outcome-1"
PROMISED_UNITS = 5.0
PROMISED_REVENUE = 11.0
GAIN, LOW, HIGH = 3.0, -40.0, 40.0  # wide on purpose: the realised change lies inside


@dataclass(frozen=True)
class Expected:
    """What the simulator's truth sold around the swap."""

    rec: dict[str, object]
    weekly_units: float
    weekly_revenue: float
    before_weekly_revenue: float
    weeks: float


def _truth(con: duckdb.DuckDBPyConnection, home: str, sql: str, *params: object) -> list:  # type: ignore[type-arg]  # rows of mixed types
    return con.execute(sql.replace("{truth}", home), list(params)).fetchall()


def _swap_and_truth(home: ActionsHome) -> Expected:
    truth = str(home.home / "truth")
    con = duckdb.connect()
    # a driver's swap with weeks of data after it, in a selection swapped only once
    swaps = _truth(
        con,
        truth,
        "SELECT serial, selection, old_value, new_value, machine_time FROM "
        "'{truth}/events.parquet' WHERE kind = 'product_swap' "
        "QUALIFY count(*) OVER (PARTITION BY serial, selection) = 1 ORDER BY machine_time",
    )
    assert swaps, "the demo home's drivers should have swapped products"
    serial, selection, old, new, at = swaps[0]
    intervals = _truth(
        con,
        truth,
        "SELECT product_id, start_machine_time, end_machine_time, units_sold, revenue_cents "
        "FROM '{truth}/interval_sales.parquet' WHERE serial = ? AND selection = ? "
        "ORDER BY end_machine_time",
        serial,
        selection,
    )
    con.close()
    # the change counts from the first read reporting the new product on or after the visit day
    visit_day = at.date()
    first = next(
        r
        for r in intervals
        if r[0] == new and r[2] >= datetime.combine(visit_day, datetime.min.time())
    )
    change_start, changed_at = first[1], first[2]
    after = [r for r in intervals if r[0] == new and r[1] >= changed_at]
    days = (max(r[2] for r in after) - changed_at).total_seconds() / 86400
    span = timedelta(seconds=int(days * 86400))
    before = [r for r in intervals if r[2] <= change_start and r[1] >= change_start - span]
    before_days = (max(r[2] for r in before) - min(r[1] for r in before)).total_seconds() / 86400
    slot = home.sql(
        "SELECT c.dex_serial, s.asset_number, s.cabinet_index, s.slot, s.selection, s.product_id,"
        " s.capacity, s.par_level, c.cabinet_id FROM planogram_slots s JOIN cabinets c"
        " USING (cabinet_id) WHERE c.dex_serial = ? AND s.selection = ?",
        serial,
        selection,
    )[0]
    assert slot[5] == old  # the master data still has the product the driver took out
    rec = {
        **dict.fromkeys(SCHEMAS["recommendation_log"].names),
        "recommendation_id": f"fc-out:{serial}:{slot[2]}:{slot[3]}",
        "run_id": RUN,
        "machine_serial": serial,
        "asset_number": slot[1],
        "cabinet": slot[2],
        "slot": slot[3],
        "selection": selection,
        "current_product_id": old,
        "recommended_product_id": new,
        "change": "swap",
        "source": "optimiser",
        "model_version": "fc-out",
        "objective": "revenue",
        "reason": "hand-made: what the driver did",
        "current_capacity": slot[6],
        "capacity": slot[6],
        "current_par_level": slot[7],
        "par_level": slot[7],
        "current_weekly_units": 4.0,
        "expected_weekly_units": PROMISED_UNITS,
        "expected_weekly_revenue": PROMISED_REVENUE,
        "expected_change_revenue": GAIN,
        "created_at": datetime.combine(visit_day, datetime.min.time()) - timedelta(days=1),
        "swap_cost": 2.5,
        "weekly_gain": GAIN,
        "weekly_gain_low": LOW,
        "weekly_gain_high": HIGH,
        "trial": False,
        "visit_date": visit_day,
        "visit_source": "visit plan",
        "cabinet_id": slot[8],
    }
    return Expected(
        rec=rec,
        weekly_units=sum(r[3] for r in after) / days * 7,
        weekly_revenue=sum(r[4] for r in after) / 100 / days * 7,
        before_weekly_revenue=sum(r[4] for r in before) / 100 / before_days * 7,
        weeks=days / 7,
    )


@pytest.fixture(scope="module", name="accepted")
def accepted_fixture(actions_home: ActionsHome) -> Expected:
    home = actions_home
    expected = _swap_and_truth(home)
    rec = dict(expected.rec)
    cabinet_id = rec.pop("cabinet_id")
    lake = home.home / "lake"
    # an accepted record (the planogram catching up with the machine) changes nothing in the
    # machine, so it has no outcome; it rides in the same run as the swap
    record = rec | {"recommendation_id": f"{rec['recommendation_id']}:record", "change": "record"}
    log = pa.Table.from_pylist([rec, record], schema=SCHEMAS["recommendation_log"])
    publish(dataset_dir(lake, "recommendation_log") / f"run={RUN}", log)
    accept_recommendations(
        home.engine, home.actors["manager"], cabinet_id, [RecommendationSpec.from_row(rec)]
    )
    # what the master_data asset does at the next run: sync the decisions into the lake
    decisions = masterdata.export_tables(home.engine)["recommendation_decisions"]
    (swap,) = [d for d in decisions if d["recommendation_id"] == rec["recommendation_id"]]
    decisions.append(
        swap | {k: record[k] for k in ("recommendation_id", "change")} | {"service_order_id": None}
    )
    publish(lake / "master" / "recommendation_decisions", pa.Table.from_pylist(decisions))
    build_catalog(lake, home.warehouse)
    return expected


def test_outcome_is_what_the_fleet_sold_after_the_change(
    actions_home: ActionsHome, accepted: Expected
) -> None:
    rows = actions_home.sql(
        "SELECT recommended_product_id, promised_weekly_units, realised_weekly_units,"
        " promised_weekly_revenue, realised_weekly_revenue, before_weekly_revenue,"
        " realised_change_revenue, weeks_observed, within_interval"
        " FROM recommendation_outcomes WHERE run_id = ?",
        RUN,
    )
    assert len(rows) == 1
    product, p_units, units, p_rev, revenue, before, change, weeks, within = rows[0]
    assert product == accepted.rec["recommended_product_id"]
    assert (p_units, p_rev) == (PROMISED_UNITS, PROMISED_REVENUE)
    assert units == pytest.approx(accepted.weekly_units, rel=1e-9)
    assert revenue == pytest.approx(accepted.weekly_revenue, rel=1e-9)
    assert before == pytest.approx(accepted.before_weekly_revenue, rel=1e-9)
    assert change == pytest.approx(accepted.weekly_revenue - accepted.before_weekly_revenue)
    assert weeks == pytest.approx(accepted.weeks, rel=1e-9)
    assert within is (LOW <= accepted.weekly_revenue - accepted.before_weekly_revenue <= HIGH)


def test_rejected_and_unlogged_decisions_have_no_outcome(
    actions_home: ActionsHome, accepted: Expected
) -> None:
    # every accepted decision of this home without a logged promise stays out of the view
    ids = {r[0] for r in actions_home.sql("SELECT recommendation_id FROM recommendation_outcomes")}
    assert ids == {accepted.rec["recommendation_id"]}


def test_pages_show_realised_against_promised_and_calibration(
    actions_home: ActionsHome, accepted: Expected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CVD_OUTCOME_WEEKS", "1")  # the swap has more than a week of data after it
    app = open_as(actions_home, "manager", "app_pages/recommendations.py")
    assert_clean(app)
    tables = [t.value for t in app.dataframe if "realised units/week" in t.value.columns]
    assert len(tables) == 1
    row = tables[0].iloc[0]
    assert row["promised units/week"] == PROMISED_UNITS
    assert row["realised units/week"] == pytest.approx(accepted.weekly_units, rel=1e-9)
    models = open_as(actions_home, "manager", "app_pages/models.py")
    assert_clean(models)
    metrics = {m.label: m.value for m in models.metric}
    assert metrics["Accepted changes measured"] == "1"
    assert metrics["Realised change inside the 80% interval"] == "100%"
    # with a longer wait than the data has, nothing is compared yet
    monkeypatch.setenv("CVD_OUTCOME_WEEKS", str(int(accepted.weeks) + 2))
    models = open_as(actions_home, "manager", "app_pages/models.py")
    assert_clean(models)
    assert {m.label: m.value for m in models.metric}.get("Accepted changes measured") in (
        None,
        "0",
    )
