"""The permission matrix, walked in full: every role × every action.

The expected grants are written out here from the issue (admin everything; manager all but
users and API tokens; driver reads and completes only their own routes' orders; viewer reads
only), not taken from ``operations.permissions.MATRIX``. A forbidden action must raise
``PermissionDenied`` and leave every table exactly as it was.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from ops_world import PASSWORD, World, table_contents
from sqlalchemy import text

from ingest import requeue
from ingest.upload import upload_files
from operations import audit, auth, retention
from operations.cash_import import import_collections
from operations.errors import PermissionDenied, ValidationError
from operations.importer import import_master_data
from operations.permissions import SYSTEM, Action, Actor
from operations.schema import utcnow
from operations.services import (
    alert_subscriptions,
    alerts,
    cash_collections,
    fleet,
    masterdata,
    masterdata_files,
    order_desk,
    orders,
    planograms,
    products,
    questions,
    recommendations,
    tokens,
    users,
    visits,
)
from orchestration.settings import load_settings
from tests.evadts.handmade import BODY, seal
from tests.images import png

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

EVERYTHING = set(Action)
# Only admins touch other people's accounts; everyone changes their own password.
ACCOUNTS = {
    Action.READ_USERS,
    Action.MANAGE_USERS,
    Action.RESET_PASSWORD,
    Action.READ_SESSIONS,
    Action.REVOKE_SESSION,
}
EXPECTED: dict[str, set[Action]] = {
    "admin": EVERYTHING,
    "manager": EVERYTHING
    - ACCOUNTS
    - {Action.MANAGE_TOKENS, Action.MAINTAIN, Action.READ_QUESTIONS},
    "driver": {
        Action.CHANGE_OWN_PASSWORD,
        Action.READ_MASTER_DATA,
        Action.READ_PLANOGRAM,
        Action.READ_ORDERS,
        Action.START_ORDER,
        Action.COMPLETE_ORDER,
        Action.SERVE_CABINET,
        Action.RECORD_VISIT,
        Action.REPORT_EXCEPTION,
        Action.READ_ALERTS,  # of their own routes
        Action.HANDLE_ALERT,  # of their own routes
        Action.SUBSCRIBE_ALERTS,  # their own subscriptions
        Action.READ_CASH,  # collections of their own orders
        Action.RECORD_CASH,  # on their own orders
        Action.UPLOAD_DEX,  # the route's handheld files, at the end of the day
    },
    "viewer": {
        Action.CHANGE_OWN_PASSWORD,
        Action.READ_MASTER_DATA,
        Action.EXPORT_MASTER_DATA,  # the master-data tables as their CSV files
        Action.READ_PLANOGRAM,
        Action.READ_ORDERS,
        Action.READ_RECOMMENDATIONS,
        Action.READ_ALERTS,
        Action.SUBSCRIBE_ALERTS,
        Action.ASK,  # the assistant; the views a viewer may query are narrower (models.ask.policy)
    },
}
# One user per role; dave drives R1, where the seeded draft/scheduled/in-progress orders are.
ROLE_USER = {"admin": "ann", "manager": "max", "driver": "dave", "viewer": "vic"}
_REC = recommendations.RecommendationSpec(
    recommendation_id="m1:S-A1:1:A2",
    machine_serial="S-A1",
    cabinet=1,
    slot="A2",
    change="swap",
    recommended_product_id="P1",
    capacity=10,
    par_level=5,
    model_version="m1",
)
_PNG = png()
WRITES = EVERYTHING - {
    Action.READ_MASTER_DATA,
    Action.EXPORT_MASTER_DATA,
    Action.READ_PLANOGRAM,
    Action.READ_ORDERS,
    Action.READ_USERS,
    Action.READ_SESSIONS,
    Action.READ_AUDIT,
    Action.READ_RECOMMENDATIONS,
    Action.READ_ALERTS,
    Action.READ_CASH,
    Action.READ_QUESTIONS,
}
# an alert on R1 (dave's route), raised before the table snapshot of a HANDLE_ALERT case
_ALERT = alerts.Finding("silent_machine", "S-A1", "S-A1 silent", route="R1")


def _perform(action: Action, world: World, actor: Actor, tmp_path: Path) -> object:
    """Take ``action`` as ``actor`` through the public service functions."""
    engine, orders_ = world.engine, world.orders
    cabinet = world.cabinets["A1"]
    calls: dict[Action, Callable[[], object]] = {
        Action.READ_MASTER_DATA: lambda: masterdata.list_products(engine, actor),
        Action.WRITE_MASTER_DATA: lambda: masterdata.save_product(
            engine, actor, code="P9", name="Tea", category="Drinks", price="2", cost="1", size="S"
        ),
        Action.IMPORT_MASTER_DATA: lambda: _import(engine, actor, tmp_path),
        Action.EXPORT_MASTER_DATA: lambda: masterdata_files.export_files(engine, actor),
        Action.READ_PLANOGRAM: lambda: planograms.get_active_planogram(engine, actor, cabinet),
        Action.EDIT_PLANOGRAM: lambda: planograms.new_planogram_version(
            engine, actor, cabinet, [planograms.SlotSpec("B1", "20", "P2", 6, 3, "1.10")]
        ),
        Action.READ_ORDERS: lambda: orders.get_order(engine, actor, orders_["draft"]),
        Action.CREATE_ORDER: lambda: orders.create_order(
            engine,
            actor,
            route_code="R1",
            planned_date="2026-12-02",
            cabinets={cabinet: [orders.ItemSpec("A2", 4)]},
        ),
        Action.SCHEDULE_ORDER: lambda: orders.schedule_order(engine, actor, orders_["draft"]),
        Action.ASSIGN_ORDER: lambda: orders.reassign_order(
            engine, actor, orders_["scheduled"], driver="erin"
        ),
        Action.START_ORDER: lambda: orders.start_order(engine, actor, orders_["scheduled"]),
        Action.COMPLETE_ORDER: lambda: orders.complete_order(
            engine, actor, orders_["in_progress"], {(cabinet, "A1"): 5}
        ),
        Action.CANCEL_ORDER: lambda: orders.cancel_order(
            engine, actor, orders_["draft"], reason="not needed"
        ),
        Action.EDIT_ORDER: lambda: orders.edit_draft(
            engine, actor, orders_["draft"], priority="urgent"
        ),
        Action.SERVE_CABINET: lambda: orders.serve_cabinet(
            engine, actor, orders_["in_progress"], cabinet
        ),
        Action.COMPLETE_FOR_DRIVER: lambda: order_desk.complete_on_behalf(
            engine, actor, orders_["scheduled"], {(cabinet, "A1"): 5}, reason="phone broke"
        ),
        Action.CORRECT_ORDER: lambda: order_desk.correct_order(
            engine, actor, orders_["in_progress"], {(cabinet, "A1"): 3}, reason="miscounted"
        ),
        Action.RECORD_VISIT: lambda: visits.add_photo(
            engine,
            actor,
            tmp_path / "photos",
            orders_["in_progress"],
            cabinet,
            kind="before",
            data=_PNG,
        ),
        Action.REPORT_EXCEPTION: lambda: visits.report_exception(
            engine, actor, orders_["in_progress"], cabinet, kind="broken", note="door hinge"
        ),
        Action.READ_USERS: lambda: users.list_users(engine, actor),
        Action.MANAGE_USERS: lambda: users.add_user(
            engine, actor, username="newbie", role="viewer", password="long-enough-pw"
        ),
        Action.RESET_PASSWORD: lambda: users.reset_password(engine, actor, "vic"),
        Action.READ_SESSIONS: lambda: users.list_sessions(engine, actor),
        Action.REVOKE_SESSION: lambda: users.revoke_session(engine, actor, _a_session(world)),
        Action.CHANGE_OWN_PASSWORD: lambda: auth.change_password(
            engine, actor, current=PASSWORD, new="my-own-new-secret"
        ),
        Action.READ_AUDIT: lambda: audit.list_entries(engine, actor),
        Action.MANAGE_TOKENS: lambda: tokens.add_token(engine, actor, name="erp", scope="read"),
        Action.READ_RECOMMENDATIONS: lambda: recommendations.list_decisions(engine, actor),
        Action.DECIDE_RECOMMENDATION: lambda: recommendations.reject_recommendations(
            engine, actor, cabinet, [_REC], reason="not now"
        ),
        Action.REQUEUE_QUARANTINE: lambda: _requeue(engine, actor, tmp_path),
        Action.MAINTAIN: lambda: retention.archive_and_remove(
            engine, actor, older_than=utcnow(), archive_dir=tmp_path / "audit-archive"
        ),
        Action.READ_ALERTS: lambda: alerts.list_alerts(engine, actor),
        Action.HANDLE_ALERT: lambda: alerts.acknowledge(engine, actor, 1),
        Action.RAISE_ALERT: lambda: alerts.raise_or_refresh(engine, actor, _ALERT),
        Action.SUBSCRIBE_ALERTS: lambda: alert_subscriptions.subscribe(
            engine, actor, kind="rule", target="crc_failures", delivery="digest", email="a@b.org"
        ),
        Action.READ_CASH: lambda: cash_collections.list_collections(engine, actor),
        Action.RECORD_CASH: lambda: cash_collections.record_count(
            engine,
            actor,
            order_id=orders_["in_progress"],
            machine="A1",
            count=cash_collections.counted("10.00", "2.50", "B1"),
        ),
        Action.RECONCILE_CASH: lambda: cash_collections.reconcile(
            engine, actor, 1, decision="investigate", note="recount"
        ),
        Action.IMPORT_CASH: lambda: _import_cash(engine, actor, tmp_path),
        Action.ASK: lambda: questions.record_question(
            engine,
            actor,
            questions.QuestionRecord("sql", "SELECT 1", "SELECT 1", "answered", "1 rows.", rows=1),
        ),
        Action.READ_QUESTIONS: lambda: questions.list_questions(engine, actor, everyone=True),
        Action.UPLOAD_DEX: lambda: upload_files(
            tmp_path / "archive",
            engine,
            actor,
            [("route.dex", seal(BODY))],
        ),
    }
    return calls[action]()


def _a_session(world: World) -> str:
    """The id of vic's open session, if a test opened one before its snapshot (else a made-up
    id: the permission check comes first)."""
    with world.engine.connect() as connection:
        found = connection.execute(text("SELECT token_hash FROM user_sessions")).scalar()
    return str(found or "0" * 64)[: users.SESSION_ID_LENGTH]


def _requeue(engine: object, actor: Actor, tmp_path: Path) -> object:
    """Re-queue a quarantined file of a home in ``tmp_path`` (the record written here)."""
    settings = load_settings(tmp_path / "home")
    settings.quarantine.mkdir(parents=True)
    sha = "ab" * 32
    record = {"sha256": sha, "original_name": "x.dex", "received_at": "2026-01-02T03:04:05"}
    (settings.quarantine / f"{sha}.json").write_text(json.dumps(record))
    return requeue.requeue(settings, engine, actor, "abab", b"DXS*fixed")  # type: ignore[arg-type]


def _import(engine: object, actor: Actor, tmp_path: Path) -> object:
    (tmp_path / "products.csv").write_text(
        "product_id,name,category,price,cost,size\nP8,Water,Drinks,1.00,0.20,S\n",
        encoding="utf-8",
    )
    return import_master_data(engine, tmp_path, actor=actor)  # type: ignore[arg-type]


def _import_cash(engine: object, actor: Actor, tmp_path: Path) -> object:
    (tmp_path / "collections.csv").write_text(
        "serial,collected_at,counted\nS-A1,2024-01-05 10:00:00,12.50\n", encoding="utf-8"
    )
    return import_collections(engine, tmp_path / "collections.csv", actor=actor)  # type: ignore[arg-type]  # an Engine


MATRIX_CASES = [(role, action) for role in ROLE_USER for action in Action]


def _prepare(action: Action, world: World) -> None:
    """Put the world in the state ``action`` needs (before the 'nothing changed' snapshot)."""
    if action is Action.RECONCILE_CASH:  # a collection to reconcile (id 1)
        cash_collections.record_count(
            world.engine, SYSTEM, order_id=world.orders["in_progress"], machine="A1",
            count=cash_collections.counted("1", "0", None),
        )  # fmt: skip
    if action is Action.CORRECT_ORDER:  # only a completed order is corrected
        cabinet = world.cabinets["A1"]
        orders.complete_order(
            world.engine, SYSTEM, world.orders["in_progress"], {(cabinet, "A1"): 5}
        )


@pytest.mark.parametrize(("role", "action"), MATRIX_CASES, ids=str)
def test_permission_matrix(role: str, action: Action, world: World, tmp_path: Path) -> None:
    actor = world.actors[ROLE_USER[role]]
    _prepare(action, world)
    auth.authenticate(world.engine, "vic", PASSWORD)  # a session to revoke
    if action is Action.HANDLE_ALERT:
        alerts.raise_or_refresh(world.engine, SYSTEM, _ALERT)  # alert id 1
    before = table_contents(world.engine)
    if action in EXPECTED[role]:
        _perform(action, world, actor, tmp_path)
        if action in WRITES:
            assert table_contents(world.engine) != before, f"{action} as {role} wrote nothing"
    else:
        with pytest.raises(PermissionDenied) as refused:
            _perform(action, world, actor, tmp_path)
        assert action.value in str(refused.value)
        assert role in str(refused.value)
        assert table_contents(world.engine) == before


@pytest.mark.parametrize("role", ROLE_USER)
def test_handing_all_open_orders_over_follows_the_assign_grant(role: str, world: World) -> None:
    """Reassigning every open order of a driver is ``order.assign``, like one order."""
    actor = world.actors[ROLE_USER[role]]
    before = table_contents(world.engine)
    if Action.ASSIGN_ORDER in EXPECTED[role]:
        moved = order_desk.reassign_all_open(world.engine, actor, from_driver="dave", driver="erin")
        assert sorted(o.id for o in moved) == [1, 2, 3]
    else:
        with pytest.raises(PermissionDenied, match=r"order\.assign"):
            order_desk.reassign_all_open(world.engine, actor, from_driver="dave", driver="erin")
        assert table_contents(world.engine) == before


# Account operations beyond adding a user: all need users.manage, so admins only.
USER_OPERATIONS: dict[str, Callable[[World, Actor], object]] = {
    "set_role": lambda w, a: users.set_role(w.engine, a, "vic", "manager"),
    "set_email": lambda w, a: users.set_email(w.engine, a, "vic", "vic@example.com"),
    "unlock": lambda w, a: users.unlock_user(w.engine, a, "vic"),
    "deactivate": lambda w, a: users.deactivate_user(w.engine, a, "erin", reassign_to="dave"),
    "reactivate": lambda w, a: users.reactivate_user(w.engine, a, "gone"),
}


@pytest.mark.parametrize(
    ("role", "operation"), [(r, o) for r in ROLE_USER for o in USER_OPERATIONS], ids=str
)
def test_user_operations_matrix(role: str, operation: str, world: World) -> None:
    users.add_user(world.engine, SYSTEM, username="gone", role="viewer", password=PASSWORD)
    users.deactivate_user(world.engine, SYSTEM, "gone")
    actor = world.actors[ROLE_USER[role]]
    before = table_contents(world.engine)
    if role == "admin":
        USER_OPERATIONS[operation](world, actor)
        assert table_contents(world.engine) != before
    else:
        with pytest.raises(PermissionDenied, match=Action.MANAGE_USERS.value):
            USER_OPERATIONS[operation](world, actor)
        assert table_contents(world.engine) == before


def _due_price(world: World, actor: Actor) -> object:
    return products.apply_due_price_changes(world.engine, actor, utcnow().date())


# What the fleet pages write (all masterdata.write): admins and managers only.
FLEET_OPERATIONS: dict[str, Callable[[World, Actor], object]] = {
    "edit_product": lambda w, a: products.edit_product(
        w.engine,
        a,
        "P1",
        seen_version=1,
        name="Cola",
        category="Drinks",
        cost="0.50",
        size="M",
        barcode="",
        image_url="",
        price="1.70",
        effective_on="2026-12-31",
    ),
    "apply_prices": _due_price,
    "add_machine": lambda w, a: fleet.add_machine(
        w.engine,
        a,
        asset_number="A9",
        dex_serial="S-A9",
        model="m",
        device_type="snack",
        location_code="L1",
        route_code="R1",
        telemetry=False,
        service_days="1000000",
        cabinets=[fleet.CabinetSpec("Ambient 5x8", 5, 8)],
    ),
    "move_machine": lambda w, a: fleet.move_machine(
        w.engine, a, "A1", location_code="L1", route_code="R2"
    ),
    "assign_route": lambda w, a: fleet.assign_route(w.engine, a, ["A1", "A3"], "R2"),
    "retire": lambda w, a: masterdata.delete(w.engine, a, "device", "A3"),
    "restore": lambda w, a: fleet.restore(w.engine, a, "product", "P0"),
}


@pytest.mark.parametrize(
    ("role", "operation"), [(r, o) for r in ROLE_USER for o in FLEET_OPERATIONS], ids=str
)
def test_fleet_operations_matrix(role: str, operation: str, world: World) -> None:
    """Every write of the Machines, Products and Locations & routes pages."""
    masterdata.save_product(
        world.engine, SYSTEM, code="P0", name="Old", category="x", price="1", cost="1", size="S"
    )
    masterdata.delete(world.engine, SYSTEM, "product", "P0")  # something to restore
    products.edit_product(  # a price due today, for apply_prices
        world.engine,
        SYSTEM,
        "P2",
        seen_version=1,
        name="Chips",
        category="Snacks",
        cost="0.30",
        size="S",
        barcode="",
        image_url="",
        price="1.10",
        effective_on="2999-01-01",
        today=utcnow().date(),
    )
    with world.engine.begin() as connection:
        connection.execute(text("UPDATE product_price_changes SET effective_on = '2000-01-01'"))
    actor = world.actors[ROLE_USER[role]]
    before = table_contents(world.engine)
    if role in {"admin", "manager"}:
        FLEET_OPERATIONS[operation](world, actor)
        assert table_contents(world.engine) != before
    else:
        with pytest.raises(PermissionDenied, match=Action.WRITE_MASTER_DATA.value):
            FLEET_OPERATIONS[operation](world, actor)
        assert table_contents(world.engine) == before


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_a_temporary_password_allows_only_changing_it(
    action: Action, world: World, tmp_path: Path
) -> None:
    """An admin signed in with a reset password may do nothing else until it is changed."""
    auth.authenticate(world.engine, "vic", PASSWORD)
    ann = dataclasses.replace(world.actors["ann"], must_change_password=True)
    before = table_contents(world.engine)
    if action is Action.CHANGE_OWN_PASSWORD:
        _perform(action, world, ann, tmp_path)
        assert table_contents(world.engine) != before
    else:
        with pytest.raises(PermissionDenied, match="change the temporary password first"):
            _perform(action, world, ann, tmp_path)
        assert table_contents(world.engine) == before


@pytest.mark.parametrize(
    "attempt",
    ["read", "start", "complete", "cancel", "pick_list", "serve"],
)
def test_driver_cannot_touch_another_routes_order(attempt: str, world: World) -> None:
    """dave drives R1; erin's in-progress order is on R2."""
    dave, order_id = world.actors["dave"], world.orders["erin_in_progress"]
    cabinet = world.cabinets["A2"]
    calls: dict[str, Callable[[], object]] = {
        "serve": lambda: orders.serve_cabinet(world.engine, dave, order_id, cabinet),
        "read": lambda: orders.get_order(world.engine, dave, order_id),
        "start": lambda: orders.start_order(world.engine, dave, order_id),
        "complete": lambda: orders.complete_order(
            world.engine, dave, order_id, {(cabinet, "A1"): 2}
        ),
        "cancel": lambda: orders.cancel_order(world.engine, dave, order_id, reason="x"),
        "pick_list": lambda: orders.pick_list(world.engine, dave, order_id),
    }
    before = table_contents(world.engine)
    with pytest.raises(PermissionDenied):
        calls[attempt]()
    assert table_contents(world.engine) == before


def test_driver_lists_only_own_route_orders(world: World) -> None:
    seen = {o.id for o in orders.list_orders(world.engine, world.actors["dave"])}
    assert seen == {1, 2, 3}
    seen_by_erin = {o.id for o in orders.list_orders(world.engine, world.actors["erin"])}
    assert seen_by_erin == {4}
    assert len(orders.list_orders(world.engine, world.actors["vic"])) == 4


def test_driver_completes_own_order(world: World) -> None:
    erin = world.actors["erin"]
    done = orders.complete_order(
        world.engine, erin, world.orders["erin_in_progress"], {(world.cabinets["A2"], "A1"): 2}
    )
    assert done.status == "completed"
    assert done.completed_by == "erin"


def test_unknown_role_is_refused_everything(world: World, tmp_path: Path) -> None:
    stranger = Actor(username="mallory", role="superuser")
    before = table_contents(world.engine)
    for action in Action:
        with pytest.raises(PermissionDenied):
            _perform(action, world, stranger, tmp_path)
    assert table_contents(world.engine) == before


def test_the_last_active_admin_is_neither_demoted_nor_deactivated(
    world: World, unchanged: None
) -> None:
    ann = world.actors["ann"]  # the seeded world's only admin
    with pytest.raises(ValidationError, match=r"^role='manager': ann is the last active admin"):
        users.set_role(world.engine, ann, "ann", "manager")
    with pytest.raises(ValidationError, match=r"^username='ann': is the last active admin"):
        users.deactivate_user(world.engine, SYSTEM, "ann")


def test_an_admin_cannot_deactivate_themselves(world: World) -> None:
    ann = world.actors["ann"]
    users.add_user(world.engine, ann, username="zoe", role="admin", password="zoe-password-12")
    before = table_contents(world.engine)
    with pytest.raises(ValidationError, match=r"^username='ann': an admin cannot deactivate"):
        users.deactivate_user(world.engine, ann, "ann")
    assert table_contents(world.engine) == before
    # with a second admin, either may step down to another role, and be deactivated by the other
    users.set_role(world.engine, ann, "zoe", "manager")
    users.set_role(world.engine, ann, "zoe", "admin")
    zoe = Actor(username="zoe", role="admin")
    users.deactivate_user(world.engine, zoe, "ann")
    with pytest.raises(ValidationError, match="last active admin"):
        users.set_role(world.engine, zoe, "zoe", "viewer")
