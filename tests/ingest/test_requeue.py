"""Re-queueing fixed copies (issue 15, item 7): two fixed copies of one file both reach the
inbox, each with its audit row, and a fixed copy whose audit cannot be written never lands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from ingest import requeue
from operations import audit
from operations import db as operations_db
from operations.permissions import SYSTEM
from orchestration.settings import load_settings
from tests.evadts.handmade import BODY, seal
from tests.ingest.quarantined import quarantine_files

GOOD = seal(BODY)
DAMAGED = GOOD.replace(b"PA2*100*12500", b"PA2*100*12600")  # the CRC no longer matches


def _quarantined_home(home: Path) -> str:
    """A home whose one file is quarantined."""
    (sha,) = quarantine_files(home, {"audit.dex": DAMAGED})
    return sha


def test_two_fixed_copies_of_one_file_both_land_each_audited(tmp_path: Path) -> None:
    sha = _quarantined_home(tmp_path)
    settings = load_settings(tmp_path)
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    operations_db.upgrade(url)
    engine = operations_db.connect(url)
    second = GOOD.replace(b"Lobby 3", b"Lobby 4")  # another fix of the same file
    try:
        first_done = requeue.requeue(settings, engine, SYSTEM, sha[:8], GOOD)
        second_done = requeue.requeue(settings, engine, SYSTEM, sha[:8], second)
        entries = audit.list_entries(engine, SYSTEM, entity="quarantine")
    finally:
        engine.dispose()
    inbox = sorted(settings.inbox.iterdir())
    assert sorted(p.read_bytes() for p in inbox) == sorted([GOOD, second])
    assert all(p.name.startswith("requeued-") and p.name.endswith("audit.dex") for p in inbox)
    copies = [json.loads(e.after)["fixed_copy"] for e in entries]
    assert sorted(copies) == sorted(str(p) for p in inbox)
    assert {str(first_done.target), str(second_done.target)} == set(copies)


def test_a_fixed_copy_whose_audit_fails_does_not_land(tmp_path: Path) -> None:
    sha = _quarantined_home(tmp_path)
    settings = load_settings(tmp_path)
    # a database never migrated: it has no audit table, so the audit row cannot be written
    engine = operations_db.connect(f"sqlite:///{tmp_path / 'not-migrated.sqlite'}")
    try:
        with pytest.raises(SQLAlchemyError):
            requeue.requeue(settings, engine, SYSTEM, sha[:8], GOOD)
    finally:
        engine.dispose()
    assert list(settings.inbox.iterdir()) == []  # no unaudited file waits to be ingested
