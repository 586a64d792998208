"""The archive's ledger: one row per delivery, one per distinct content (its first delivery).

A SQLite database next to the blobs (``$CVD_HOME/archive/ledger.sqlite``, WAL mode, every commit
synced). One transaction records a whole batch of received files, which is what makes receiving
cheap: per file, the archive then only gains names (links and renames), never a new file of its
own. SQLite serialises writers, so of two receivers recording the same file exactly one records
it and the other reads that record back; a delivery and its first-delivery row are committed
together, so a crash leaves both or neither.

Archives written before the ledger kept one JSON record per delivery
(``deliveries/<id>.json``, ``<sha[:2]>/<sha>.first.json``); they are imported once, on first open.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path

LEDGER = "ledger.sqlite"
SCHEMA = (Path(__file__).with_name("ledger.sql")).read_text()
SKIPPED_MARK = "+skipped"
BUSY_TIMEOUT_S = 60.0  # a receiver waits this long for another one's transaction
INSERT_DELIVERY = """INSERT OR IGNORE INTO deliveries
    (delivery_id, sha256, original_name, size, received_at, received_date)
    VALUES (?, ?, ?, ?, ?, ?)"""
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
    """Where the ledger of ``archive`` lives."""
    return archive / LEDGER


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the inbox copy goes
    return con


@contextmanager
def open_ledger(archive: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the ledger of ``archive``, created (and an older archive's JSON records
    imported) if needed."""
    archive.mkdir(parents=True, exist_ok=True)
    with closing(_connect(ledger_path(archive))) as con:
        con.executescript(SCHEMA)
        if (archive / "deliveries").is_dir():
            _import_json_records(con, archive)
        yield con


@contextmanager
def _reading(archive: Path) -> Iterator[sqlite3.Connection | None]:
    """A connection for queries; None where nothing was ever received (no ledger yet)."""
    # an older archive without a ledger yet is imported first (by open_ledger)
    if not ledger_path(archive).exists() and not (archive / "deliveries").is_dir():
        yield None
        return
    with open_ledger(archive) as con:
        yield con


def record(con: sqlite3.Connection, batch: Iterable[Delivery]) -> list[tuple[Delivery, str]]:
    """Record a batch of deliveries in one transaction; for each, the delivery as recorded and
    what happened: ``received``, ``duplicate`` (bytes received before under another delivery)
    or ``already_recorded`` (this very inbox file was recorded before, e.g. before a crash;
    its first record is returned, so a rerun indexes it under the same day)."""
    done: list[tuple[Delivery, str]] = []
    con.execute("BEGIN IMMEDIATE")
    try:
        for delivery in batch:
            inserted = con.execute(
                INSERT_DELIVERY,
                astuple(delivery),
            ).rowcount
            if not inserted:
                done.append((_get(con, delivery.delivery_id), "already_recorded"))
                continue
            first = con.execute(
                "INSERT OR IGNORE INTO firsts (sha256, delivery_id) VALUES (?, ?)",
                (delivery.sha256, delivery.delivery_id),
            ).rowcount
            done.append((delivery, "received" if first else "duplicate"))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return done


def _get(con: sqlite3.Connection, delivery_id: str) -> Delivery:
    row = con.execute(SELECT_DELIVERY, (delivery_id,)).fetchone()
    return Delivery(*row)


def deliveries_of_day(archive: Path, day: str) -> list[tuple[Delivery, Delivery]]:
    """Every delivery that arrived on ``day`` with the first delivery of its bytes (itself, or
    an earlier one it duplicates), in a stable order (time, then id)."""
    with _reading(archive) as con:
        if con is None:
            return []
        rows = con.execute(SELECT_DAY, (day,)).fetchall()
    return [(Delivery(*row[:6]), Delivery(*row[6:])) for row in rows]


def delivery_marker(delivery_id: str, skipped: bool) -> str:
    """What a day's manifest records of one delivery: its id, marked when its content is
    skipped, so skipping or unskipping content makes its arrival days stale (rebuilt)."""
    return f"{delivery_id}{SKIPPED_MARK}" if skipped else delivery_id


def delivery_ids_by_day(archive: Path) -> dict[str, list[str]]:
    """Every arrival day, oldest first, with the sorted markers (:func:`delivery_marker`) of
    what arrived on it."""
    by_day: dict[str, list[str]] = {}
    with _reading(archive) as con:
        if con is None:
            return by_day
        query = """SELECT d.received_date, d.delivery_id, s.sha256 IS NOT NULL
            FROM deliveries d LEFT JOIN skipped s USING (sha256) ORDER BY 1, 2"""
        for day, delivery_id, skipped in con.execute(query):
            by_day.setdefault(day, []).append(delivery_marker(delivery_id, bool(skipped)))
    return by_day


def skipped_contents(archive: Path) -> dict[str, str]:
    """Contents an operator excluded from the raw tables: sha256 -> the reason given."""
    with _reading(archive) as con:
        if con is None:
            return {}
        return dict(con.execute("SELECT sha256, reason FROM skipped").fetchall())


def match_content(con: sqlite3.Connection, sha_prefix: str) -> str | None:
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
    con: sqlite3.Connection, sha256: str, *, reason: str | None, by: str, at: str
) -> list[str]:
    """Skip (``reason`` given) or unskip (None) the content ``sha256``, committed at once;
    returns the arrival days of its deliveries, which are now stale."""
    if reason is None:
        con.execute("DELETE FROM skipped WHERE sha256 = ?", (sha256,))
    else:
        con.execute(
            "INSERT OR REPLACE INTO skipped (sha256, reason, skipped_by, skipped_at) "
            "VALUES (?, ?, ?, ?)",
            (sha256, reason, by, at),
        )
    query = "SELECT DISTINCT received_date FROM deliveries WHERE sha256 = ? ORDER BY 1"
    return [row[0] for row in con.execute(query, (sha256,))]


def arrival_days(archive: Path) -> list[str]:
    """Every day on which something arrived, oldest first."""
    with _reading(archive) as con:
        if con is None:
            return []
        query = "SELECT DISTINCT received_date FROM deliveries ORDER BY received_date"
        return [row[0] for row in con.execute(query)]


def _import_json_records(con: sqlite3.Connection, archive: Path) -> None:
    """Import an older archive's per-delivery JSON records once (they stay where they are)."""
    imported = "SELECT 1 FROM meta WHERE key = 'json_records_imported'"
    if con.execute(imported).fetchone():
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        # asked again under the write lock: another process (a receiver, a build worker) may
        # have imported while this one waited for the lock
        if con.execute(imported).fetchone():
            con.execute("COMMIT")
            return
        for path in sorted((archive / "deliveries").glob("*.json")):
            doc = json.loads(path.read_text())
            con.execute(
                INSERT_DELIVERY,
                astuple(Delivery(**doc)),
            )
        for path in sorted(archive.glob("??/*.first.json")):
            doc = json.loads(path.read_text())
            con.execute(
                "INSERT OR IGNORE INTO firsts (sha256, delivery_id) VALUES (?, ?)",
                (doc["sha256"], doc["delivery_id"]),
            )
        # a delivery whose first-delivery link a crash never made: the earliest one counts
        con.execute(
            """INSERT OR IGNORE INTO firsts (sha256, delivery_id)
               SELECT sha256, delivery_id FROM deliveries
               ORDER BY received_at, delivery_id"""
        )
        con.execute("INSERT INTO meta (key, value) VALUES ('json_records_imported', 'yes')")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def delivery_counts(archive: Path) -> tuple[int, int]:
    """How many deliveries were received, and how many distinct contents they held."""
    with _reading(archive) as con:
        if con is None:
            return 0, 0
        deliveries = con.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        contents = con.execute("SELECT count(*) FROM firsts").fetchone()[0]
    return int(deliveries), int(contents)


def days_named_since(archive: Path, prefix: str, after: int) -> tuple[int, list[str]]:
    """The arrival days of deliveries whose name starts with ``prefix`` recorded after ledger
    row ``after`` (a cursor), and the newest row number to use as the next cursor."""
    with _reading(archive) as con:
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
