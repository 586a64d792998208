"""DEX files uploaded on the dashboards: archived and recorded as the API records them, with the
pipeline's own verdict at once; refused files keep nothing; viewers may not upload.

The files are hand-made (``tests/evadts/handmade.py``): one read of machine SN12345 sealed with a
CRC computed there, independently of the parser.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ingest.incoming import blob_path
from ingest.ledger import deliveries_of_day
from ingest.raw_tables import build_day
from ingest.upload import upload_files
from operations import db
from operations.errors import PermissionDenied
from operations.permissions import Actor
from tests.evadts.handmade import BODY, seal

MAX = Actor("max", "manager")
GOOD = seal(BODY)
# the same read with one counter changed after sealing: its G85 no longer matches
BAD_CRC = GOOD.replace(b"PA2*100*12500", b"PA2*101*12500")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'cvd.sqlite'}"
    db.upgrade(url)
    engine = db.connect(url)
    yield engine
    engine.dispose()


def test_a_good_file_is_archived_recorded_audited_and_judged(
    tmp_path: Path, engine: Engine
) -> None:
    archive = tmp_path / "archive"
    [verdict] = upload_files(archive, engine, MAX, [("../route 7/good.dex", GOOD)], now=NOW)
    sha = hashlib.sha256(GOOD).hexdigest()
    assert (verdict.outcome, verdict.status, verdict.sha256) == ("received", "loaded", sha)
    assert (verdict.serials, verdict.reads, verdict.usable_reads) == (("SN12345",), 1, 1)
    assert (verdict.crc_present, verdict.crc_verified, verdict.reasons) == (1, 1, ())
    assert blob_path(archive, sha).read_bytes() == GOOD
    [(delivery, first)] = deliveries_of_day(archive, "2026-12-07")
    assert delivery.original_name == "upload/max/good.dex"  # no path from the sender survives
    assert first == delivery
    with engine.connect() as connection:
        audited = connection.execute(
            text("SELECT actor, action, entity, entity_key FROM audit_log")
        ).all()
    assert [tuple(row) for row in audited] == [("max", "upload", "dex_file", sha)]
    # the pipeline builds the arrival day with it like any delivery
    built = build_day(archive, "2026-12-07")
    assert built.rows["dex_files"]["status"] == ["loaded"]
    assert built.rows["dex_reads"]["machine_serial"] == ["SN12345"]


def test_a_bad_crc_is_judged_quarantined_with_its_reason(tmp_path: Path, engine: Engine) -> None:
    [verdict] = upload_files(tmp_path / "a", engine, MAX, [("bad.dex", BAD_CRC)], now=NOW)
    assert (verdict.outcome, verdict.status, verdict.usable_reads) == ("received", "quarantined", 0)
    assert verdict.reasons[0].startswith("crc_mismatch: ")


def test_garbage_is_judged_quarantined_as_no_reads(tmp_path: Path, engine: Engine) -> None:
    [verdict] = upload_files(tmp_path / "a", engine, Actor("dave", "driver"), [("x.dex", b"hello")])
    assert verdict.status == "quarantined"
    assert verdict.reasons and verdict.reads == 0


def test_the_same_bytes_again_are_already_received(tmp_path: Path, engine: Engine) -> None:
    archive = tmp_path / "a"
    upload_files(archive, engine, MAX, [("one.dex", GOOD)], now=NOW)
    [again] = upload_files(archive, engine, Actor("ann", "admin"), [("two.dex", GOOD)], now=NOW)
    assert (again.outcome, again.status) == ("already received", "loaded")
    assert len(deliveries_of_day(archive, "2026-12-07")) == 1


def test_a_file_over_the_limit_keeps_nothing_and_the_others_go_on(
    tmp_path: Path, engine: Engine
) -> None:
    archive = tmp_path / "a"
    big = GOOD + b" " * 100
    verdicts = upload_files(
        archive, engine, MAX, [("big.dex", big), ("empty.dex", b""), ("ok.dex", GOOD)],
        limit=len(GOOD) + 10, now=NOW,
    )  # fmt: skip
    assert [(v.name, v.outcome) for v in verdicts] == [
        ("big.dex", "refused"),
        ("empty.dex", "refused"),
        ("ok.dex", "received"),
    ]
    assert verdicts[0].reasons == (f"{len(big)} bytes: over the limit of {len(GOOD) + 10}",)
    blobs = [p for p in archive.rglob("*") if p.is_file() and p.suffix == ".dex"]
    assert [p.read_bytes() for p in blobs] == [GOOD]
    assert not list(archive.glob(".incoming.*"))


def test_a_viewer_may_not_upload_and_nothing_is_kept(tmp_path: Path, engine: Engine) -> None:
    archive = tmp_path / "a"
    with pytest.raises(PermissionDenied, match=r"dex\.upload"):
        upload_files(archive, engine, Actor("vic", "viewer"), [("good.dex", GOOD)])
    assert not archive.exists()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
