"""Retention (issue 22): the oldest audit rows archived then removed with the chain still
verifiable, on SQLite and a real PostgreSQL 15; expired sessions and spent sign-in counters
removed."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from at_once import run_at_once
from ops_world import PASSWORD, World
from sqlalchemy import Engine, exc, func, select, text

from operations import audit, auth, throttle
from operations.errors import AuthenticationError, PermissionDenied
from operations.permissions import SYSTEM, Actor
from operations.retention import archive_and_remove, verify_archive, verify_archives
from operations.schema import AuditAnchor, AuditEntry, SignInThrottle, UserSession, utcnow
from operations.services import housekeeping, masterdata

DROP_TRIGGERS = {
    "sqlite": ("DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"),
    "postgresql": ("DROP TRIGGER audit_log_no_update_or_delete ON audit_log",),
}


def _save_product(engine: Engine, code: str) -> None:
    masterdata.save_product(
        engine, SYSTEM, code=code, name=f"Product {code}", category="Snacks",
        price="1.00", cost="0.40", size="S",
    )  # fmt: skip


def _rows(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [
            (r.id, r.row_hash)
            for r in connection.execute(select(AuditEntry.id, AuditEntry.row_hash).order_by("id"))
        ]


@pytest.fixture
def engine(migrated: Engine) -> Engine:
    """A migrated, empty database on SQLite or PostgreSQL."""
    return migrated


def test_retention_archives_the_oldest_rows_then_removes_them_and_the_rest_still_verifies(
    engine: Engine, tmp_path: Path
) -> None:
    for code in ("P1", "P2", "P3"):
        _save_product(engine, code)
    cutoff = utcnow()
    for code in ("P4", "P5"):
        _save_product(engine, code)
    before = _rows(engine)
    assert len(before) == 5
    archive_dir = tmp_path / "audit-archive"

    pruned = archive_and_remove(engine, SYSTEM, older_than=cutoff, archive_dir=archive_dir)

    # the three rows written before the cutoff went, into the file, with their hashes
    assert pruned.removed == 3 and pruned.first_kept_id == before[3][0]
    assert pruned.archive is not None and pruned.archive.parent == archive_dir
    with gzip.open(pruned.archive, "rt") as handle:
        lines = [json.loads(line) for line in handle]
    assert lines[0]["previous_hash"] == audit.GENESIS_HASH
    assert [(r["id"], r["row_hash"]) for r in lines[1:]] == before[:3]
    assert [r["entity_key"] for r in lines[1:]] == ["P1", "P2", "P3"]
    check = verify_archive(pruned.archive)
    assert (check.rows, check.broken_id, check.last_hash) == (3, None, before[2][1])
    # what remains: the two younger rows and the audited removal, and the chain verifies
    remaining = _rows(engine)
    assert remaining[:2] == before[3:]
    with engine.connect() as connection:
        prune_row = connection.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        anchor = connection.execute(select(AuditAnchor)).one()
    assert prune_row is not None and (prune_row.action, prune_row.entity) == ("prune", "audit_log")
    assert json.loads(prune_row.after or "{}")["removed"] == 3
    assert anchor.previous_hash == before[2][1]
    assert anchor.archive_sha256 == hashlib.sha256(pruned.archive.read_bytes()).hexdigest()
    assert audit.verify_chain(engine) is None
    _save_product(engine, "P6")  # appends after a removal chain on as before
    assert audit.verify_chain(engine) is None

    # a second pass with everything old keeps only the newest row; the archives link up
    second = archive_and_remove(engine, SYSTEM, older_than=utcnow(), archive_dir=archive_dir)
    assert second.removed == 3  # P4, P5 and the first pass's row; P6 is the head and stays
    assert second.archive is not None
    assert verify_archive(second.archive).previous_hash == check.last_hash
    assert audit.verify_chain(engine) is None
    assert len(_rows(engine)) == 2  # the newest row before the pass, and the pass's own row
    assert verify_archives(engine, archive_dir) == []  # both files, linked, ending at the log


def test_a_missing_or_edited_archive_is_named(engine: Engine, tmp_path: Path) -> None:
    for code in ("P1", "P2", "P3"):
        _save_product(engine, code)
    first = archive_and_remove(engine, SYSTEM, older_than=utcnow(), archive_dir=tmp_path)
    _save_product(engine, "P4")
    second = archive_and_remove(engine, SYSTEM, older_than=utcnow(), archive_dir=tmp_path)
    assert first.archive is not None and second.archive is not None
    assert verify_archives(engine, tmp_path) == []
    with gzip.open(first.archive, "rt") as handle:
        lines = handle.readlines()
    with gzip.open(first.archive, "wt") as handle:  # the last removed row dropped from the file
        handle.writelines(lines[:-1])
    problems = verify_archives(engine, tmp_path)
    assert any("changed since anchor" in p for p in problems)
    assert any(second.archive.name in p and "does not start where" in p for p in problems)
    second.archive.unlink()
    assert any(
        "missing" in p and second.archive.name in p for p in verify_archives(engine, tmp_path)
    )


def test_nothing_old_enough_removes_nothing_and_writes_no_file(
    engine: Engine, tmp_path: Path
) -> None:
    _save_product(engine, "P1")
    cutoff = utcnow() - timedelta(days=30)
    before = _rows(engine)
    pruned = archive_and_remove(engine, SYSTEM, older_than=cutoff, archive_dir=tmp_path / "a")
    assert pruned.removed == 0 and pruned.archive is None
    assert _rows(engine) == before and not (tmp_path / "a").exists()


def test_after_retention_a_delete_above_the_anchor_is_still_refused_and_tampering_found(
    engine: Engine, tmp_path: Path
) -> None:
    for code in ("P1", "P2"):
        _save_product(engine, code)
    cutoff = utcnow()
    for code in ("P3", "P4", "P5"):
        _save_product(engine, code)
    archive_and_remove(engine, SYSTEM, older_than=cutoff, archive_dir=tmp_path)
    kept = [row_id for row_id, _ in _rows(engine)]
    with pytest.raises(exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": kept[0]})
    with pytest.raises(exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_anchors"))
    assert [row_id for row_id, _ in _rows(engine)] == kept
    # the first kept row removed behind the triggers: its successor no longer links to the anchor
    with engine.begin() as connection:
        for drop in DROP_TRIGGERS[engine.dialect.name]:
            connection.execute(text(drop))
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": kept[0]})
    assert audit.verify_chain(engine) == kept[1]


def test_an_edited_archive_fails_its_own_check(engine: Engine, tmp_path: Path) -> None:
    for code in ("P1", "P2", "P3"):
        _save_product(engine, code)
    _save_product(engine, "P4")
    pruned = archive_and_remove(engine, SYSTEM, older_than=utcnow(), archive_dir=tmp_path)
    assert pruned.archive is not None
    with gzip.open(pruned.archive, "rt") as handle:
        lines = [json.loads(line) for line in handle]
    lines[2]["entity_key"] = "P9"  # the second removed row, edited
    edited = tmp_path / "edited.jsonl.gz"
    with gzip.open(edited, "wt") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    assert verify_archive(edited).broken_id == lines[2]["id"]


def test_only_admins_and_the_system_may_run_retention(world: World, tmp_path: Path) -> None:
    for role in ("manager", "viewer", "driver"):
        actor = Actor(username=f"a-{role}", role=role)
        with pytest.raises(PermissionDenied):
            archive_and_remove(world.engine, actor, older_than=utcnow(), archive_dir=tmp_path)
        with pytest.raises(PermissionDenied):
            housekeeping.purge_sessions(world.engine, actor)


def _user(world: World, role: str) -> str:
    return next(name for name, actor in world.actors.items() if actor.role == role)


def test_expired_and_revoked_sessions_go_live_ones_stay(world: World) -> None:
    name = _user(world, "driver")
    now = utcnow()
    expired = auth.authenticate(world.engine, name, PASSWORD, now=now - timedelta(days=2))
    revoked = auth.authenticate(world.engine, name, PASSWORD, now=now - timedelta(minutes=5))
    auth.logout(world.engine, revoked)
    live = auth.authenticate(world.engine, name, PASSWORD, now=now - timedelta(minutes=1))
    with world.engine.connect() as connection:
        before = connection.scalar(select(func.count()).select_from(UserSession))

    removed = housekeeping.purge_sessions(world.engine, SYSTEM)  # now: after the sign-out

    assert removed == 2
    with world.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(UserSession)) == before - 2
        row = connection.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert row is not None and (row.action, row.entity) == ("purge", "user_sessions")
    assert auth.user_for_session(world.engine, live).username == name
    for token in (expired, revoked):
        with pytest.raises(AuthenticationError, match="unknown session"):  # gone, not refused
            auth.user_for_session(world.engine, token)
    assert audit.verify_chain(world.engine) is None


def test_spent_sign_in_counters_go_locks_and_known_addresses_stay(world: World) -> None:
    now = utcnow()
    name = _user(world, "viewer")
    old = now - timedelta(days=40)
    with pytest.raises(AuthenticationError):  # an old failure from a stranger: spent
        auth.authenticate(world.engine, "nobody", "wrong-password", address="10.0.0.1", now=old)
    # a recent success makes 10.0.0.2 known to the user for 30 days: kept
    auth.authenticate(world.engine, name, PASSWORD, address="10.0.0.2", now=now - timedelta(days=1))
    for _ in range(throttle.MAX_FAILED_LOGINS):  # a running lock: kept
        with pytest.raises(AuthenticationError):
            auth.authenticate(world.engine, name, "wrong-password", address="10.0.0.3", now=now)

    removed = housekeeping.purge_sign_in_counters(world.engine, SYSTEM, now=now)

    with world.engine.connect() as connection:
        left = set(connection.execute(select(SignInThrottle.scope, SignInThrottle.address)).all())
    assert removed == 2  # the stranger's pair and address counters
    assert left == {("pair", "10.0.0.2"), ("pair", "10.0.0.3"), ("address", "10.0.0.3")}


def test_retention_while_others_append_loses_no_row_and_keeps_one_chain(
    engine: Engine, tmp_path: Path
) -> None:
    writers, each = 4, 6

    def work(number: int) -> None:
        if number == writers:  # the last thread prunes, again and again, while the rest append
            for _ in range(3):
                archive_and_remove(engine, SYSTEM, older_than=utcnow(), archive_dir=tmp_path)
            return
        for n in range(each):
            _save_product(engine, f"W{number}-{n}")

    assert run_at_once(work, writers + 1) == []
    assert audit.verify_chain(engine) is None
    assert verify_archives(engine, tmp_path) == []
    saved = set()
    for path in tmp_path.glob("audit-*.jsonl.gz"):
        with gzip.open(path, "rt") as handle:
            saved |= {json.loads(line).get("entity_key") for line in list(handle)[1:]}
    with engine.connect() as connection:
        saved |= set(connection.execute(select(AuditEntry.entity_key)).scalars())
    expected = {f"W{w}-{n}" for w in range(writers) for n in range(each)}
    assert expected <= saved  # every append is in the log or in an archive
