"""`cvd quarantine list|requeue`: a damaged file is quarantined, a fixed copy re-queued lands."""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.raw_tables import build_day
from ingest.receive import blob_path, receive_inbox
from ingest.stale import stale_days, write_manifest
from operations import audit
from operations import db as operations_db
from operations.permissions import SYSTEM
from orchestration.settings import load_settings
from tests.evadts.handmade import BODY, seal
from tests.ingest.quarantined import quarantine_files
from tests.orchestration.pipeline import cvd, query


def test_requeue_a_fixed_copy_and_reparse_the_same_bytes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = seal(BODY)
    damaged = good.replace(b"PA2*100*12500", b"PA2*100*12600")  # CRC no longer matches
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "audit.dex").write_bytes(damaged)
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT reason FROM quarantine") == [("crc_mismatch",)]
    assert query(tmp_path, "SELECT count(*) FROM dex_reads") == [(0,)]
    capsys.readouterr()
    assert cvd("quarantine", "list", "--home", str(tmp_path)) == 0
    assert "crc_mismatch" in capsys.readouterr().out
    sha = next((tmp_path / "quarantine").glob("*.json")).stem
    # the same bytes again: the day is parsed again and the read stays quarantined
    assert cvd("quarantine", "requeue", sha[:10], "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT count(*) FROM dex_reads") == [(0,)]
    fixed = tmp_path / "fixed.dex"
    fixed.write_bytes(good)
    assert (
        cvd("quarantine", "requeue", sha[:10], "--file", str(fixed), "--home", str(tmp_path)) == 0
    )
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT machine_serial FROM dex_reads") == [("SN12345",)]
    assert cvd("quarantine", "requeue", "ffff", "--home", str(tmp_path)) == 2  # no such file


def test_skip_and_unskip_a_file_audited_with_the_os_user(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`cvd quarantine skip` keeps the bytes archived, lists the file as skipped instead of
    parsing it, makes its day stale (so the next run rebuilds it); unskip undoes it; both are
    in the audit log with the OS user."""
    good, bad = seal(BODY), seal(BODY).replace(b"PA2*100*12500", b"PA2*100*12600")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "good.dex").write_bytes(good)
    (tmp_path / "inbox" / "bad.dex").write_bytes(bad)
    archive, lake_dir = tmp_path / "archive", tmp_path / "lake"
    receive_inbox(tmp_path / "inbox", archive, now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    built = build_day(archive, "2026-03-01")
    write_manifest(lake_dir, "2026-03-01", built.delivery_ids)
    assert stale_days(archive, lake_dir) == []
    sha = hashlib.sha256(bad).hexdigest()
    reason = "handheld sent a broken copy"
    assert cvd("quarantine", "skip", sha[:8], "--reason", reason, "--home", str(tmp_path)) == 0
    assert stale_days(archive, lake_dir) == ["2026-03-01"]
    skipped = build_day(archive, "2026-03-01").tables()
    statuses = {
        (f["original_name"], f["status"], f["reason"]) for f in skipped["dex_files"].to_pylist()
    }
    assert statuses == {("good.dex", "loaded", None), ("bad.dex", "skipped", reason)}
    assert skipped["quarantine"].num_rows == 0 and skipped["dex_reads"].num_rows == 1
    assert blob_path(archive, sha).read_bytes() == bad  # nothing received is deleted
    capsys.readouterr()
    assert cvd("quarantine", "unskip", sha[:8], "--home", str(tmp_path)) == 0
    again = build_day(archive, "2026-03-01")
    assert [q["reason"] for q in again.tables()["quarantine"].to_pylist()] == ["crc_mismatch"]
    assert sorted(again.delivery_ids) == sorted(built.delivery_ids)  # fresh again once rebuilt
    engine = operations_db.connect(load_settings(tmp_path).database_url)
    try:
        entries = audit.list_entries(engine, SYSTEM, entity="quarantine")
    finally:
        engine.dispose()
    assert [(e.action, e.entity_key) for e in entries] == [("unskip", sha), ("skip", sha)]
    assert json.loads(entries[1].after)["reason"] == reason
    assert json.loads(entries[1].after)["os_user"] == getpass.getuser()
    # a prefix matching nothing, and an empty reason, are refused
    assert cvd("quarantine", "skip", "ffff", "--reason", "x", "--home", str(tmp_path)) == 2
    assert cvd("quarantine", "skip", sha[:8], "--reason", " ", "--home", str(tmp_path)) == 2


def test_the_list_pages_through_records(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`cvd quarantine list` shows a page of records and where the next page starts."""
    damaged = {f"f{k}.dex": seal(BODY).replace(b"Lobby 3", b"Lobby %d" % k)[:-30] for k in range(3)}
    shas = quarantine_files(tmp_path, damaged)  # three truncated files
    capsys.readouterr()
    assert cvd("quarantine", "list", "--limit", "2", "--home", str(tmp_path)) == 0
    first = capsys.readouterr()
    shown = [sha[:12] for sha in shas if sha[:12] in first.out]
    assert shown == [sha[:12] for sha in shas[:2]] and "files 1-2 of 3" in first.out
    assert "--offset 2 --limit 2" in first.err
    assert cvd("quarantine", "list", "--offset", "2", "--home", str(tmp_path)) == 0
    second = capsys.readouterr().out
    assert [sha[:12] for sha in shas if sha[:12] in second] == [shas[2][:12]]
    assert cvd("quarantine", "list", "--limit", "0", "--home", str(tmp_path)) == 2
