"""The operational database as SQLAlchemy 2 typed models.

The tables are created and changed by the Alembic migrations in ``operations/migrations`` only;
these models describe them for queries and writes. Rules that the database can hold itself are
declared here as CHECK and UNIQUE constraints (and mirrored in the service layer with friendlier
messages). Money is stored as integer cents; times are stored as naive UTC and read back aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ROLES: tuple[str, ...] = ("admin", "manager", "driver", "viewer")
ORDER_STATUSES: tuple[str, ...] = ("draft", "scheduled", "in_progress", "completed", "cancelled")
OPEN_STATUSES: tuple[str, ...] = ("draft", "scheduled", "in_progress")
ORDER_TYPES: tuple[str, ...] = ("restock", "changeover", "repair", "cash_collection", "removal")
# The types that load product: their orders need items; the others may have none.
LOADING_TYPES: tuple[str, ...] = ("restock", "changeover")
PRIORITIES: tuple[str, ...] = ("normal", "urgent")
PRODUCT_SIZES: tuple[str, ...] = ("S", "M", "L")
DECISIONS: tuple[str, ...] = ("accepted", "rejected")
TRAFFIC_LEVELS: tuple[str, ...] = ("low", "medium", "high")
SIGN_IN_SCOPES: tuple[str, ...] = ("pair", "address")
TOKEN_SCOPES: tuple[str, ...] = ("intake", "read", "metrics")  # what an API token may do
PHOTO_KINDS: tuple[str, ...] = ("before", "after")
PHOTO_TYPES: tuple[str, ...] = ("jpg", "png", "webp", "heic")
# What a driver can report at a cabinet; each one opens a follow-up order for the office.
EXCEPTION_KINDS: tuple[str, ...] = (
    "broken",
    "no_access",
    "damaged_stock",
    "expired_stock",
    "coin_jammed",
)
ALERT_STATES: tuple[str, ...] = ("open", "acknowledged", "resolved")
ALERT_SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
COLLECTION_SOURCES: tuple[str, ...] = ("driver", "import")
RECONCILE_STATES: tuple[str, ...] = ("pending", "accepted", "investigating", "adjusted")
SUBSCRIPTION_KINDS: tuple[str, ...] = ("rule", "route")
DELIVERIES: tuple[str, ...] = ("immediate", "digest")
OUTBOX_STATES: tuple[str, ...] = ("queued", "sent")
QUESTION_SOURCES: tuple[str, ...] = ("ai", "sql", "report")  # how an Ask CVD query came to be
# The service-order life cycle; migration 0001 installs the same pairs as a trigger.
ORDER_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("draft", "scheduled"),
        ("scheduled", "in_progress"),
        ("in_progress", "completed"),
        ("draft", "cancelled"),
        ("scheduled", "cancelled"),
        ("in_progress", "cancelled"),
    }
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL for ``column IN (...)`` over constant strings (a CHECK constraint body)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes, stored naive so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC without tzinfo."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    """Creation and last-change times."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SoftDelete:
    """Rows are never removed: a delete records who and when, and queries skip them."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(64))


class User(Timestamps, SoftDelete, Base):
    """A person who signs in; the role decides what they may do."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="valid_role"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(254))
    # Set by an admin's password reset: the next sign-in must choose a new password first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class UserSession(Base):
    """A sign-in: the SHA-256 of the bearer token (the token itself is never stored)."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Refreshed at most once a minute, so checking a session is a read, not a write.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))  # where the sign-in came from
    user_agent: Mapped[str | None] = mapped_column(String(500))


class SignInThrottle(Base):
    """Failed sign-ins counted per user name and address (``pair``) and per address alone.

    A pair that fails too often is locked (the same user from another address still signs in);
    an address that fails too often, whatever the names, is refused. ``last_success_at`` marks an
    address the user has signed in from (it still passes when the account itself is locked).
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (
        CheckConstraint(_in("scope", SIGN_IN_SCOPES), name="valid_scope"),
        CheckConstraint("failures >= 0", name="failures_non_negative"),
    )

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' for an address
    address: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' when not known
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Product(Timestamps, SoftDelete, Base):
    """Something sold from a slot."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("cost_cents >= 0", name="cost_non_negative"),
        CheckConstraint(_in("size", PRODUCT_SIZES), name="valid_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)
    cost_cents: Mapped[int] = mapped_column(Integer)
    size: Mapped[str] = mapped_column(String(1))
    barcode: Mapped[str | None] = mapped_column(String(14))  # GTIN-8/12/13/14
    image_url: Mapped[str | None] = mapped_column(String(500))
    # Bumped by every update, which says which version it read (version check of two editors).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012 - SQLAlchemy reads it


class ProductPriceChange(Base):
    """A product's price from a day on; applied to the product once that day has come."""

    __tablename__ = "product_price_changes"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    old_price_cents: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()


class Location(Timestamps, SoftDelete, Base):
    """A site where machines stand."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(_in("traffic", TRAFFIC_LEVELS), name="valid_traffic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    latitude: Mapped[float]
    longitude: Mapped[float]
    traffic: Mapped[str] = mapped_column(String(8))
    # How a driver gets in (door code, opening hours, whom to ask): shown on the driver's day.
    access_notes: Mapped[str] = mapped_column(Text, default="")


class Route(Timestamps, SoftDelete, Base):
    """A driver's round; the driver is named by user name (the user may be created later)."""

    __tablename__ = "routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    driver_username: Mapped[str | None] = mapped_column(String(64), index=True)
    service_days: Mapped[str | None] = mapped_column(String(7))  # weekday mask, Monday first


class Device(Timestamps, SoftDelete, Base):
    """A vending machine. Unknown DEX serials become devices without asset number or location."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(
            "service_days IS NULL OR length(service_days) = 7", name="service_days_mask"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    dex_serial: Mapped[str | None] = mapped_column(String(64), unique=True)
    model: Mapped[str | None] = mapped_column(String(100))
    device_type: Mapped[str | None] = mapped_column(String(100))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("routes.id"), index=True)
    telemetry: Mapped[bool] = mapped_column(Boolean, default=False)
    service_days: Mapped[str | None] = mapped_column(String(7))
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location | None] = relationship()
    route: Mapped[Route | None] = relationship()
    aliases: Mapped[list[DeviceAlias]] = relationship(back_populates="device")


class DeviceAlias(Base):
    """Another DEX serial the same machine has reported (e.g. after a controller swap)."""

    __tablename__ = "device_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    dex_serial: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    device: Mapped[Device] = relationship(back_populates="aliases")


class Cabinet(Timestamps, SoftDelete, Base):
    """One cabinet of a machine (a machine may have a drink cooler beside a snack tower)."""

    __tablename__ = "cabinets"
    __table_args__ = (
        UniqueConstraint("device_id", "cabinet_index"),
        CheckConstraint("cabinet_index >= 1", name="index_positive"),
        CheckConstraint("rows BETWEEN 1 AND 26", name="rows_range"),
        CheckConstraint("columns BETWEEN 1 AND 99", name="columns_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cabinet_index: Mapped[int] = mapped_column(Integer)
    cabinet_type: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[int] = mapped_column(Integer)

    device: Mapped[Device] = relationship()


class PlanogramVersion(Base):
    """An immutable planogram of one cabinet; exactly one version per cabinet is active."""

    __tablename__ = "planogram_versions"
    __table_args__ = (
        UniqueConstraint("cabinet_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(
            "uq_planogram_versions_one_active",
            "cabinet_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinets.id"))
    version: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    # The day the version is meant to be in the machine (the editor's changeover day).
    effective_date: Mapped[date | None] = mapped_column(Date)

    slots: Mapped[list[PlanogramSlot]] = relationship(
        back_populates="version", order_by="PlanogramSlot.id"
    )


class PlanogramSlot(Base):
    """One position of a planogram version: what it holds, how many, at what price."""

    __tablename__ = "planogram_slots"
    __table_args__ = (
        UniqueConstraint("version_id", "slot"),
        UniqueConstraint("version_id", "selection"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("par_level >= 0 AND par_level <= capacity", name="par_within_capacity"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("planogram_versions.id"))
    slot: Mapped[str] = mapped_column(String(8))
    selection: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    par_level: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)

    version: Mapped[PlanogramVersion] = relationship(back_populates="slots")
    product: Mapped[Product] = relationship()


class PlanogramTemplate(Base):
    """A named set of slots (JSON list of slot, selection, product code, capacity, par, price
    cents) for one cabinet type, applied in the planogram editor."""

    __tablename__ = "planogram_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cabinet_type: Mapped[str] = mapped_column(String(64))
    slots: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


# Each status implies which step times are set, so a row cannot claim a state it never reached.
_ORDER_STATE_CONSISTENT = (
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


class ServiceOrder(Base):
    """A visit a driver carries out: which cabinets, what to load, and who did what when."""

    __tablename__ = "service_orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="valid_status"),
        CheckConstraint(_ORDER_STATE_CONSISTENT, name="status_matches_steps"),
        CheckConstraint(_in("order_type", ORDER_TYPES), name="valid_type"),
        CheckConstraint(_in("priority", PRIORITIES), name="valid_priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"), index=True)
    driver_username: Mapped[str | None] = mapped_column(String(64))
    planned_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    order_type: Mapped[str] = mapped_column(String(16), default="restock")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The last correction a manager made to a completed order (the audit log keeps every one).
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_by: Mapped[str | None] = mapped_column(String(64))

    route: Mapped[Route] = relationship()
    cabinets: Mapped[list[ServiceOrderCabinet]] = relationship(
        back_populates="order", order_by="ServiceOrderCabinet.id"
    )


class ServiceOrderCabinet(Base):
    """A cabinet to serve on an order; ``served_at`` marks it done (the order's progress)."""

    __tablename__ = "service_order_cabinets"
    __table_args__ = (UniqueConstraint("order_id", "cabinet_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"))
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinets.id"), index=True)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    served_by: Mapped[str | None] = mapped_column(String(64))

    order: Mapped[ServiceOrder] = relationship(back_populates="cabinets")
    cabinet: Mapped[Cabinet] = relationship()
    items: Mapped[list[ServiceOrderItem]] = relationship(
        back_populates="order_cabinet", order_by="ServiceOrderItem.id"
    )


class ServiceOrderItem(Base):
    """What to load into one slot, and (once completed) what was delivered."""

    __tablename__ = "service_order_items"
    __table_args__ = (
        UniqueConstraint("order_cabinet_id", "slot"),
        CheckConstraint("quantity_planned >= 0", name="planned_non_negative"),
        CheckConstraint(
            "quantity_delivered IS NULL OR quantity_delivered >= 0", name="delivered_non_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_cabinet_id: Mapped[int] = mapped_column(ForeignKey("service_order_cabinets.id"))
    slot: Mapped[str] = mapped_column(String(8))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity_planned: Mapped[int] = mapped_column(Integer)
    quantity_delivered: Mapped[int | None] = mapped_column(Integer)

    order_cabinet: Mapped[ServiceOrderCabinet] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class AuditEntry(Base):
    """One change: who, what (entity, key, action), the row before and after (JSON), when, from
    which address and user agent.

    The table is append-only (triggers refuse UPDATE and DELETE) and hash-chained: ``row_hash``
    is the SHA-256 of the previous row's hash and this row's content (see ``operations.audit``).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(Base):
    """Where the audit chain now starts, after its oldest rows were archived and removed.

    Rows with ``id < first_kept_id`` were written to ``archive`` (a JSONL file with their hashes,
    whose SHA-256 is ``archive_sha256``) and deleted; the first kept row chains onto
    ``previous_hash``, the hash of the last row removed. Append-only like the log, and the log's
    DELETE trigger lets a row go only when an anchor lies above it (see ``operations.retention``).
    """

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    first_kept_id: Mapped[int] = mapped_column(Integer)
    previous_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column(Integer)
    archive: Mapped[str] = mapped_column(String(500))
    archive_sha256: Mapped[str] = mapped_column(String(64))


# An accepted recommendation made a planogram version, and a changeover order unless it is a
# ``record`` (the machine already holds the product: no visit); a rejected one made neither.
ACCEPT_HAS_RESULTS = (
    "(decision = 'accepted' AND planogram_version_id IS NOT NULL"
    " AND (service_order_id IS NOT NULL OR change = 'record'))"
    " OR (decision = 'rejected' AND planogram_version_id IS NULL"
    " AND service_order_id IS NULL)"
)


class RecommendationDecision(Base):
    """A person's verdict on one planogram recommendation (one slot); each is decided once.

    An accepted recommendation points at the planogram version and the changeover order the
    acceptance created (a ``record``, which the office records without a visit, at the version
    alone); a rejected one carries its reason.
    """

    __tablename__ = "recommendation_decisions"
    __table_args__ = (
        CheckConstraint(_in("decision", DECISIONS), name="valid_decision"),
        CheckConstraint(
            "decision = 'accepted' OR length(trim(reason)) > 0", name="reject_has_reason"
        ),
        CheckConstraint(
            ACCEPT_HAS_RESULTS,
            name="accept_has_results",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[str] = mapped_column(String(300), unique=True)
    run_id: Mapped[str] = mapped_column(String(200), default="")
    machine_serial: Mapped[str] = mapped_column(String(64))
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinets.id"), index=True)
    cabinet_index: Mapped[int] = mapped_column(Integer)
    slot: Mapped[str] = mapped_column(String(8))
    change: Mapped[str] = mapped_column(String(16))
    current_product_code: Mapped[str | None] = mapped_column(String(64))
    recommended_product_code: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    par_level: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planogram_version_id: Mapped[int | None] = mapped_column(ForeignKey("planogram_versions.id"))
    service_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))


class ApiToken(Base):
    """A bearer token of the HTTP API: its name, one scope, and the SHA-256 of the token (the
    token itself is shown once and never stored). Revoked or expired tokens stay, for the audit."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_in("scope", TOKEN_SCOPES), name="valid_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderCabinetEntry(Base):
    """What a driver has entered so far at one cabinet of an order, saved on every change so
    a dropped connection loses nothing: delivered quantities per slot (JSON ``{slot: n}``), a
    note, an exception and the follow-up order it opened, whether the cabinet is done."""

    __tablename__ = "order_cabinet_entries"
    __table_args__ = (
        CheckConstraint(
            "exception_kind IS NULL OR " + _in("exception_kind", EXCEPTION_KINDS),
            name="valid_exception",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_cabinet_id: Mapped[int] = mapped_column(
        ForeignKey("service_order_cabinets.id"), unique=True
    )
    delivered: Mapped[str] = mapped_column(Text, default="{}")
    note: Mapped[str] = mapped_column(Text, default="")
    exception_kind: Mapped[str | None] = mapped_column(String(16))
    exception_note: Mapped[str] = mapped_column(Text, default="")
    follow_up_order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class OrderPhoto(Base):
    """A before or after photo of a cabinet on an order; the file is stored by content under
    the photos root (``<sha256[:2]>/<sha256>.<file_type>``, see ``operations.photos``)."""

    __tablename__ = "order_photos"
    __table_args__ = (
        CheckConstraint(_in("kind", PHOTO_KINDS), name="valid_kind"),
        CheckConstraint(_in("file_type", PHOTO_TYPES), name="valid_file_type"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_order_photos_order_id_cabinet_id", "order_id", "cabinet_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_orders.id"))
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("cabinets.id"))
    kind: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    file_type: Mapped[str] = mapped_column(String(8))
    size_bytes: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64))


class Alert(Base):
    """A condition a rule found (a machine silent, a core product sold out, ...), until resolved.

    At most one alert per (rule, subject) is live (open or acknowledged): a partial unique index
    holds that, so a rule that finds the same thing again refreshes ``last_seen_at`` instead.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("state", ALERT_STATES), name="valid_state"),
        CheckConstraint(_in("severity", ALERT_SEVERITIES), name="valid_severity"),
        CheckConstraint(
            "(state = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_has_time"
        ),
        Index(
            "uq_alerts_one_live",
            "rule",
            "subject_key",
            unique=True,
            sqlite_where=text("state <> 'resolved'"),
            postgresql_where=text("state <> 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    subject_key: Mapped[str] = mapped_column(String(200))
    route_code: Mapped[str | None] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    state: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertSubscription(Base):
    """A user's wish to be mailed about one rule, or about every alert of one route."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        CheckConstraint(_in("kind", SUBSCRIPTION_KINDS), name="valid_kind"),
        CheckConstraint(_in("delivery", DELIVERIES), name="valid_delivery"),
        UniqueConstraint("user_id", "kind", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(64))  # a rule name or a route code
    delivery: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class AlertOutbox(Base):
    """One email to send (an alert to one recipient, or one recipient's daily digest).

    ``dedup_key`` is unique, so the same alert is never queued twice for an address; a message
    stays ``queued`` (retried with backoff) until the SMTP server accepted it.
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (
        CheckConstraint(_in("state", OUTBOX_STATES), name="valid_state"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CashCollection(Base):
    """One emptying of a machine's cash box: what the driver counted (bills and coins apart,
    the bag it went in) and a manager's reconciliation of it against the machine's counters.

    One collection per machine and moment (``collected_at``), so importing a history twice
    changes nothing. Money in minor units. ``adjusted_cents`` is the counted total a manager
    set after a recount (``reconcile_state`` ``adjusted``, with the reason in the note).
    """

    __tablename__ = "cash_collections"
    __table_args__ = (
        UniqueConstraint("device_id", "collected_at"),
        CheckConstraint(_in("source", COLLECTION_SOURCES), name="valid_source"),
        CheckConstraint(_in("reconcile_state", RECONCILE_STATES), name="valid_reconcile_state"),
        CheckConstraint(
            "(counted_bills_cents IS NULL OR counted_bills_cents >= 0)"
            " AND (counted_coins_cents IS NULL OR counted_coins_cents >= 0)"
            " AND (counted_cents IS NULL OR counted_cents >= 0)"
            " AND (adjusted_cents IS NULL OR adjusted_cents >= 0)",
            name="amounts_not_negative",
        ),
        CheckConstraint(
            "(reconcile_state = 'adjusted') = (adjusted_cents IS NOT NULL)",
            name="adjusted_has_amount",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"), index=True)
    route_code: Mapped[str | None] = mapped_column(String(64), index=True)
    driver: Mapped[str | None] = mapped_column(String(64))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counted_bills_cents: Mapped[int | None] = mapped_column(Integer)
    counted_coins_cents: Mapped[int | None] = mapped_column(Integer)
    # the total counted (bills + coins, or the total alone from a system that kept no split);
    # NULL: emptied but not counted yet
    counted_cents: Mapped[int | None] = mapped_column(Integer)
    bag: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    reconcile_state: Mapped[str] = mapped_column(String(16), default="pending")
    reconcile_note: Mapped[str] = mapped_column(Text, default="")
    adjusted_cents: Mapped[int | None] = mapped_column(Integer)
    reconciled_by: Mapped[str | None] = mapped_column(String(64))
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))

    device: Mapped[Device] = relationship()


class AskedQuestion(Base):
    """One question put to Ask CVD (or one query run there): who, when, what ran, how it ended,
    and what the model call cost. Written once, never changed."""

    __tablename__ = "asked_questions"
    __table_args__ = (CheckConstraint(_in("source", QUESTION_SOURCES), name="valid_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_by: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)  # the question, or the report's id
    sql: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str | None] = mapped_column(String(64))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
