"""Initial operational schema: master data, planograms, users, service orders, audit.

Service-order status changes are also guarded by a trigger (a CHECK cannot see the old row):
new orders start as drafts and only the transitions of the order life cycle are accepted.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The order life cycle, frozen as of this migration (services use operations.schema's copy).
ORDER_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("draft", "scheduled"),
    ("scheduled", "in_progress"),
    ("in_progress", "completed"),
    ("draft", "cancelled"),
    ("scheduled", "cancelled"),
    ("in_progress", "cancelled"),
)
# Each status implies which step times are set.
ORDER_STATE_CONSISTENT = (
    "(status = 'draft' AND scheduled_at IS NULL AND started_at IS NULL"
    " AND completed_at IS NULL AND cancelled_at IS NULL)"
    " OR (status = 'scheduled' AND scheduled_at IS NOT NULL AND started_at IS NULL"
    " AND completed_at IS NULL AND cancelled_at IS NULL)"
    " OR (status = 'in_progress' AND scheduled_at IS NOT NULL AND started_at IS NOT NULL"
    " AND completed_at IS NULL AND cancelled_at IS NULL)"
    " OR (status = 'completed' AND scheduled_at IS NOT NULL AND started_at IS NOT NULL"
    " AND completed_at IS NOT NULL AND cancelled_at IS NULL)"
    " OR (status = 'cancelled' AND completed_at IS NULL AND cancelled_at IS NOT NULL)"
)
_ALLOWED = ", ".join(f"'{a}>{b}'" for a, b in ORDER_TRANSITIONS)
_ILLEGAL = f"NEW.status <> OLD.status AND (OLD.status || '>' || NEW.status) NOT IN ({_ALLOWED})"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER service_orders_valid_transition
    BEFORE UPDATE OF status ON service_orders FOR EACH ROW WHEN {_ILLEGAL}
    BEGIN SELECT RAISE(ABORT, 'illegal service order transition'); END""",
    """CREATE TRIGGER service_orders_start_as_draft
    BEFORE INSERT ON service_orders FOR EACH ROW WHEN NEW.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'service orders start as draft'); END""",
)
POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION service_orders_valid_transition() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'service orders start as draft';
        END IF;
        IF TG_OP = 'UPDATE' AND {_ILLEGAL} THEN
            RAISE EXCEPTION 'illegal service order transition % -> %', OLD.status, NEW.status;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER service_orders_valid_transition
    BEFORE INSERT OR UPDATE OF status ON service_orders
    FOR EACH ROW EXECUTE FUNCTION service_orders_valid_transition()""",
)


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)

    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("traffic", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "traffic IN ('low', 'medium', 'high')", name=op.f("ck_locations_valid_traffic")
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_locations_latitude_range")),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_locations_longitude_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=1), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("size IN ('S', 'M', 'L')", name=op.f("ck_products_valid_size")),
        sa.CheckConstraint("cost_cents >= 0", name=op.f("ck_products_cost_non_negative")),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_products_price_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_table(
        "routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("driver_username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
        sa.UniqueConstraint("code", name=op.f("uq_routes_code")),
    )
    op.create_index(op.f("ix_routes_driver_username"), "routes", ["driver_username"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'driver', 'viewer')", name=op.f("ck_users_valid_role")
        ),
        sa.CheckConstraint("failed_logins >= 0", name=op.f("ck_users_failed_logins_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_number", sa.String(length=64), nullable=True),
        sa.Column("dex_serial", sa.String(length=64), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("device_type", sa.String(length=100), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("telemetry", sa.Boolean(), nullable=False),
        sa.Column("service_days", sa.String(length=7), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "service_days IS NULL OR length(service_days) = 7",
            name=op.f("ck_devices_service_days_mask"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_devices_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_devices_route_id_routes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("asset_number", name=op.f("uq_devices_asset_number")),
        sa.UniqueConstraint("dex_serial", name=op.f("uq_devices_dex_serial")),
    )
    op.create_index(op.f("ix_devices_location_id"), "devices", ["location_id"], unique=False)
    op.create_index(op.f("ix_devices_route_id"), "devices", ["route_id"], unique=False)

    op.create_table(
        "service_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("driver_username", sa.String(length=64), nullable=True),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("scheduled_by", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            ORDER_STATE_CONSISTENT,
            name=op.f("ck_service_orders_status_matches_steps"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'in_progress', 'completed', 'cancelled')",
            name=op.f("ck_service_orders_valid_status"),
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_service_orders_route_id_routes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_orders")),
    )
    op.create_index(
        op.f("ix_service_orders_route_id"), "service_orders", ["route_id"], unique=False
    )

    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)

    op.create_table(
        "cabinets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cabinet_index", sa.Integer(), nullable=False),
        sa.Column("cabinet_type", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("cabinet_index >= 1", name=op.f("ck_cabinets_index_positive")),
        sa.CheckConstraint("columns BETWEEN 1 AND 99", name=op.f("ck_cabinets_columns_range")),
        sa.CheckConstraint("rows BETWEEN 1 AND 26", name=op.f("ck_cabinets_rows_range")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_cabinets_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cabinets")),
        sa.UniqueConstraint(
            "device_id", "cabinet_index", name=op.f("uq_cabinets_device_id_cabinet_index")
        ),
    )
    op.create_table(
        "device_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("dex_serial", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_aliases_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_aliases")),
        sa.UniqueConstraint("dex_serial", name=op.f("uq_device_aliases_dex_serial")),
    )
    op.create_index(
        op.f("ix_device_aliases_device_id"), "device_aliases", ["device_id"], unique=False
    )

    op.create_table(
        "planogram_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_planogram_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["cabinet_id"], ["cabinets.id"], name=op.f("fk_planogram_versions_cabinet_id_cabinets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planogram_versions")),
        sa.UniqueConstraint(
            "cabinet_id", "version", name=op.f("uq_planogram_versions_cabinet_id_version")
        ),
    )
    op.create_index(
        "uq_planogram_versions_one_active",
        "planogram_versions",
        ["cabinet_id"],
        unique=True,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )

    op.create_table(
        "service_order_cabinets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cabinet_id"],
            ["cabinets.id"],
            name=op.f("fk_service_order_cabinets_cabinet_id_cabinets"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_orders.id"],
            name=op.f("fk_service_order_cabinets_order_id_service_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_cabinets")),
        sa.UniqueConstraint(
            "order_id", "cabinet_id", name=op.f("uq_service_order_cabinets_order_id_cabinet_id")
        ),
    )
    op.create_index(
        op.f("ix_service_order_cabinets_cabinet_id"),
        "service_order_cabinets",
        ["cabinet_id"],
        unique=False,
    )

    op.create_table(
        "planogram_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("selection", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("par_level", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_planogram_slots_capacity_positive")),
        sa.CheckConstraint(
            "par_level >= 0 AND par_level <= capacity",
            name=op.f("ck_planogram_slots_par_within_capacity"),
        ),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_planogram_slots_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_planogram_slots_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["planogram_versions.id"],
            name=op.f("fk_planogram_slots_version_id_planogram_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planogram_slots")),
        sa.UniqueConstraint(
            "version_id", "selection", name=op.f("uq_planogram_slots_version_id_selection")
        ),
        sa.UniqueConstraint("version_id", "slot", name=op.f("uq_planogram_slots_version_id_slot")),
    )
    op.create_index(
        op.f("ix_planogram_slots_product_id"), "planogram_slots", ["product_id"], unique=False
    )

    op.create_table(
        "service_order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_cabinet_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity_planned", sa.Integer(), nullable=False),
        sa.Column("quantity_delivered", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "quantity_delivered IS NULL OR quantity_delivered >= 0",
            name=op.f("ck_service_order_items_delivered_non_negative"),
        ),
        sa.CheckConstraint(
            "quantity_planned >= 0", name=op.f("ck_service_order_items_planned_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_cabinet_id"],
            ["service_order_cabinets.id"],
            name=op.f("fk_service_order_items_order_cabinet_id_service_order_cabinets"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_service_order_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_items")),
        sa.UniqueConstraint(
            "order_cabinet_id", "slot", name=op.f("uq_service_order_items_order_cabinet_id_slot")
        ),
    )
    op.create_index(
        op.f("ix_service_order_items_product_id"),
        "service_order_items",
        ["product_id"],
        unique=False,
    )

    triggers = (
        POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    """Revert this migration (dropping a table drops its indexes and triggers)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS service_orders_valid_transition ON service_orders")
        op.execute("DROP FUNCTION IF EXISTS service_orders_valid_transition()")
    for table in (
        "service_order_items",
        "planogram_slots",
        "service_order_cabinets",
        "planogram_versions",
        "device_aliases",
        "cabinets",
        "user_sessions",
        "service_orders",
        "devices",
        "users",
        "routes",
        "products",
        "locations",
        "audit_log",
    ):
        op.drop_table(table)
