"""Passwords, lockout and sessions.

Passwords are hashed with Argon2id (argon2-cffi's current defaults). After ``MAX_FAILED_LOGINS``
wrong passwords in a row an account is locked for ``LOCKOUT``; a sign-in returns a random bearer
token, stored only as its SHA-256, valid for ``SESSION_LIFETIME``.

Hashing is slow by design. Test suites may call :func:`use_fast_hashing_for_tests` once (it is
the only way to weaken the parameters, and it says so in its name).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from operations import audit
from operations.db import DbTarget, transaction
from operations.errors import AuthenticationError, ValidationError
from operations.permissions import Actor
from operations.schema import User, UserSession, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_dummy_hash: str | None = None


def use_fast_hashing_for_tests() -> None:
    """Switch to cheap Argon2 parameters. For test suites only: never call it in production."""
    global _hasher, _dummy_hash  # noqa: PLW0603 - a process-wide, explicit test switch
    _hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    _dummy_hash = None


def check_password_strength(password: object) -> str:
    """Refuse passwords that are not text, too short or absurdly long."""
    if not isinstance(password, str):
        raise ValidationError("password", "***", f"must be text, not {type(password).__name__}")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            "password", "***", f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return password


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted, parameters embedded)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password for a new account (shown once by `cvd users add`)."""
    return secrets.token_urlsafe(15)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(user: User) -> Actor:
    return Actor(username=user.username, role=user.role, user_id=user.id)


def authenticate(db: DbTarget, username: str, password: str, *, now: datetime | None = None) -> str:
    """Check the password and return a new session token; count failures and lock the account.

    Raises :class:`AuthenticationError` with the same message for an unknown user and a wrong
    password; a locked account says it is locked and until when.
    """
    global _dummy_hash  # noqa: PLW0603 - lazily computed once per hasher
    moment = now or utcnow()
    failure: str | None = None
    with transaction(db) as session:
        user = session.scalars(
            select(User).where(User.username == username, User.deleted_at.is_(None))
        ).one_or_none()
        if user is None:
            _dummy_hash = _dummy_hash or hash_password(secrets.token_hex(8))
            verify_password(_dummy_hash, password)
            raise AuthenticationError("wrong user name or password")
        if user.locked_until is not None and user.locked_until > moment:
            raise AuthenticationError(f"account {username} is locked until {user.locked_until}")
        if verify_password(user.password_hash, password):
            token = secrets.token_urlsafe(32)
            user.failed_logins = 0
            user.locked_until = None
            session.add(
                UserSession(
                    token_hash=_token_hash(token),
                    user_id=user.id,
                    created_at=moment,
                    expires_at=moment + SESSION_LIFETIME,
                )
            )
            audit.record(session, _actor(user), "login", "user", username)
            return token
        user.failed_logins += 1
        failure = "wrong user name or password"
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = moment + LOCKOUT
            user.failed_logins = 0
            failure = f"account {username} is locked until {user.locked_until}"
        audit.record(
            session, _actor(user), "login_failed", "user", username, after={"result": failure}
        )
    # The failure is committed above; only then is it reported.
    raise AuthenticationError(failure)


def user_for_session(db: DbTarget, token: str, *, now: datetime | None = None) -> Actor:
    """The signed-in user of ``token``; :class:`AuthenticationError` if unknown/expired/revoked."""
    moment = now or utcnow()
    with transaction(db) as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, UserSession.user_id == User.id)
            .where(UserSession.token_hash == _token_hash(token))
        ).one_or_none()
        if row is None:
            raise AuthenticationError("unknown session")
        user_session, user = row
        if user_session.revoked_at is not None or user.deleted_at is not None:
            raise AuthenticationError("session revoked")
        if user_session.expires_at <= moment:
            raise AuthenticationError("session expired")
        return _actor(user)


def logout(db: DbTarget, token: str) -> None:
    """Revoke the session of ``token`` (no error if it is already gone)."""
    with transaction(db) as session:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
