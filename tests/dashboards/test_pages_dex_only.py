"""Issue 19, "work from DEX alone": the Machine, Recommendations and Visit plan pages say when a
machine's planogram is observed from DEX (no master data), on ``tests/dex_only_home.py``'s home.

Which machines are known only from DEX is the test's own deletion (``DEX_ONLY``, by the
simulator's serials), not the pages' or the warehouse's say."""

from __future__ import annotations

import csv

import pytest

from tests.dashboards.conftest import PlatformHome, assert_clean, open_app
from tests.dex_only_home import DEX_ONLY
from tests.orchestration.pipeline import query

OBSERVED = "Planogram observed"


@pytest.fixture
def home(dex_only_home: PlatformHome, monkeypatch: pytest.MonkeyPatch) -> PlatformHome:
    monkeypatch.setenv("CVD_HOME", str(dex_only_home.home))
    monkeypatch.setenv("CVD_DATABASE_URL", dex_only_home.database_url)
    monkeypatch.setenv("DAGSTER_HOME", str(dex_only_home.home / "dagster"))
    return dex_only_home


def _serials(home: PlatformHome) -> tuple[list[str], list[str]]:
    """(serials known only from DEX, serials with master data), from the simulator's CSV."""
    with (home.home / "simulator-master-data" / "devices.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return (
        sorted(r["dex_serial"] for r in rows if r["asset_number"] in DEX_ONLY),
        sorted(r["dex_serial"] for r in rows if r["asset_number"] not in DEX_ONLY),
    )


def _infos(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.value for i in app.info if OBSERVED in i.value]


def test_machine_page_labels_the_observed_planogram(home: PlatformHome) -> None:
    dex_only, master = _serials(home)
    app = open_app(home, "viewer", "app_pages/machine.py")
    app.selectbox(key="machine").set_value(dex_only[0]).run()
    assert_clean(app)
    assert len(_infos(app)) == 1
    selections = {str(s) for frame in app.dataframe for s in frame.value.get("selection", [])}
    assert selections >= {
        r[0]
        for r in query(
            home.home,
            "SELECT DISTINCT selection FROM dex_selection_counters "
            f"WHERE machine_serial = '{dex_only[0]}'",
        )
    }
    app.selectbox(key="machine").set_value(master[0]).run()
    assert_clean(app)
    assert not _infos(app)


def test_recommendations_page_labels_observed_cabinets(home: PlatformHome) -> None:
    dex_only, _ = _serials(home)
    app = open_app(home, "manager", "app_pages/recommendations.py")
    assert_clean(app)
    options = app.selectbox(key="rec_cabinet").options
    observed = [o for o in options if "observed planogram" in o]
    # every machine known only from DEX has a cabinet with changes to choose, by its serial
    assert {serial for serial in dex_only if any(o.startswith(serial) for o in observed)} == set(
        dex_only
    )
    shown = [o for o in options if "observed planogram" not in o]
    assert shown and not any(o.startswith(tuple(dex_only)) for o in shown)
    cabinet = query(
        home.home,
        "SELECT min(cabinet) FROM planogram_recommendations "
        f"WHERE machine_serial = '{dex_only[0]}' AND change <> 'keep'",
    )[0][0]
    app.selectbox(key="rec_cabinet").set_value((dex_only[0], cabinet)).run()
    assert_clean(app)
    assert len(_infos(app)) == 1
    assert not [b for b in app.button if b.key == "rec_accept"]  # nothing to decide without master


def test_visit_plan_lists_observed_machines_without_a_route(home: PlatformHome) -> None:
    dex_only, _ = _serials(home)
    planned = {
        r[0]
        for r in query(home.home, "SELECT machine_serial FROM service_plan WHERE route_id IS NULL")
    }
    assert planned and planned <= set(dex_only)
    app = open_app(home, "manager", "app_pages/visit_plan.py")
    app.selectbox(key="plan_route").set_value("(no route)").run()
    assert_clean(app)
    plan = app.dataframe[0].value
    assert set(plan["DEX serial"]) == planned  # the tables' readable labels (dashboards/tables)
    assert set(plan["Planogram"]) == {"observed"}
    assert [i.value for i in app.info if "known only from DEX" in i.value]
