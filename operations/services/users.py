"""User accounts (admins only): add, change role or email, reset a password, unlock,
deactivate (handing the user's open orders to another driver) and reactivate, list; the
sessions of each user, and revoking one. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from operations import audit, passwords, throttle
from operations import validation as check
from operations.auth import generate_password, hash_password, revoke_sessions
from operations.db import DbTarget, transaction
from operations.errors import NotFound, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import ROLES, ServiceOrder, User, UserSession, utcnow
from operations.services.records import live, soft_delete

OPEN_ORDER_STATUSES = ("draft", "scheduled", "in_progress")
SESSION_ID_LENGTH = 16  # hex characters of the token's SHA-256 that name a session


@dataclass(frozen=True)
class SessionInfo:
    """An open session as admins see it (never the token, nor its whole hash)."""

    session_id: str
    username: str
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    address: str | None
    user_agent: str | None


def add_user(
    db: DbTarget,
    actor: Actor,
    *,
    username: object,
    role: object,
    password: object,
    email: object = None,
) -> User:
    """Create an account with ``role`` (admin, manager, driver, viewer) and optional email."""
    require(actor, Action.MANAGE_USERS)
    name = check.username("username", username)
    role_name = check.choice("role", role, ROLES)
    address = _email(email)
    password_hash = hash_password(passwords.check_password(password, username=name))
    with transaction(db) as session:
        if session.scalars(select(User).where(User.username == name)).one_or_none() is not None:
            raise ValidationError("username", name, "is already taken")
        user = User(
            username=name,
            role=role_name,
            password_hash=password_hash,
            failed_logins=0,
            email=address,
            must_change_password=False,
        )
        session.add(user)
        session.flush()
        audit.record(session, actor, "create", "user", name, after=audit.snapshot(user))
        return user


def set_role(db: DbTarget, actor: Actor, username: str, role: object) -> User:
    """Change a user's role."""
    require(actor, Action.MANAGE_USERS)
    role_name = check.choice("role", role, ROLES)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        if role_name != "admin" and _last_active_admin(session, user):
            raise ValidationError(
                "role", role_name, f"{username} is the last active admin: make another admin first"
            )
        before = audit.snapshot(user)
        user.role = role_name
        session.flush()
        audit.record(
            session, actor, "update", "user", username, before=before, after=audit.snapshot(user)
        )
        return user


def unlock_user(db: DbTarget, actor: Actor, username: str) -> None:
    """Lift every sign-in lock on the account: its own and those per address (audited)."""
    require(actor, Action.MANAGE_USERS)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
        throttle.unlock(session, user.id, username)
        audit.record(session, actor, "unlock", "user", username, before=before)


def _email(value: object) -> str | None:
    """A checked email address; None or blank means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check.email("email", value)


def set_email(db: DbTarget, actor: Actor, username: str, email: object) -> User:
    """Set (or, with None or blank, clear) a user's email address."""
    require(actor, Action.MANAGE_USERS)
    address = _email(email)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        before = {"email": user.email}
        user.email = address
        audit.record(
            session, actor, "update", "user", username, before=before, after={"email": address}
        )
        return user


def reset_password(db: DbTarget, actor: Actor, username: str) -> str:
    """Give the user a temporary password (returned once, to hand over) that must be changed at
    the next sign-in; ends their sessions and lifts their sign-in locks."""
    require(actor, Action.RESET_PASSWORD)
    temporary = generate_password()
    password_hash = hash_password(temporary)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        user.password_hash = password_hash
        user.must_change_password = True
        throttle.unlock(session, user.id, username)
        revoked = revoke_sessions(session, user.id, moment=utcnow())
        audit.record(
            session, actor, "reset_password", "user", username,
            after={"must_change_password": True, "sessions_revoked": revoked},
        )  # fmt: skip
    return temporary


def deactivate_user(
    db: DbTarget, actor: Actor, username: str, *, reassign_to: str | None = None
) -> list[int]:
    """Soft-delete the account and revoke its sessions; return the ids of the orders moved.

    A user who holds open orders (draft, scheduled, in progress) cannot be deactivated alone:
    ``reassign_to`` names the active driver who takes them over, in the same transaction.
    """
    require(actor, Action.MANAGE_USERS)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        if username == actor.username:
            raise ValidationError("username", username, "an admin cannot deactivate themselves")
        if _last_active_admin(session, user):
            raise ValidationError(
                "username", username, "is the last active admin: make another admin first"
            )
        moved = _hand_over_open_orders(session, actor, username, reassign_to)
        revoke_sessions(session, user.id, moment=utcnow())
        soft_delete(session, actor, user, "user", username)
        return moved


def _hand_over_open_orders(
    session: Session, actor: Actor, username: str, reassign_to: str | None
) -> list[int]:
    """Give ``username``'s open orders to ``reassign_to`` (required if there are any)."""
    held = list(
        session.scalars(
            select(ServiceOrder)
            .where(
                ServiceOrder.driver_username == username,
                ServiceOrder.status.in_(OPEN_ORDER_STATUSES),
            )
            .order_by(ServiceOrder.id)
        )
    )
    if reassign_to is None:
        if held:
            ids = ", ".join(str(order.id) for order in held)
            raise ValidationError(
                "reassign_to", None,
                f"{username} holds {len(held)} open orders ({ids}): name the driver who takes "
                "them over",
            )  # fmt: skip
        return []
    driver = check.username("reassign_to", reassign_to)
    if driver == username:
        raise ValidationError("reassign_to", driver, "is the user being deactivated")
    require(actor, Action.ASSIGN_ORDER)
    require_driver(session, "reassign_to", driver)
    for order in held:
        order.driver_username = driver
        audit.record(
            session, actor, Action.ASSIGN_ORDER.value, "service_order", order.id,
            before={"driver_username": username},
            after={"driver_username": driver, "reason": f"{username} deactivated"},
        )  # fmt: skip
    return [order.id for order in held]


def reactivate_user(db: DbTarget, actor: Actor, username: str) -> User:
    """Undo a deactivation: the account signs in again with its old password."""
    require(actor, Action.MANAGE_USERS)
    with transaction(db) as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFound("user", username)
        if user.deleted_at is None:
            raise ValidationError("username", username, "is already active")
        before = audit.snapshot(user)
        user.deleted_at = None
        user.deleted_by = None
        session.flush()
        audit.record(
            session, actor, "reactivate", "user", username,
            before=before, after=audit.snapshot(user),
        )  # fmt: skip
        return user


def list_sessions(db: DbTarget, actor: Actor, username: str | None = None) -> list[SessionInfo]:
    """Open sessions (not revoked, not expired) of active users, newest first; one user's if
    ``username`` is given."""
    require(actor, Action.READ_SESSIONS)
    query = (
        select(UserSession, User.username)
        .join(User, UserSession.user_id == User.id)
        .where(
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.deleted_at.is_(None),
        )
        .order_by(UserSession.created_at.desc())
    )
    if username is not None:
        query = query.where(User.username == username)
    with transaction(db) as session:
        return [
            SessionInfo(
                session_id=row.token_hash[:SESSION_ID_LENGTH],
                username=name,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                expires_at=row.expires_at,
                address=row.address,
                user_agent=row.user_agent,
            )
            for row, name in session.execute(query)
        ]


def revoke_session(db: DbTarget, actor: Actor, session_id: object) -> str:
    """Revoke the open session named ``session_id`` (see :class:`SessionInfo`); its user name."""
    require(actor, Action.REVOKE_SESSION)
    if not isinstance(session_id, str) or len(session_id) != SESSION_ID_LENGTH:
        raise ValidationError("session_id", session_id, f"must be {SESSION_ID_LENGTH} hex digits")
    prefix = session_id.lower()
    with transaction(db) as session:
        found = session.execute(
            select(UserSession, User.username)
            .join(User, UserSession.user_id == User.id)
            .where(
                func.substr(UserSession.token_hash, 1, SESSION_ID_LENGTH) == prefix,
                UserSession.revoked_at.is_(None),
            )
        ).all()
        if len(found) != 1:
            raise NotFound("session", session_id)
        user_session, username = found[0]
        user_session.revoked_at = utcnow()
        audit.record(session, actor, "revoke_session", "user", username, after={"session": prefix})
        return str(username)


def require_driver(session: Session, field: str, name: str, *, missing_ok: bool = False) -> None:
    """Refuse ``name`` for ``field`` unless it is an active account with the driver role
    (``missing_ok``: or no account at all)."""
    user = session.scalars(select(User).where(User.username == name)).one_or_none()
    if user is None:
        if missing_ok:
            return
        raise ValidationError(field, name, "no such user account")
    if user.deleted_at is not None:
        raise ValidationError(field, name, "the account is deactivated")
    if user.role != "driver":
        raise ValidationError(field, name, f"the account's role is {user.role}, not driver")


def _last_active_admin(session: Session, user: User) -> bool:
    if user.role != "admin" or user.deleted_at is not None:
        return False
    admins = select(func.count()).select_from(User)
    admins = admins.where(User.role == "admin", User.deleted_at.is_(None))
    return session.scalar(admins) == 1


def list_users(db: DbTarget, actor: Actor, *, include_deactivated: bool = False) -> list[User]:
    """Active accounts by user name (and deactivated ones too, if asked)."""
    require(actor, Action.READ_USERS)
    query = select(User).order_by(User.username)
    if not include_deactivated:
        query = query.where(User.deleted_at.is_(None))
    with transaction(db) as session:
        return list(session.scalars(query))
