"""Failed sign-ins, counted atomically, and the locks they lead to.

Three counters, so that nobody can use the lockout to keep someone else out:

- per user name and address (``pair``): after :data:`MAX_FAILED_LOGINS` failures within
  :data:`WINDOW` that name is locked from that address for :data:`LOCKOUT`; the same user signs
  in from any other address;
- per address: after :data:`ADDRESS_MAX_FAILURES` failures, whatever the names, the address is
  refused for :data:`LOCKOUT` (one client spraying names);
- per account (``users.failed_logins``, since the last success): after
  :data:`ACCOUNT_MAX_FAILURES` the account is locked for addresses it has not signed in from
  within :data:`KNOWN_ADDRESS_FOR` (many clients guessing one password).

Every counter is one ``INSERT ... ON CONFLICT DO UPDATE`` or ``UPDATE ... SET n = n + 1`` with
``RETURNING``, so parallel failures never overwrite each other's count (PostgreSQL takes the row
lock inside the statement; SQLite runs one writer at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    case,
    delete,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from operations.schema import SignInThrottle, User, UTCDateTime

MAX_FAILED_LOGINS = 5
ADDRESS_MAX_FAILURES = 30
ACCOUNT_MAX_FAILURES = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
KNOWN_ADDRESS_FOR = timedelta(days=30)
PAIR, ADDRESS = "pair", "address"
LIMITS = {PAIR: MAX_FAILED_LOGINS, ADDRESS: ADDRESS_MAX_FAILURES}


@dataclass(frozen=True)
class Standing:
    """What the counters say about one sign-in attempt before its password is checked."""

    address_refused: bool  # the address failed too often, whatever the name
    pair_locked: bool  # this name failed too often from this address
    known_address: bool  # the user signed in from this address recently


@dataclass(frozen=True)
class Count:
    """A counter after one more failure: how many, and the lock it set (if any)."""

    failures: int
    locked_until: datetime | None


def _key(scope: str, username: str, address: str) -> tuple[str, str, str]:
    return (scope, username if scope == PAIR else "", address)


def standing(session: Session, username: str, address: str, moment: datetime) -> Standing:
    """Read (never write) the pair and address counters for an attempt at ``moment``."""
    table = SignInThrottle
    rows = {
        row.scope: row
        for row in session.scalars(
            select(table).where(
                or_(
                    and_(table.scope == PAIR, table.username == username),
                    and_(table.scope == ADDRESS, table.username == ""),
                ),
                table.address == address,
            )
        )
    }
    pair, by_address = rows.get(PAIR), rows.get(ADDRESS)

    def locked(row: SignInThrottle | None) -> bool:
        return row is not None and row.locked_until is not None and row.locked_until > moment

    known = (
        pair is not None
        and pair.last_success_at is not None
        and pair.last_success_at > moment - KNOWN_ADDRESS_FOR
    )
    return Standing(locked(by_address), locked(pair), known)


def _insert_for(session: Session) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    table = SignInThrottle.__table__
    assert isinstance(table, Table)  # a mapped class's table, not a subquery
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _unlocked(
    locked_until: ColumnElement[datetime | None], moment: datetime
) -> ColumnElement[bool]:
    # A lock runs its course: failures while locked do not extend it.
    return or_(locked_until.is_(None), locked_until <= moment)


def count_failure(
    session: Session, scope: str, username: str, address: str, moment: datetime
) -> Count:
    """One more failure on the ``scope`` counter; lock it for :data:`LOCKOUT` at its limit."""
    table = SignInThrottle.__table__
    scope_key, name_key, address_key = _key(scope, username, address)
    at = literal(moment, UTCDateTime())
    stale = table.c.window_started_at <= moment - WINDOW
    failures = case((stale, 1), else_=table.c.failures + 1)
    statement = (
        _insert_for(session)
        .values(
            scope=scope_key,
            username=name_key,
            address=address_key,
            failures=1,
            window_started_at=moment,
            locked_until=moment + LOCKOUT if LIMITS[scope] <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=["scope", "username", "address"],
            set_={
                "failures": failures,
                "window_started_at": case((stale, at), else_=table.c.window_started_at),
                "locked_until": case(
                    (
                        and_(failures >= LIMITS[scope], _unlocked(table.c.locked_until, moment)),
                        literal(moment + LOCKOUT, UTCDateTime()),
                    ),
                    else_=table.c.locked_until,
                ),
            },
        )
        .returning(table.c.failures, table.c.locked_until)
    )
    row = session.execute(statement).one()
    return Count(row.failures, row.locked_until)


def count_account_failure(session: Session, user_id: int, moment: datetime) -> Count:
    """One more failure on the account (``users.failed_logins``), atomically."""
    failures = User.failed_logins + 1
    row = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            failed_logins=failures,
            locked_until=case(
                (
                    and_(
                        failures >= ACCOUNT_MAX_FAILURES,
                        _unlocked(User.__table__.c.locked_until, moment),
                    ),
                    literal(moment + LOCKOUT, UTCDateTime()),
                ),
                else_=User.locked_until,
            ),
        )
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    return Count(row.failed_logins, row.locked_until)


def clear_after_success(
    session: Session, user_id: int, username: str, address: str, moment: datetime
) -> bool:
    """Reset the account and pair counters and mark the address known; False if the account
    was deactivated meanwhile."""
    cleared: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE yields a CursorResult; Session.execute is typed as Result
        update(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount != 1:
        return False
    session.execute(
        _insert_for(session)
        .values(
            scope=PAIR,
            username=username,
            address=address,
            failures=0,
            window_started_at=moment,
            last_success_at=moment,
        )
        .on_conflict_do_update(
            index_elements=["scope", "username", "address"],
            set_={
                "failures": 0,
                "locked_until": None,
                "last_success_at": literal(moment, UTCDateTime()),
            },
        )
    )
    return True


def unlock(session: Session, user_id: int, username: str) -> None:
    """Clear every lock on ``username``: the account's and those of each address."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.scope == PAIR, SignInThrottle.username == username)
        .values(failures=0, locked_until=None)
    )


def purge(session: Session, moment: datetime) -> int:
    """Delete the counters that no longer say anything at ``moment``: their window is over, no
    lock is running, and no success within :data:`KNOWN_ADDRESS_FOR` makes the address known.
    Returns how many rows went."""
    table = SignInThrottle
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # a DELETE yields a CursorResult; Session.execute is typed as Result
        delete(table)
        .where(
            table.window_started_at <= moment - WINDOW,
            _unlocked(SignInThrottle.__table__.c.locked_until, moment),
            or_(
                table.last_success_at.is_(None),
                table.last_success_at <= moment - KNOWN_ADDRESS_FOR,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
