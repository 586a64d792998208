"""A read whose serial the device registry refuses is quarantined, and its day still lands
(issue 15, item 1): before, registering it failed the run, and every later run the same way."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.raw_tables import build_day
from ingest.receive import blob_path, receive_inbox
from tests.evadts.handmade import BODY, seal
from tests.orchestration.pipeline import cvd, query

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

LONG_SERIAL = "S" * 65  # the registry takes at most 64 characters
BELL_SERIAL = "SN\x07BELL"  # a control character
GOOD = {"good1.dex": "SN12345", "good2.dex": "SN67890"}


def _file(serial: str) -> bytes:
    body = [BODY[0], BODY[1].replace("SN12345", serial), *BODY[2:]]
    return seal(body)


def _inbox(home: Path, files: dict[str, bytes]) -> None:
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (inbox / name).write_bytes(data)


def test_refused_serials_are_quarantined_and_the_day_lands(tmp_path: Path) -> None:
    files = {name: _file(serial) for name, serial in GOOD.items()}
    files |= {"long.dex": _file(LONG_SERIAL), "bell.dex": _file(BELL_SERIAL)}
    _inbox(tmp_path, files)
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT machine_serial FROM dex_reads ORDER BY 1") == [
        ("SN12345",),
        ("SN67890",),
    ]
    rows = query(tmp_path, "SELECT original_name, reason, message FROM quarantine ORDER BY 1")
    assert [(name, reason) for name, reason, _ in rows] == [
        ("bell.dex", "invalid_serial"),
        ("long.dex", "invalid_serial"),
    ]
    assert "printable ASCII" in rows[0][2] and "longer than 64" in rows[1][2]
    assert len(list((tmp_path / "quarantine").glob("*.json"))) == 2
    # the next run (new good file the day after, or the same day) works as well
    _inbox(tmp_path, {"good3.dex": _file("SN24680")})
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert query(tmp_path, "SELECT count(*) FROM dex_reads") == [(3,)]


def test_a_file_that_fails_to_build_is_quarantined_alone(tmp_path: Path) -> None:
    """Any failure building one file (here its archived bytes cannot be read) quarantines that
    file with the error, and the other files of the day still give their rows."""
    _inbox(tmp_path, {"a.dex": _file("SN1"), "b.dex": _file("SN2"), "c.dex": _file("SN3")})
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    archive = tmp_path / "archive"
    receive_inbox(tmp_path / "inbox", archive, now=noon)
    broken = blob_path(archive, hashlib.sha256(_file("SN2")).hexdigest())
    broken.unlink()
    broken.mkdir()  # reading it raises IsADirectoryError
    day = build_day(archive, "2026-03-01")
    tables = day.tables()
    assert sorted(tables["dex_reads"]["machine_serial"].to_pylist()) == ["SN1", "SN3"]
    quarantine = tables["quarantine"].to_pylist()
    assert [(q["original_name"], q["reason"]) for q in quarantine] == [("b.dex", "build_failed")]
    assert "IsADirectoryError" in quarantine[0]["message"]
    files = {f["original_name"]: f["status"] for f in tables["dex_files"].to_pylist()}
    assert files == {"a.dex": "loaded", "b.dex": "quarantined", "c.dex": "loaded"}
    assert day.files == 3 and sorted(day.serials) == ["SN1", "SN3"]
