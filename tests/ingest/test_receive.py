"""Receiving the inbox: copies of the same bytes, concurrent receivers, a crash mid-receive."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ingest import receive
from ingest.ledger import INSERT_DELIVERY, delivery_counts, ledger_path, open_ledger
from ingest.receive import (
    arrival_days,
    blob_path,
    deliveries_of_day,
    receive_file,
    receive_inbox,
)


def _inbox(root: Path, copies: int, distinct: int) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for n in range(distinct):
        for c in range(copies):
            (inbox / f"m{n:03d}_copy{c}.dex").write_bytes(_bytes(n))
    return inbox


def _bytes(n: int) -> bytes:
    return f"DXS*{n}\r\nST*001*0001\r\n".encode()


def test_copies_of_the_same_bytes_have_exactly_one_first_delivery(
    tmp_path: Path, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=3, distinct=40)
    archive = tmp_path / "archive"
    report = receive_inbox(
        inbox, archive, ledger_url=ledger_url
    )  # several threads, copies land side by side
    assert (report.received, report.duplicates, report.already_recorded) == (40, 80, 0)
    assert not any(inbox.iterdir())
    (day,) = arrival_days(archive, ledger_url)
    deliveries = deliveries_of_day(archive, day, ledger_url)
    assert len(deliveries) == 120
    for n in range(40):
        sha = hashlib.sha256(_bytes(n)).hexdigest()
        assert blob_path(archive, sha).read_bytes() == _bytes(n)
        copies = [(d, f) for d, f in deliveries if d.sha256 == sha]
        firsts = {f for _, f in copies}
        assert len(copies) == 3 and len(firsts) == 1  # all three name the same first one
        (first,) = firsts
        assert first in {d for d, _ in copies} and first.original_name.startswith(f"m{n:03d}")
    assert delivery_counts(archive, ledger_url) == (120, 40)  # deliveries, distinct contents
    # nothing but the blobs and the ledger: no temp file left behind
    leftovers = {p.name for p in archive.rglob("*") if p.is_file() and p.suffix != ".dex"}
    assert leftovers <= {"ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"}
    # the ledger is where it was configured: the archive's SQLite file only by default
    assert ledger_path(archive).exists() == (ledger_url is None)


def test_two_receivers_racing_on_one_file_record_it_once(
    tmp_path: Path, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=1)
    archive = tmp_path / "archive"
    (path,) = inbox.iterdir()
    with ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(
                lambda _: receive_file(
                    path, inbox, archive, durable=False, remove=False, ledger_url=ledger_url
                ),
                range(8),
            )
        )
    # the same inbox file is one delivery; exactly one receiver recorded it, the others found
    # it recorded and used that record (same arrival time, so the same day)
    outcomes = [outcome for _, outcome in got]
    assert sorted(outcomes) == ["already_recorded"] * 7 + ["received"]
    delivery = got[0][0]
    assert all(d == delivery for d, _ in got)
    assert delivery_counts(archive, ledger_url) == (1, 1)
    (day,) = arrival_days(archive, ledger_url)
    assert deliveries_of_day(archive, day, ledger_url) == [
        (delivery, delivery)
    ]  # its own first delivery
    assert blob_path(archive, delivery.sha256).read_bytes() == path.read_bytes()


def test_a_crash_before_or_after_the_record_is_completed_on_the_rerun(
    tmp_path: Path, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=2)
    archive = tmp_path / "archive"
    _before, after = sorted(inbox.iterdir())
    # crash after the ledger's commit, before the inbox copy was removed
    delivery, outcome = receive_file(after, inbox, archive, remove=False, ledger_url=ledger_url)
    assert outcome == "received"
    # crash after archiving the bytes, before recording them: the blob is there, no record
    blob = blob_path(archive, hashlib.sha256(_bytes(0)).hexdigest())
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(_bytes(0))
    report = receive_inbox(inbox, archive, ledger_url=ledger_url)  # the rerun
    assert (report.received, report.duplicates, report.already_recorded) == (1, 0, 1)
    assert not any(inbox.iterdir())
    (day,) = arrival_days(archive, ledger_url)
    recorded = [d for d, _ in deliveries_of_day(archive, day, ledger_url)]
    assert len(recorded) == 2 and delivery in recorded  # recorded once, first record kept
    assert blob.read_bytes() == _bytes(0)


def test_an_inbox_on_another_file_system_is_copied(
    tmp_path: Path, monkeypatch, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=3)
    archive = tmp_path / "archive"
    real_link = os.link

    def link(src, dst, *args, **kwargs):  # what link(2) answers across file systems
        if Path(src).parent == inbox:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    report = receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert report.received == 3 and not any(inbox.iterdir())
    for n in range(3):
        blob = blob_path(archive, hashlib.sha256(_bytes(n)).hexdigest())
        assert blob.read_bytes() == _bytes(n)


def test_an_archive_of_json_records_is_imported(tmp_path: Path, ledger_url: str | None) -> None:
    """Archives written before the ledger: one JSON record per delivery, a first-delivery link,
    a day marker. Their deliveries stay known, so the same bytes again are a duplicate."""
    archive = tmp_path / "archive"
    sha = hashlib.sha256(_bytes(7)).hexdigest()
    blob_path(archive, sha).parent.mkdir(parents=True)
    blob_path(archive, sha).write_bytes(_bytes(7))
    doc = {
        "delivery_id": "a" * 24,
        "sha256": sha,
        "original_name": "old.dex",
        "size": len(_bytes(7)),
        "received_at": "2026-03-01T12:00:00+00:00",
        "received_date": "2026-03-01",
    }
    (archive / "deliveries").mkdir()
    record = archive / "deliveries" / f"{'a' * 24}.json"
    record.write_text(json.dumps(doc))
    os.link(record, archive / sha[:2] / f"{sha}.first.json")
    assert arrival_days(archive, ledger_url) == ["2026-03-01"]
    (old, first) = deliveries_of_day(archive, "2026-03-01", ledger_url)[0]
    assert old == first and old.original_name == "old.dex"
    inbox = _inbox(tmp_path, copies=0, distinct=0)
    (inbox / "again.dex").write_bytes(_bytes(7))
    report = receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert (report.received, report.duplicates) == (0, 1)
    assert arrival_days(archive, ledger_url)[0] == "2026-03-01"


def test_a_file_with_another_name_outside_the_inbox_is_copied_not_linked(
    tmp_path: Path, ledger_url: str | None
) -> None:
    """An uploader that hard-links or symlinks its own file into the inbox keeps a way to change
    it; the archive must not share those bytes."""
    inbox = _inbox(tmp_path, copies=0, distinct=0)
    archive = tmp_path / "archive"
    outside = tmp_path / "uploader"
    outside.mkdir()
    (outside / "linked.dex").write_bytes(_bytes(1))
    os.link(outside / "linked.dex", inbox / "linked.dex")
    (outside / "pointed.dex").write_bytes(_bytes(2))
    (inbox / "pointed.dex").symlink_to(outside / "pointed.dex")
    report = receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert report.received == 2 and not any(inbox.iterdir())
    (outside / "linked.dex").write_bytes(b"changed later")
    (outside / "pointed.dex").write_bytes(b"changed later")
    for n in (1, 2):
        assert blob_path(archive, hashlib.sha256(_bytes(n)).hexdigest()).read_bytes() == _bytes(n)


def test_a_received_file_is_the_blob_itself_and_read_only(
    tmp_path: Path, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=1)
    archive = tmp_path / "archive"
    (path,) = inbox.iterdir()
    inode = path.stat().st_ino
    receive_inbox(inbox, archive, ledger_url=ledger_url)
    blob = blob_path(archive, hashlib.sha256(_bytes(0)).hexdigest())
    assert blob.stat().st_ino == inode  # linked: no byte copied
    assert blob.stat().st_mode & 0o222 == 0


def test_temp_files_a_killed_receiver_left_are_removed_once_old(
    tmp_path: Path, monkeypatch, ledger_url: str | None
) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=1)
    archive = tmp_path / "archive"
    archive.mkdir()
    left = archive / ".incoming.0123abcd.tmp"
    left.write_bytes(b"half a copy")
    receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert left.exists()  # young: it may belong to a receiver still running
    (inbox / "next.dex").write_bytes(_bytes(5))
    monkeypatch.setattr(receive, "STALE_TEMP_S", 0.0)
    time.sleep(0.01)
    receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert not left.exists()


def test_kill_minus_nine_mid_receive_then_rerun_loses_and_doubles_nothing(
    tmp_path: Path, ledger_url: str | None
) -> None:
    """A real receiver process killed without warning part way through a large inbox; a second
    pass then records every file exactly once, with its bytes, and empties the inbox."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    given = 8000  # about 2 s of receiving: the kill lands part way even on a loaded machine
    for n in range(given):
        (inbox / f"f{n:05d}.dex").write_bytes(_bytes(n))
    archive = tmp_path / "archive"
    code = (
        "import sys; from pathlib import Path; "
        "from ingest.receive import receive_inbox; "
        "receive_inbox(Path(sys.argv[1]), Path(sys.argv[2]), ledger_url=sys.argv[3] or None)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(inbox), str(archive), ledger_url or ""]
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(archive.glob("??/*.dex"))) < given // 5:
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    left = len(list(inbox.iterdir()))
    assert 0 < left < given  # killed part way: some files taken, some not
    report = receive_inbox(inbox, archive, ledger_url=ledger_url)
    assert not any(inbox.iterdir())
    # each file left behind is either recorded before the kill or received now, never both
    assert (report.received + report.already_recorded, report.duplicates) == (left, 0)
    (day,) = arrival_days(archive, ledger_url)
    recorded = deliveries_of_day(archive, day, ledger_url)
    names = sorted(d.original_name for d, _ in recorded)
    assert names == [f"f{n:05d}.dex" for n in range(given)]  # each file once, none lost
    for delivery, first in recorded:
        assert first == delivery  # all different bytes: each its own first delivery
        n = int(delivery.original_name[1:6])
        assert blob_path(archive, delivery.sha256).read_bytes() == _bytes(n)


def test_two_processes_opening_an_archive_of_json_records_import_it_once(
    tmp_path: Path, ledger_url: str | None
) -> None:
    """Of two processes that both find the JSON records not yet imported, the one that waited
    for the other's import must not import again (nor fail on the marker that says so)."""
    archive = tmp_path / "archive"
    (archive / "deliveries").mkdir(parents=True)
    doc = {
        "delivery_id": "b" * 24,
        "sha256": hashlib.sha256(_bytes(3)).hexdigest(),
        "original_name": "old.dex",
        "size": len(_bytes(3)),
        "received_at": "2026-03-01T12:00:00+00:00",
        "received_date": "2026-03-01",
    }
    (archive / "deliveries" / f"{'b' * 24}.json").write_text(json.dumps(doc))
    # the same ledger, opened from a folder with no JSON records: it creates the schema only
    same_ledger = ledger_url or f"sqlite:///{ledger_path(archive)}"
    with open_ledger(tmp_path / "elsewhere", same_ledger) as first:
        first.begin_write()  # the first process, importing: holds the write lock
        with ThreadPoolExecutor(1) as pool:
            # the second one finds nothing imported yet and waits for the lock
            second = pool.submit(arrival_days, archive, ledger_url)
            time.sleep(0.5)
            first.execute(INSERT_DELIVERY, tuple(doc.values()))
            first.execute("INSERT INTO meta (key, value) VALUES ('json_records_imported', 'yes')")
            first.commit()
            assert second.result(timeout=60) == ["2026-03-01"]


def test_receive_file_creates_the_archive_for_a_file_it_copies(
    tmp_path: Path, ledger_url: str | None
) -> None:
    """A file that cannot be linked (another name outside the inbox) into an archive that does
    not exist yet: copied, as it was before linking existed."""
    inbox = _inbox(tmp_path, copies=0, distinct=0)
    (tmp_path / "outside.dex").write_bytes(_bytes(4))
    os.link(tmp_path / "outside.dex", inbox / "a.dex")
    archive = tmp_path / "archive"
    delivery, outcome = receive_file(inbox / "a.dex", inbox, archive, ledger_url=ledger_url)
    assert outcome == "received" and not (inbox / "a.dex").exists()
    assert blob_path(archive, delivery.sha256).read_bytes() == _bytes(4)


def test_a_file_still_open_in_a_writer_is_copied_and_later_writes_do_not_reach_the_archive(
    tmp_path: Path, ledger_url: str | None
) -> None:
    """An uploader that writes in place (no .part name) and still has the file open: linking
    it would let its next write change bytes already archived under their hash."""
    inbox = _inbox(tmp_path, copies=0, distinct=0)
    archive = tmp_path / "archive"
    path = inbox / "uploading.dex"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; f = open(sys.argv[1], 'ab', buffering=0); f.write(b'DXS*1\\r\\n'); "
            "print('ready', flush=True); sys.stdin.readline(); f.write(b'ST*001*0001\\r\\n')",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        inode = path.stat().st_ino
        report = receive_inbox(inbox, archive, ledger_url=ledger_url)
    finally:
        writer.communicate("go\n", timeout=30)
    assert report.received == 1 and not path.exists()
    (blob,) = archive.glob("??/*.dex")
    assert blob.stat().st_ino != inode  # copied, not linked
    assert blob.read_bytes() == b"DXS*1\r\n"  # what was there when it was received
    assert blob.stem == hashlib.sha256(blob.read_bytes()).hexdigest()
