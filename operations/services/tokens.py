"""API tokens (admins only): add, list, revoke; and the check of a token on every API request.

A token is ``secrets.token_urlsafe(32)``, shown once by :func:`add_token`; only its SHA-256 is
stored. A request's token is looked up by that hash (an index look-up, so the time taken does
not depend on how much of a guess is right) and the stored hash is compared again in constant
time. Every change and every use is audited: a use as ``use`` (or ``use_denied`` for an expired
or revoked token or the wrong scope) on entity ``api_token`` by actor ``token:NAME``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import TOKEN_SCOPES, ApiToken, utcnow

ENTITY = "api_token"


def token_hash(token: str) -> str:
    """The stored form of ``token``: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _expiry(expires: date | datetime | None) -> datetime | None:
    """A date means "valid through that day (UTC)"; a datetime is taken as it is."""
    if expires is None or isinstance(expires, datetime):
        return expires
    return datetime.combine(expires + timedelta(days=1), time(), tzinfo=UTC)


def add_token(
    db: DbTarget,
    actor: Actor,
    *,
    name: object,
    scope: object,
    expires: date | datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token named ``name`` with one ``scope`` (intake, read, metrics); returns the
    record and the token, which is never shown again."""
    require(actor, Action.MANAGE_TOKENS)
    token_name = check.username("name", name)
    token_scope = check.choice("scope", scope, TOKEN_SCOPES)
    expires_at = _expiry(expires)
    moment = now or utcnow()
    if expires_at is not None and expires_at <= moment:
        raise ValidationError("expires", expires, "lies in the past")
    token = secrets.token_urlsafe(32)
    with transaction(db) as session:
        taken = session.scalars(select(ApiToken).where(ApiToken.name == token_name)).one_or_none()
        if taken is not None:
            state = "a revoked token" if taken.revoked_at else "a token"
            raise ValidationError("name", token_name, f"is already taken by {state}")
        record = ApiToken(
            name=token_name,
            scope=token_scope,
            token_hash=token_hash(token),
            created_at=moment,
            created_by=actor.username,
            expires_at=expires_at,
        )
        session.add(record)
        session.flush()
        audit.record(session, actor, "create", ENTITY, token_name, after=audit.snapshot(record))
        return record, token


def list_tokens(db: DbTarget, actor: Actor) -> list[ApiToken]:
    """Every token, revoked and expired ones too, by name."""
    require(actor, Action.MANAGE_TOKENS)
    with transaction(db) as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(db: DbTarget, actor: Actor, name: str) -> ApiToken:
    """Revoke the token ``name`` at once (already revoked: :class:`ValidationError`)."""
    require(actor, Action.MANAGE_TOKENS)
    with transaction(db) as session:
        record = session.scalars(select(ApiToken).where(ApiToken.name == name)).one_or_none()
        if record is None:
            raise NotFound(ENTITY, name)
        if record.revoked_at is not None:
            raise ValidationError("name", name, f"was revoked already, at {record.revoked_at}")
        before = audit.snapshot(record)
        record.revoked_at = utcnow()
        record.revoked_by = actor.username
        session.flush()
        audit.record(
            session, actor, "revoke", ENTITY, name, before=before, after=audit.snapshot(record)
        )
        return record


@dataclass(frozen=True)
class TokenUse:
    """Who a request's token belongs to."""

    name: str
    scope: str


def use_token(
    db: DbTarget, token: str, scope: str, *, use: str, now: datetime | None = None
) -> TokenUse:
    """Check ``token`` for ``scope`` and audit the use (``use`` says what, e.g. the request's
    method and path). Raises :class:`AuthenticationError` for an unknown, expired or revoked
    token and :class:`PermissionDenied` for a token of another scope; a denial of a known token
    is audited too (and committed) before it is raised."""
    moment = now or utcnow()
    wanted = token_hash(token)
    denial: Exception | None = None
    with transaction(db) as session:
        record = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == wanted)
        ).one_or_none()
        if record is None or not hmac.compare_digest(record.token_hash, wanted):
            raise AuthenticationError("unknown API token")
        actor = Actor(username=f"token:{record.name}", role="token")
        if record.revoked_at is not None:
            denial = AuthenticationError(f"API token {record.name} was revoked")
        elif record.expires_at is not None and record.expires_at <= moment:
            denial = AuthenticationError(f"API token {record.name} expired")
        elif record.scope != scope:
            denial = PermissionDenied(
                actor.username, f"scope {record.scope}", f"use scope {scope}", use
            )
        if denial is not None:
            after = {"use": use, "refused": str(denial)}
            audit.record(session, actor, "use_denied", ENTITY, record.name, after=after)
        else:
            record.last_used_at = moment
            audit.record(session, actor, "use", ENTITY, record.name, after={"use": use})
            return TokenUse(record.name, record.scope)
    raise denial
