"""Receiving the inbox: copies of the same bytes, concurrent receivers, a crash mid-receive."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orchestration.ingest.receive import (
    Delivery,
    arrival_days,
    blob_path,
    deliveries_of_day,
    delivery_path,
    first_delivery_path,
    receive_file,
    receive_inbox,
)


def _inbox(root: Path, copies: int, distinct: int) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for n in range(distinct):
        for c in range(copies):
            (inbox / f"m{n:03d}_copy{c}.dex").write_bytes(f"DXS*{n}\r\nST*001*0001\r\n".encode())
    return inbox


def test_copies_of_the_same_bytes_have_exactly_one_first_delivery(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, copies=3, distinct=40)
    archive = tmp_path / "archive"
    report = receive_inbox(inbox, archive)  # several threads, copies land side by side
    assert (report.received, report.duplicates, report.already_recorded) == (40, 80, 0)
    assert not any(inbox.iterdir())
    (day,) = arrival_days(archive)
    deliveries = deliveries_of_day(archive, day)
    assert len(deliveries) == 120
    for n in range(40):
        data = f"DXS*{n}\r\nST*001*0001\r\n".encode()
        sha = hashlib.sha256(data).hexdigest()
        assert blob_path(archive, sha).read_bytes() == data
        first = Delivery.load(first_delivery_path(archive, sha))
        assert first.original_name.startswith(f"m{n:03d}_copy")
        assert sum(d.sha256 == sha for d in deliveries) == 3


def test_two_receivers_racing_on_one_file_record_it_once(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=1)
    archive = tmp_path / "archive"
    (path,) = inbox.iterdir()
    with ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(
                lambda _: receive_file(path, inbox, archive, durable=False, remove=False),
                range(8),
            )
        )
    # the same inbox file is one delivery; exactly one receiver recorded it, the others found
    # it recorded and used that record (same arrival time, so the same day)
    outcomes = [outcome for _, outcome in got]
    assert sorted(outcomes) == ["already_recorded"] * 7 + ["received"]
    (record,) = (archive / "deliveries").iterdir()
    delivery = Delivery.load(record)
    assert all(d == delivery for d, _ in got)
    (day,) = arrival_days(archive)
    assert [m.name for m in (archive / "days" / day).iterdir()] == [delivery.delivery_id]
    # the first-delivery record and the delivery record agree (same arrival time too)
    assert Delivery.load(first_delivery_path(archive, delivery.sha256)) == delivery


def test_a_record_written_before_a_crash_is_completed_on_the_rerun(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, copies=1, distinct=1)
    archive = tmp_path / "archive"
    (path,) = inbox.iterdir()
    delivery, _ = receive_file(path, inbox, archive, durable=False, remove=False)
    # the crash: the first-delivery link and the day's index entry were never made
    first = first_delivery_path(archive, delivery.sha256)
    first.unlink()
    marker = archive / "days" / delivery.received_date / delivery.delivery_id
    marker.unlink()
    again, outcome = receive_file(path, inbox, archive)
    assert outcome == "already_recorded" and again == delivery
    assert json.loads(first.read_text())["delivery_id"] == delivery.delivery_id
    assert marker.exists() and not path.exists()
    assert first.samefile(delivery_path(archive, delivery.delivery_id))
