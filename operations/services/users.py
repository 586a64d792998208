"""User accounts (admins only): add, change role, unlock, deactivate, list."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from operations import audit, throttle
from operations import validation as check
from operations.auth import check_password_strength, hash_password
from operations.db import DbTarget, transaction
from operations.errors import ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import ROLES, User, UserSession, utcnow
from operations.services.records import live, soft_delete


def add_user(
    db: DbTarget, actor: Actor, *, username: object, role: object, password: object
) -> User:
    """Create an account with ``role`` (admin, manager, driver, viewer)."""
    require(actor, Action.MANAGE_USERS)
    name = check.username("username", username)
    role_name = check.choice("role", role, ROLES)
    password_hash = hash_password(check_password_strength(password))
    with transaction(db) as session:
        if session.scalars(select(User).where(User.username == name)).one_or_none() is not None:
            raise ValidationError("username", name, "is already taken")
        user = User(username=name, role=role_name, password_hash=password_hash, failed_logins=0)
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


def deactivate_user(db: DbTarget, actor: Actor, username: str) -> None:
    """Soft-delete the account and revoke its sessions."""
    require(actor, Action.MANAGE_USERS)
    with transaction(db) as session:
        user = live(session, User, "user", username=username)
        if username == actor.username:
            raise ValidationError("username", username, "an admin cannot deactivate themselves")
        if _last_active_admin(session, user):
            raise ValidationError(
                "username", username, "is the last active admin: make another admin first"
            )
        session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        soft_delete(session, actor, user, "user", username)


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


def list_users(db: DbTarget, actor: Actor) -> list[User]:
    """Active accounts by user name."""
    require(actor, Action.READ_USERS)
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.username)
    with transaction(db) as session:
        return list(session.scalars(query))
