"""Who is mailed about which alerts: a user subscribes to a rule or to a route, at once or daily.

Each user manages only their own subscriptions (drivers and viewers too: it is their inbox). The
address is checked to be one plain address on one line, so it can never add a header.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import Conflict, NotFound, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import DELIVERIES, SUBSCRIPTION_KINDS, AlertSubscription, User
from operations.services.records import live

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MAX_EMAIL = 254
ENTITY = "alert_subscription"


def email_address(value: object) -> str:
    """One plain address (``name@host.domain``), no display name, no spaces or line breaks."""
    if not isinstance(value, str) or len(value) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(value):
        raise ValidationError("email", value, "must be one address like name@example.com")
    return value


def _user_id(actor: Actor) -> int:
    if actor.user_id is not None:
        return actor.user_id
    raise ValidationError("user", actor.username, "only a signed-in user can subscribe")


def subscribe(
    db: DbTarget, actor: Actor, *, kind: object, target: object, delivery: object, email: object
) -> AlertSubscription:
    """Subscribe ``actor`` to a rule (``kind='rule'``) or a route (``kind='route'``)."""
    require(actor, Action.SUBSCRIBE_ALERTS)
    clean_kind = check.choice("kind", kind, SUBSCRIPTION_KINDS)
    clean_target = check.code("target", target)
    clean_delivery = check.choice("delivery", delivery, DELIVERIES)
    address = email_address(email)
    with transaction(db) as session:
        user_id = _user_id(actor)
        live(session, User, "user", id=user_id)
        existing = session.scalars(
            select(AlertSubscription).filter_by(
                user_id=user_id, kind=clean_kind, target=clean_target
            )
        ).one_or_none()
        if existing is not None:
            raise Conflict(f"{actor.username} already subscribes to {clean_kind} {clean_target}")
        row = AlertSubscription(
            user_id=user_id,
            kind=clean_kind,
            target=clean_target,
            delivery=clean_delivery,
            email=address,
        )
        session.add(row)
        session.flush()
        audit.record(session, actor, "subscribe", ENTITY, row.id, after=audit.snapshot(row))
        return row


def unsubscribe(db: DbTarget, actor: Actor, subscription_id: object) -> None:
    """Remove one of ``actor``'s own subscriptions."""
    require(actor, Action.SUBSCRIBE_ALERTS)
    number = check.integer("subscription_id", subscription_id, minimum=1, maximum=2**31 - 1)
    with transaction(db) as session:
        row = session.get(AlertSubscription, number)
        if row is None or row.user_id != actor.user_id:
            raise NotFound(ENTITY, number)
        before = audit.snapshot(row)
        session.delete(row)
        session.flush()
        audit.record(session, actor, "unsubscribe", ENTITY, number, before=before)


def list_subscriptions(db: DbTarget, actor: Actor) -> list[AlertSubscription]:
    """``actor``'s own subscriptions."""
    require(actor, Action.SUBSCRIBE_ALERTS)
    with reading(db) as session:
        query = select(AlertSubscription).where(AlertSubscription.user_id == actor.user_id)
        return list(session.scalars(query.order_by(AlertSubscription.id)))
