"""The HTTP-deliveries sensor's cursor over the ledger (``days_named_since``): each new delivery
named with the prefix is seen once, on SQLite's rowid and on PostgreSQL's identity column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingest.ledger import days_named_since
from ingest.receive import receive_inbox


def _receive(root: Path, name: str, day: str, ledger_url: str | None) -> None:
    inbox = root / "inbox"
    (inbox / name).parent.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(f"DXS*{name}\r\n".encode())
    noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    receive_inbox(inbox, root / "archive", now=noon, ledger_url=ledger_url)


def test_each_named_delivery_is_seen_once(tmp_path: Path, ledger_url: str | None) -> None:
    archive = tmp_path / "archive"
    assert days_named_since(archive, "http/", 0, ledger_url) == (0, [])  # nothing received
    _receive(tmp_path, "http/a.dex", "2026-03-01", ledger_url)
    first, days = days_named_since(archive, "http/", 0, ledger_url)
    assert days == ["2026-03-01"] and first >= 1
    _receive(tmp_path, "http/b.dex", "2026-03-02", ledger_url)
    _receive(tmp_path, "handheld/c.dex", "2026-03-03", ledger_url)  # not pushed over HTTP
    second, days = days_named_since(archive, "http/", first, ledger_url)
    assert days == ["2026-03-02"] and second >= first + 2  # two rows recorded since
    assert days_named_since(archive, "http/", second, ledger_url) == (second, [])
