"""The archive's blobs in object storage (a real S3 API server, ``tests/s3.py``): received
files end up in the bucket under their content address, not on the local disk, and a day is
built from them there."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from ingest.days import build_days
from ingest.receive import receive_inbox
from tests.evadts.handmade import seal
from tests.s3 import S3Server
from transforms import lake
from transforms.objectstore import location

DAY = "2026-03-02"
SERIALS = ("SN0001", "SN0002", "SN0003")


def _inbox(root: Path) -> dict[str, bytes]:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    files = {}
    for k, serial in enumerate(SERIALS):
        data = seal(["ST*001*0001", f"ID1*{serial}", "PA1*1*100"])
        (inbox / f"{k}.dex").write_bytes(data)
        files[hashlib.sha256(data).hexdigest()] = data
    (inbox / "again.dex").write_bytes(data)  # the last file's bytes a second time
    return files


def test_blobs_go_to_the_bucket_and_days_are_built_from_there(
    tmp_path: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    files = _inbox(tmp_path)
    archive = tmp_path / "archive"
    blobs = location(f"s3://{s3_bucket}/archive", s3_server.config())
    noon = datetime.fromisoformat(DAY).replace(hour=12, tzinfo=UTC)
    report = receive_inbox(tmp_path / "inbox", archive, now=noon, blobs=blobs)
    assert (report.received, report.duplicates) == (3, 1)
    assert not list(archive.glob("??/*.dex")), "a blob stayed on the local disk"
    for sha, data in files.items():  # each content once, under its hash, byte for byte
        assert lake.read_object(blobs / sha[:2] / f"{sha}.dex") == data

    lake_dir = tmp_path / "lake"
    (built,) = build_days(archive, lake_dir, [DAY], workers=1, blobs=blobs)
    assert (built.files, built.reads, built.rows["dex_reads"]) == (4, 3, 3)
    assert not built.quarantined
    reads = lake.read_table(lake.partition_path(lake_dir, "dex_reads", DAY))
    assert sorted(reads.column("machine_serial").to_pylist()) == list(SERIALS)
