"""The archive's ledger: one row per delivery, one per distinct content (its first delivery).

By default a SQLite database next to the blobs (``$CVD_HOME/archive/ledger.sqlite``, WAL mode,
every commit synced); given a database URL (``ledger_url``: the edge reads ``CVD_LEDGER_URL``)
another SQLite file or a PostgreSQL database, which workers on several machines share. One
transaction records a whole batch of received files, which is what makes receiving cheap: per
file, the archive then only gains names (links and renames), never a new file of its own.
Writers are serialised (SQLite's write lock; on PostgreSQL one transaction-scoped advisory lock,
which also keeps the deliveries' ``rowid`` in commit order for the sensor's cursor), and the keys
are unique constraints: of two receivers recording the same file exactly one records it and the
other reads that record back; a delivery and its first-delivery row are committed together, so
a crash leaves both or neither.

Archives written before the ledger kept one JSON record per delivery
(``deliveries/<id>.json``, ``<sha[:2]>/<sha>.first.json``); they are imported once, on first open.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

LEDGER = "ledger.sqlite"
SCHEMA = (Path(__file__).with_name("ledger.sql")).read_text()
PG_SCHEMA = (Path(__file__).with_name("ledger_postgresql.sql")).read_text()
# pg_advisory_xact_lock key of the ledger's writers (any fixed number; "CVDL" in ASCII)
PG_WRITE_LOCK = 0x4356444C
SKIPPED_MARK = "+skipped"
BUSY_TIMEOUT_S = 60.0  # a receiver waits this long for another one's transaction
INSERT_DELIVERY = """INSERT INTO deliveries
    (delivery_id, sha256, original_name, size, received_at, received_date)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"""
INSERT_FIRST = "INSERT INTO firsts (sha256, delivery_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
SELECT_DELIVERY = """SELECT delivery_id, sha256, original_name, size, received_at, received_date
    FROM deliveries WHERE delivery_id = ?"""
SELECT_DAY = """SELECT d.delivery_id, d.sha256, d.original_name, d.size, d.received_at,
        d.received_date, f.delivery_id, f.sha256, f.original_name, f.size, f.received_at,
        f.received_date
    FROM deliveries d
    JOIN firsts USING (sha256)
    JOIN deliveries f ON f.delivery_id = firsts.delivery_id
    WHERE d.received_date = ?
    ORDER BY d.received_at, d.delivery_id"""


@dataclass(frozen=True)
class Delivery:
    """One file received: what it was called, what it held, when it came."""

    delivery_id: str
    sha256: str
    original_name: str
    size: int
    received_at: str  # ISO 8601, UTC
    received_date: str  # YYYY-MM-DD, the lake partition


def ledger_path(archive: Path) -> Path:
    """Where the embedded (default) ledger of ``archive`` lives."""
    return archive / LEDGER


def ledger_file(archive: Path, ledger_url: str | None) -> Path | None:
    """The SQLite file of the ledger (None when it is on a database server)."""
    if ledger_url is None:
        return ledger_path(archive)
    parsed = make_url(ledger_url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError(f"ledger URL {ledger_url!r}: name a SQLite file")
    return Path(parsed.database).expanduser()


class Rows(Protocol):
    """What a query gives back (a sqlite3 or psycopg cursor)."""

    @property
    def rowcount(self) -> int:
        """Rows a write changed."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...

    def __iter__(self) -> Iterator[Any]: ...


class LedgerConnection:
    """One connection to the ledger, on SQLite or PostgreSQL. Statements are written once with
    ``?`` placeholders and portable SQL (``ON CONFLICT``); outside :meth:`writing` each statement
    commits on its own."""

    def __init__(self, raw: Any, *, postgres: bool) -> None:
        self._raw = raw
        self.postgres = postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement (``?`` placeholders)."""
        if self.postgres:
            return self._raw.execute(sql.replace("?", "%s"), tuple(params))
        return self._raw.execute(sql, tuple(params))

    def begin_write(self) -> None:
        """Start a transaction that holds the ledger's write lock until it ends."""
        if self.postgres:
            self._raw.execute("BEGIN")
            self._raw.execute("SELECT pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
        else:
            self._raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """End the transaction :meth:`begin_write` started, keeping its writes."""
        self._raw.execute("COMMIT")

    def rollback(self) -> None:
        """End the transaction :meth:`begin_write` started, dropping its writes."""
        self._raw.execute("ROLLBACK")

    @contextmanager
    def writing(self) -> Iterator[LedgerConnection]:
        """A write transaction: committed at the end, rolled back on any error."""
        self.begin_write()
        try:
            yield self
            self.commit()
        except BaseException:
            self.rollback()
            raise


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the inbox copy goes
    con.executescript(SCHEMA)
    return con


def pg_conninfo(ledger_url: str) -> str:
    """libpq's URI of a SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    parsed = make_url(ledger_url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _connect_postgres(ledger_url: str) -> Any:
    import psycopg  # noqa: PLC0415 - only a ledger on a server needs the driver

    con = psycopg.connect(pg_conninfo(ledger_url), autocommit=True)
    try:
        exists = con.execute("SELECT to_regclass('skipped') IS NOT NULL").fetchone()
        if not (exists and exists[0]):
            # CREATE ... IF NOT EXISTS races with itself: the first opener creates, others wait
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
                con.execute(PG_SCHEMA.encode())
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def open_ledger(archive: Path, ledger_url: str | None = None) -> Iterator[LedgerConnection]:
    """A connection to the ledger of ``archive`` (its own SQLite file, or the database at
    ``ledger_url``), created (and an older archive's JSON records imported) if needed."""
    archive.mkdir(parents=True, exist_ok=True)
    path = ledger_file(archive, ledger_url)
    raw = _connect_sqlite(path) if path else _connect_postgres(str(ledger_url))
    with closing(raw):
        con = LedgerConnection(raw, postgres=path is None)
        if (archive / "deliveries").is_dir():
            _import_json_records(con, archive)
        yield con


@contextmanager
def _reading(archive: Path, ledger_url: str | None) -> Iterator[LedgerConnection | None]:
    """A connection for queries; None where nothing was ever received (no SQLite ledger yet)."""
    # an older archive without a ledger yet is imported first (by open_ledger)
    path = ledger_file(archive, ledger_url)
    if path and not path.exists() and not (archive / "deliveries").is_dir():
        yield None
        return
    with open_ledger(archive, ledger_url) as con:
        yield con


def record(con: LedgerConnection, batch: Iterable[Delivery]) -> list[tuple[Delivery, str]]:
    """Record a batch of deliveries in one transaction; for each, the delivery as recorded and
    what happened: ``received``, ``duplicate`` (bytes received before under another delivery)
    or ``already_recorded`` (this very inbox file was recorded before, e.g. before a crash;
    its first record is returned, so a rerun indexes it under the same day)."""
    done: list[tuple[Delivery, str]] = []
    with con.writing():
        for delivery in batch:
            inserted = con.execute(INSERT_DELIVERY, astuple(delivery)).rowcount
            if not inserted:
                done.append((_get(con, delivery.delivery_id), "already_recorded"))
                continue
            first = con.execute(INSERT_FIRST, (delivery.sha256, delivery.delivery_id)).rowcount
            done.append((delivery, "received" if first else "duplicate"))
    return done


def _get(con: LedgerConnection, delivery_id: str) -> Delivery:
    row = con.execute(SELECT_DELIVERY, (delivery_id,)).fetchone()
    return Delivery(*row)


def deliveries_of_day(
    archive: Path, day: str, ledger_url: str | None = None
) -> list[tuple[Delivery, Delivery]]:
    """Every delivery that arrived on ``day`` with the first delivery of its bytes (itself, or
    an earlier one it duplicates), in a stable order (time, then id)."""
    with _reading(archive, ledger_url) as con:
        if con is None:
            return []
        rows = con.execute(SELECT_DAY, (day,)).fetchall()
    return [(Delivery(*row[:6]), Delivery(*row[6:])) for row in rows]


def delivery_marker(delivery_id: str, skipped: bool) -> str:
    """What a day's manifest records of one delivery: its id, marked when its content is
    skipped, so skipping or unskipping content makes its arrival days stale (rebuilt)."""
    return f"{delivery_id}{SKIPPED_MARK}" if skipped else delivery_id


def delivery_ids_by_day(archive: Path, ledger_url: str | None = None) -> dict[str, list[str]]:
    """Every arrival day, oldest first, with the sorted markers (:func:`delivery_marker`) of
    what arrived on it."""
    by_day: dict[str, list[str]] = {}
    with _reading(archive, ledger_url) as con:
        if con is None:
            return by_day
        query = """SELECT d.received_date, d.delivery_id, s.sha256 IS NOT NULL
            FROM deliveries d LEFT JOIN skipped s USING (sha256) ORDER BY 1, 2"""
        for day, delivery_id, skipped in con.execute(query):
            by_day.setdefault(day, []).append(delivery_marker(delivery_id, bool(skipped)))
    return by_day


def skipped_contents(archive: Path, ledger_url: str | None = None) -> dict[str, str]:
    """Contents an operator excluded from the raw tables: sha256 -> the reason given."""
    with _reading(archive, ledger_url) as con:
        if con is None:
            return {}
        return dict(con.execute("SELECT sha256, reason FROM skipped").fetchall())


def match_content(con: LedgerConnection, sha_prefix: str) -> str | None:
    """The one archived content whose sha256 starts with ``sha_prefix`` (lower-case hex; the
    caller validates it); None if none; ValueError naming the count if several."""
    rows = con.execute(
        "SELECT sha256 FROM firsts WHERE sha256 >= ? AND sha256 < ? LIMIT 2",
        (sha_prefix, sha_prefix + "g"),  # 'g' sorts after every hex digit
    ).fetchall()
    if len(rows) > 1:
        raise ValueError(f"{sha_prefix} matches several archived files: give more digits")
    return rows[0][0] if rows else None


def set_skipped(
    con: LedgerConnection, sha256: str, *, reason: str | None, by: str, at: str
) -> list[str]:
    """Skip (``reason`` given) or unskip (None) the content ``sha256``, committed at once;
    returns the arrival days of its deliveries, which are now stale."""
    if reason is None:
        con.execute("DELETE FROM skipped WHERE sha256 = ?", (sha256,))
    else:
        con.execute(
            "INSERT INTO skipped (sha256, reason, skipped_by, skipped_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO UPDATE SET reason = excluded.reason, "
            "skipped_by = excluded.skipped_by, skipped_at = excluded.skipped_at",
            (sha256, reason, by, at),
        )
    query = "SELECT DISTINCT received_date FROM deliveries WHERE sha256 = ? ORDER BY 1"
    return [row[0] for row in con.execute(query, (sha256,))]


def arrival_days(archive: Path, ledger_url: str | None = None) -> list[str]:
    """Every day on which something arrived, oldest first."""
    with _reading(archive, ledger_url) as con:
        if con is None:
            return []
        query = "SELECT DISTINCT received_date FROM deliveries ORDER BY received_date"
        return [row[0] for row in con.execute(query)]


def _import_json_records(con: LedgerConnection, archive: Path) -> None:
    """Import an older archive's per-delivery JSON records once (they stay where they are)."""
    imported = "SELECT 1 FROM meta WHERE key = 'json_records_imported'"
    if con.execute(imported).fetchone():
        return
    with con.writing():
        # asked again under the write lock: another process (a receiver, a build worker) may
        # have imported while this one waited for the lock
        if con.execute(imported).fetchone():
            return
        for path in sorted((archive / "deliveries").glob("*.json")):
            doc = json.loads(path.read_text())
            con.execute(INSERT_DELIVERY, astuple(Delivery(**doc)))
        for path in sorted(archive.glob("??/*.first.json")):
            doc = json.loads(path.read_text())
            con.execute(INSERT_FIRST, (doc["sha256"], doc["delivery_id"]))
        # a delivery whose first-delivery link a crash never made: the earliest one counts
        # (WHERE true: SQLite's parser needs it before ON CONFLICT after a SELECT)
        con.execute(
            """INSERT INTO firsts (sha256, delivery_id)
               SELECT sha256, delivery_id FROM deliveries WHERE true
               ORDER BY received_at, delivery_id ON CONFLICT DO NOTHING"""
        )
        con.execute("INSERT INTO meta (key, value) VALUES ('json_records_imported', 'yes')")


def delivery_counts(archive: Path, ledger_url: str | None = None) -> tuple[int, int]:
    """How many deliveries were received, and how many distinct contents they held."""
    with _reading(archive, ledger_url) as con:
        if con is None:
            return 0, 0
        deliveries = con.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        contents = con.execute("SELECT count(*) FROM firsts").fetchone()[0]
    return int(deliveries), int(contents)


def days_named_since(
    archive: Path, prefix: str, after: int, ledger_url: str | None = None
) -> tuple[int, list[str]]:
    """The arrival days of deliveries whose name starts with ``prefix`` recorded after ledger
    row ``after`` (a cursor), and the newest row number to use as the next cursor."""
    with _reading(archive, ledger_url) as con:
        if con is None:
            return after, []
        (newest,) = con.execute("SELECT coalesce(max(rowid), 0) FROM deliveries").fetchone()
        rows = con.execute(
            """SELECT DISTINCT received_date FROM deliveries
               WHERE rowid > ? AND rowid <= ? AND substr(original_name, 1, ?) = ?
               ORDER BY 1""",
            (after, newest, len(prefix), prefix),
        ).fetchall()
    return max(int(newest), after), [row[0] for row in rows]
