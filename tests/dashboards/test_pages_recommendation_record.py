"""Issue 19: on the real demo home's recommendations (the pipeline's own run, not hand-made
rows), the selections where DEX reports another product than the planogram and the proposal
keeps it are shown apart as "Record what the machine holds"; accepting one records the product
the machine's DEX reports in a new planogram version, audited, without a changeover order.

Which selections disagree, and what the machine holds there, come from ``planogram_vs_dex``
(checked against the simulator's record of the drivers' swaps in
``tests/models/test_planogram_dex_demand.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from operations import db as operations_db
from operations.schema import AuditEntry, RecommendationDecision, ServiceOrder
from tests.dashboards.actions_home import ActionsHome, open_as
from tests.dashboards.conftest import PlatformHome, assert_clean, texts
from tests.operations.ops_world import active_slots
from transforms.catalog import build_catalog

PAGE = "app_pages/recommendations.py"
TITLE = "Record what the machine holds"

# Per selection DEX disagrees on: the machine's cabinet, the slot, what DEX and the planogram
# name, and what the newest run recommends there.
DIFFERS = """
SELECT r.asset_number, r.cabinet, r.slot, r.recommendation_id, v.dex_product_id,
       v.planogram_product_id, r.recommended_product_id, c.cabinet_id
FROM planogram_vs_dex AS v
JOIN planogram_recommendations AS r USING (machine_serial, selection)
JOIN cabinets AS c ON c.asset_number = r.asset_number AND c.cabinet_index = r.cabinet
WHERE v.status = 'differs'
ORDER BY 1, 2, 3
"""


@pytest.fixture(scope="module")
def record_home(
    platform_home: PlatformHome, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActionsHome]:
    """A writable copy of the demo home with the pipeline's own recommendations."""
    home = tmp_path_factory.mktemp("record") / "home"
    shutil.copytree(platform_home.home, home, ignore=shutil.ignore_patterns("dagster", "archive"))
    build_catalog(home / "lake", home / "warehouse.duckdb")  # the views name the lake's path
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    engine = operations_db.connect(url)
    yield ActionsHome(home, url, engine, {}, [])
    engine.dispose()


def test_a_record_is_shown_apart_and_accepted_without_an_order(
    record_home: ActionsHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = record_home
    # the page reads the copy (platform_env pointed this test at the shared home)
    monkeypatch.setenv("CVD_HOME", str(home.home))
    monkeypatch.setenv("CVD_DATABASE_URL", home.database_url)
    differs = home.sql(DIFFERS)
    kept = [r for r in differs if r[6] == r[4]]  # the proposal keeps what the machine holds
    assert kept, "the demo home should have driver swaps the optimiser keeps"
    asset, cabinet, slot, rec_id, dex_product, planogram_product, _, cabinet_id = kept[0]
    mine = {r[2] for r in kept if (r[0], r[1]) == (asset, cabinet)}
    app = open_as(home, "manager", PAGE)
    app.selectbox(key="rec_cabinet").set_value((asset, cabinet)).run()
    assert_clean(app)
    assert f"{TITLE} ({len(mine)})" in texts(app)
    assert set(app.multiselect(key="rec_record_slots").value) == mine
    # the other changes' form (if any) does not offer these slots
    others = [m for m in app.multiselect if m.key == "rec_slots"]
    assert all(not mine & set(m.value) for m in others)
    price = dict(home.sql("SELECT product_id, price_cents FROM products"))
    with home.engine.connect() as connection:
        orders_before = connection.scalar(select(func.count()).select_from(ServiceOrder))
    before = active_slots(home.engine, cabinet_id)
    assert before[slot][0] == planogram_product

    app.multiselect(key="rec_record_slots").set_value([slot]).run()
    app.button(key="rec_record_accept").click().run()
    assert_clean(app)
    assert "Recorded 1 selection(s) as the machine holds them" in texts(app)
    after = active_slots(home.engine, cabinet_id)
    assert after[slot][0] == dex_product and after[slot][3] == price[dex_product]
    assert {s: v for s, v in after.items() if s != slot} == {
        s: v for s, v in before.items() if s != slot
    }
    with home.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ServiceOrder)) == orders_before
        decision = connection.execute(
            select(
                RecommendationDecision.change,
                RecommendationDecision.decision,
                RecommendationDecision.decided_by,
                RecommendationDecision.service_order_id,
            ).where(RecommendationDecision.recommendation_id == rec_id)
        ).one()
        audit = connection.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_key)
            .where(AuditEntry.actor == "max")
            .order_by(AuditEntry.id)
        ).all()
    assert tuple(decision) == ("record", "accepted", "max", None)
    assert [tuple(a)[:2] for a in audit[-2:]] == [
        ("new_version", "planogram"),
        ("accept", "recommendation"),
    ]
    assert audit[-1][2] == rec_id
