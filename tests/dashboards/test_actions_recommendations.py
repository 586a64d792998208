"""The recommendations page: accept (new planogram version + changeover order), reject with a
reason, roles. Expected values come from the hand-made recommendations (actions_home) and the
warehouse's product master, read directly."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from operations.errors import PermissionDenied
from operations.schema import (
    AuditEntry,
    PlanogramVersion,
    RecommendationDecision,
    ServiceOrder,
)
from operations.services import orders
from operations.services.recommendations import (
    RecommendationSpec,
    accept_recommendations,
    reject_recommendations,
)
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean, texts
from tests.operations.ops_world import active_slots, table_contents

PAGE = "app_pages/recommendations.py"


def _cabinet(home: ActionsHome, rec: dict[str, object]) -> int:
    return home.sql(
        "SELECT cabinet_id FROM cabinets WHERE asset_number = ? AND cabinet_index = ?",
        rec["asset_number"],
        rec["cabinet"],
    )[0][0]


def _open_changes(home: ActionsHome, asset: object) -> list[dict[str, object]]:
    return [r for r in home.recommendations if r["asset_number"] == asset and r["change"] != "keep"]


def test_viewer_reads_but_cannot_decide(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "viewer", PAGE)
    assert_clean(app)
    keys = {b.key for b in app.button}
    assert "rec_accept" not in keys and "rec_reject" not in keys
    assert "Your role (viewer) can read recommendations but not decide them." in texts(app)
    assert len(app.form) == 0


def test_manager_accepts_selected_recommendations(actions_home: ActionsHome) -> None:
    home = actions_home
    first = home.recommendations[0]
    changes = _open_changes(home, first["asset_number"])
    cabinet_id = _cabinet(home, first)
    before = active_slots(home.engine, cabinet_id)
    price = dict(home.sql("SELECT product_id, price_cents FROM products"))
    with home.engine.connect() as connection:
        versions_before = connection.execute(
            select(PlanogramVersion.id).where(PlanogramVersion.cabinet_id == cabinet_id)
        ).all()
        last_order = connection.scalar(select(ServiceOrder.id).order_by(ServiceOrder.id.desc()))

    app = open_as(home, "manager", PAGE)
    assert_clean(app)
    # the first machine's cabinet has the larger expected gain (2 × 6.75), so it comes first
    assert app.selectbox(key="rec_cabinet").value == (first["asset_number"], first["cabinet"])
    assert sorted(app.multiselect(key="rec_slots").value) == ["A1", "A2"]
    before_all = table_contents(home.engine)
    app.text_input(key="rec_note").input("<img src=x onerror=alert(1)>")
    app.button(key="rec_accept").click().run()
    assert "note='\\<img" in " ".join(e.value for e in app.error)  # escaped Markdown
    assert table_contents(home.engine) == before_all
    app.text_input(key="rec_note").input("Sommer-Sortiment ☀")
    app.button(key="rec_accept").click().run()
    assert_clean(app)
    assert "Accepted 2 recommendation(s)" in texts(app)

    expected = dict(before)
    for rec in changes:
        product = str(rec["recommended_product_id"])
        expected[str(rec["slot"])] = (product, rec["capacity"], rec["par_level"], price[product])
    assert active_slots(home.engine, cabinet_id) == expected
    with home.engine.connect() as connection:
        versions = connection.execute(
            select(PlanogramVersion.id).where(PlanogramVersion.cabinet_id == cabinet_id)
        ).all()
        new_orders = connection.scalars(
            select(ServiceOrder.id).where(ServiceOrder.id > (last_order or 0))
        ).all()
        assert len(versions) == len(versions_before) + 1
        assert len(new_orders) == 1
        decisions = connection.execute(
            select(RecommendationDecision.recommendation_id, RecommendationDecision.decision)
        ).all()
        audit = connection.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_key)
            .where(AuditEntry.actor == "max")
            .order_by(AuditEntry.id)
        ).all()
    order = orders.get_order(home.engine, home.actors["manager"], new_orders[0])
    items = {
        (item.slot, item.product.code, item.quantity_planned)
        for oc in order.cabinets
        for item in oc.items
    }
    assert items == {(r["slot"], r["recommended_product_id"], r["par_level"]) for r in changes}
    assert (order.status, order.created_by) == ("draft", "max")
    assert sorted(decisions) == sorted((r["recommendation_id"], "accepted") for r in changes)
    assert [a[:2] for a in audit[-4:]] == [
        ("new_version", "planogram"),
        ("create", "service_order"),
        ("accept", "recommendation"),
        ("accept", "recommendation"),
    ]
    # decided recommendations leave the open list and show up under past decisions
    shown = texts(app)
    assert "1 open of 3 proposed changes in the newest run; 2 already decided" in shown
    assert app.selectbox(key="rec_cabinet").value != (first["asset_number"], first["cabinet"])


BAD_REASONS = {
    "empty": ("", "must not be empty"),
    "blank": ("   ", "must not be empty"),
    "markup": ("<b>no</b>", "must not contain"),
    "sql": ("x'; DROP TABLE recommendation_decisions; --", "must not contain ;"),
    "huge": ("y" * 5000, "longer than 1000"),
}


def test_reject_needs_a_reason_and_records_it(actions_home: ActionsHome) -> None:
    home = actions_home
    second = next(
        r
        for r in home.recommendations
        if r["asset_number"] != home.recommendations[0]["asset_number"]
    )
    key = (second["asset_number"], second["cabinet"])
    app = open_as(home, "manager", PAGE)
    app.selectbox(key="rec_cabinet").set_value(key).run()
    for reason, problem in BAD_REASONS.values():
        before = table_contents(home.engine)
        app.text_area(key="rec_reason").input(reason)
        app.button(key="rec_reject").click().run()
        assert_clean(app)
        errors = " ".join(e.value for e in app.error)
        assert "Nothing was changed" in errors
        assert problem in errors or (reason == "y" * 5000 and "reason" in errors)
        assert table_contents(home.engine) == before
    app.text_area(key="rec_reason").input("Kunde möchte das nicht 🥤")
    app.button(key="rec_reject").click().run()
    assert "Rejected 1 recommendation(s)" in texts(app)
    with home.engine.connect() as connection:
        row = connection.execute(
            select(RecommendationDecision).where(
                RecommendationDecision.recommendation_id == second["recommendation_id"]
            )
        ).one()
        entry = connection.execute(
            select(AuditEntry).where(
                AuditEntry.entity == "recommendation",
                AuditEntry.entity_key == second["recommendation_id"],
            )
        ).one()
    assert (row.decision, row.reason, row.decided_by) == (
        "rejected",
        "Kunde möchte das nicht 🥤",
        "max",
    )
    assert row.planogram_version_id is None and row.service_order_id is None
    assert (entry.action, json.loads(entry.after)["reason"]) == ("reject", row.reason)


def test_driver_has_no_recommendations_page(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "driver", "app_pages/driver.py")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)


@pytest.mark.parametrize("role", ["viewer", "driver"])
def test_forged_decisions_are_refused(role: str, actions_home: ActionsHome) -> None:
    home = actions_home
    rec = home.recommendations[-1]
    spec = RecommendationSpec.from_row(rec)
    actor = home.actors[role]
    before = table_contents(home.engine)
    with pytest.raises(PermissionDenied, match=r"recommendation\.decide"):
        accept_recommendations(home.engine, actor, _cabinet(home, rec), [spec])
    with pytest.raises(PermissionDenied, match=r"recommendation\.decide"):
        reject_recommendations(home.engine, actor, _cabinet(home, rec), [spec], reason="forged")
    assert table_contents(home.engine) == before
