"""Passwords, sign-in and sessions.

Passwords are hashed with Argon2id (argon2-cffi's current defaults); a hash made with other
parameters is replaced at the next successful sign-in. Failed sign-ins are counted per user name
and address, per address and per account (see ``operations.throttle``). A sign-in returns a
random bearer token, stored only as its SHA-256, valid for ``SESSION_LIFETIME``.

Every refusal reads the same (:data:`SIGN_IN_FAILED`) and, except for an address refused for
spraying, costs one Argon2 verification: an unknown name and a locked account verify against a
dummy or the real hash like a wrong password does, so neither message nor timing tells which
accounts exist or are locked. The slow verification runs outside any transaction: a sign-in
holds SQLite's write lock only for the few statements that record its outcome. Checking a
session on every request only reads, and writes ``last_seen_at`` at most once a minute.

A password an admin set (:func:`operations.services.users.reset_password`) is temporary: the
session it opens carries ``must_change_password`` and may do nothing but
:func:`change_password` (``operations.permissions.require`` refuses the rest). Changing a
password needs the current one and ends the user's other sessions.

Hashing is slow by design. Test suites may call :func:`use_fast_hashing_for_tests` once (it is
the only way to weaken the parameters, and it says so in its name).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from operations import audit, passwords, throttle
from operations.db import DbTarget, reading, transaction
from operations.errors import AuthenticationError, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import User, UserSession, utcnow

# The lockout policy lives in operations.throttle; the sign-in page quotes it from here.
MAX_FAILED_LOGINS = throttle.MAX_FAILED_LOGINS
LOCKOUT = throttle.LOCKOUT
SIGN_IN_FAILED = "wrong user name or password"
SESSION_LIFETIME = timedelta(hours=12)
LAST_SEEN_EVERY = timedelta(minutes=1)
MAX_USERNAME_LENGTH = 64
ANONYMOUS = "anonymous"  # the audit actor of a failed sign-in under a name that has no account
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
WRONG_CURRENT = "the current password is wrong"

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_dummy_hash: str | None = None


def use_fast_hashing_for_tests() -> None:
    """Switch to cheap Argon2 parameters. For test suites only: never call it in production."""
    global _hasher, _dummy_hash  # noqa: PLW0603 - a process-wide, explicit test switch
    _hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    _dummy_hash = None


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
    """A random password (120 bits) for a new account or a reset, shown once."""
    while True:  # a random 20 characters is never on the list, but the policy decides
        password = secrets.token_urlsafe(15)
        try:
            return passwords.check_password(password)
        except ValidationError:  # pragma: no cover - astronomically unlikely
            continue


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class _Account:
    """What the sign-in reads about an account (plain values: no session outlives the read)."""

    id: int
    username: str
    role: str
    password_hash: str
    locked_until: datetime | None
    must_change_password: bool


def _actor(user: User | _Account) -> Actor:
    return Actor(
        username=user.username,
        role=user.role,
        user_id=user.id,
        must_change_password=bool(user.must_change_password),
    )


def _dummy() -> str:
    global _dummy_hash  # noqa: PLW0603 - lazily computed once per hasher
    _dummy_hash = _dummy_hash or hash_password(secrets.token_hex(8))
    return _dummy_hash


def authenticate(
    db: DbTarget,
    username: str,
    password: str,
    *,
    address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check the password and return a new session token; count and audit every failure.

    ``address`` and ``user_agent`` describe the client (None when unknown, e.g. the command
    line); they key the throttle and go into the audit rows. Every failure raises
    :class:`AuthenticationError` with :data:`SIGN_IN_FAILED`.
    """
    moment = now or utcnow()
    name = str(username)[:MAX_USERNAME_LENGTH]
    where = (address or "")[: audit.MAX_ADDRESS]
    with audit.origin(address, user_agent):
        account, standing = _read_attempt(db, name, where, moment)
        refusal = _refusal(account, standing, moment)
        matched = False
        if not standing.address_refused:  # that refusal says nothing about the account: no hash
            matched = verify_password(account.password_hash if account else _dummy(), password)
        if account is not None and matched and refusal is None:
            # A hash with other parameters is replaced now, while the password is at hand.
            rehashed = hash_password(password) if _needs_rehash(account.password_hash) else None
            client = (where or None, (user_agent or "")[: audit.MAX_USER_AGENT] or None)
            token = _open_session(db, account, client, rehashed, moment)
            if token is not None:
                return token
            refusal = "account deactivated"
        _record_failure(db, account, name, where, reason=refusal or "wrong password", moment=moment)
    raise AuthenticationError(SIGN_IN_FAILED)


def _read_attempt(
    db: DbTarget, name: str, address: str, moment: datetime
) -> tuple[_Account | None, throttle.Standing]:
    """The account named (None if there is none) and the throttle's counters: reads only."""
    with reading(db) as session:
        user = session.scalars(
            select(User).where(User.username == name, User.deleted_at.is_(None))
        ).one_or_none()
        standing = throttle.standing(session, name, address, moment)
        if user is None:
            return None, standing
        account = _Account(
            user.id,
            user.username,
            user.role,
            user.password_hash,
            user.locked_until,
            user.must_change_password,
        )
        return account, standing


def _refusal(account: _Account | None, standing: throttle.Standing, moment: datetime) -> str | None:
    """Why the attempt fails whatever the password (None: the password decides)."""
    if standing.address_refused:
        return "address refused: too many failures"
    if account is None:
        return "unknown user name"
    if standing.pair_locked:
        return "locked for this address"
    account_locked = account.locked_until is not None and account.locked_until > moment
    if account_locked and not standing.known_address:
        return "account locked, address not known"
    return None


def _needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _open_session(
    db: DbTarget,
    account: _Account,
    client: tuple[str | None, str | None],
    rehashed: str | None,
    moment: datetime,
) -> str | None:
    """Record a successful sign-in from ``client`` (address, user agent); the new token, or
    None if the account is gone meanwhile."""
    token = secrets.token_urlsafe(32)
    address, user_agent = client
    with transaction(db) as session:
        if not throttle.clear_after_success(
            session, account.id, account.username, address or "", moment
        ):
            return None
        if rehashed is not None:  # only if nobody changed the password in between
            session.execute(
                update(User)
                .where(User.id == account.id, User.password_hash == account.password_hash)
                .values(password_hash=rehashed)
                .execution_options(synchronize_session=False)
            )
        session.add(
            UserSession(
                token_hash=_token_hash(token),
                user_id=account.id,
                created_at=moment,
                expires_at=moment + SESSION_LIFETIME,
                last_seen_at=moment,
                address=address,
                user_agent=user_agent,
            )
        )
        audit.record(
            session, _actor(account), "login", "user", account.username,
            after={"rehashed": True} if rehashed else None,
        )  # fmt: skip
    return token


def _record_failure(
    db: DbTarget,
    account: _Account | None,
    name: str,
    address: str,
    *,
    reason: str,
    moment: datetime,
) -> None:
    """Count the failure on every counter, audit it, and audit any lock it set."""
    with transaction(db) as session:
        locks = []
        for scope in (throttle.PAIR, throttle.ADDRESS):
            count = throttle.count_failure(session, scope, name, address, moment)
            if count.failures == throttle.LIMITS[scope]:
                locks.append({"scope": scope, "until": count.locked_until})
        if account is not None:
            count = throttle.count_account_failure(session, account.id, moment)
            if count.failures == throttle.ACCOUNT_MAX_FAILURES:
                locks.append({"scope": "account", "until": count.locked_until})
        actor = _actor(account) if account else Actor(username=ANONYMOUS, role=ANONYMOUS)
        audit.record(session, actor, "login_failed", "user", name, after={"reason": reason})
        for lock in locks:
            audit.record(session, actor, "lockout", "user", name, after=lock)


def user_for_session(db: DbTarget, token: str, *, now: datetime | None = None) -> Actor:
    """The signed-in user of ``token``; :class:`AuthenticationError` if unknown/expired/revoked.

    Only reads, except that it refreshes ``last_seen_at`` when that is older than
    :data:`LAST_SEEN_EVERY`.
    """
    moment = now or utcnow()
    token_hash = _token_hash(token)
    with reading(db) as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, UserSession.user_id == User.id)
            .where(UserSession.token_hash == token_hash)
        ).one_or_none()
        if row is None:
            raise AuthenticationError("unknown session")
        user_session, user = row
        if user_session.revoked_at is not None or user.deleted_at is not None:
            raise AuthenticationError("session revoked")
        if user_session.expires_at <= moment:
            raise AuthenticationError("session expired")
        actor, last_seen = _actor(user), user_session.last_seen_at
    if last_seen is None or moment - last_seen >= LAST_SEEN_EVERY:
        with transaction(db) as session:
            session.execute(
                update(UserSession)
                .where(UserSession.token_hash == token_hash)
                .values(last_seen_at=moment)
            )
    return actor


def logout(db: DbTarget, token: str, *, reason: str = "sign_out") -> None:
    """Revoke the session of ``token`` and audit why (no error if it is already gone).

    ``reason`` says what ended it: ``sign_out`` (the user) or ``idle`` (the idle timeout).
    """
    with transaction(db) as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, UserSession.user_id == User.id)
            .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
        ).one_or_none()
        if row is None:
            return
        user_session, user = row
        user_session.revoked_at = utcnow()
        audit.record(
            session, _actor(user), "logout", "user", user.username, after={"reason": reason}
        )


def change_password(
    db: DbTarget,
    actor: Actor,
    *,
    current: object,
    new: object,
    keep_token: str | None = None,
) -> None:
    """Change the actor's own password: ``current`` must match, ``new`` must pass the policy.

    Clears a pending forced change and revokes the user's other sessions (all but
    ``keep_token``, the session making the change). A wrong ``current`` is audited as
    ``password_change_failed`` and raises :class:`ValidationError`; nothing else changes.
    """
    require(actor, Action.CHANGE_OWN_PASSWORD)
    with reading(db) as session:
        user = session.scalars(
            select(User).where(User.username == actor.username, User.deleted_at.is_(None))
        ).one_or_none()
        if user is None:
            raise AuthenticationError("no such active account")
        old_hash = user.password_hash
    new_password = passwords.check_password(new, username=actor.username)
    if not isinstance(current, str) or not verify_password(old_hash, current):
        with transaction(db) as session:
            audit.record(session, actor, "password_change_failed", "user", actor.username)
        raise ValidationError("current_password", "***", WRONG_CURRENT)
    if new_password == current:
        raise ValidationError("password", "***", "must differ from the current password")
    new_hash = hash_password(new_password)
    kept = _token_hash(keep_token) if keep_token else None
    with transaction(db) as session:
        changed = session.execute(
            update(User)
            .where(User.username == actor.username, User.password_hash == old_hash)
            .values(password_hash=new_hash, must_change_password=False)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined] # rowcount of an UPDATE result
            raise AuthenticationError("the password was changed meanwhile: sign in again")
        revoked = revoke_sessions(session, user.id, moment=utcnow(), keep=kept)
        audit.record(
            session, actor, "change_password", "user", actor.username,
            after={"sessions_revoked": revoked},
        )  # fmt: skip


def revoke_sessions(
    session: Session, user_id: int, *, moment: datetime, keep: str | None = None
) -> int:
    """Revoke every open session of ``user_id`` but the one whose hash is ``keep``; how many."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.token_hash != keep)
    result = session.execute(query.values(revoked_at=moment))
    return int(result.rowcount)  # type: ignore[attr-defined] # rowcount of an UPDATE result
