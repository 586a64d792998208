"""Every file the simulator writes parses with evadts; exactly the spoiled ones are unusable.

The simulator picks its damage by re-parsing with evadts, so the spoiled files are also checked
here without evadts: the G85 CRC recomputed by a bitwise CRC-16/ARC written for the tests, and
the segment structure read line by line.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

import evadts
from simulator.truth import DELIVERIES, READS
from tests.evadts.handmade import crc16_arc

from .conftest import Run


def manifest(run: Run) -> pl.DataFrame:
    return pl.read_parquet(run.paths.truth / DELIVERIES)


def test_sim_inbox_holds_exactly_the_manifest(quirky_run: Run) -> None:
    files = sorted(p.name for p in quirky_run.paths.inbox.iterdir())
    rows = manifest(quirky_run)
    assert files == sorted(rows["file_name"].to_list())
    assert rows["written"].all()
    assert len(files) == quirky_run.summary.files


def test_sim_every_read_parses_and_usability_is_as_intended(quirky_run: Run) -> None:
    for row in manifest(quirky_run).iter_rows(named=True):
        data = (quirky_run.paths.inbox / row["file_name"]).read_bytes()
        result = evadts.parse(data, source=row["file_name"])
        assert [r.machine.serial for r in result.reads] == [row["serial"]] * len(row["read_ids"])
        assert [r.usable for r in result.reads] == row["reads_usable"], row["file_name"]
        spoiled = {"damaged", "truncated"} & set(row["quirks"])
        assert row["usable"] is not bool(spoiled)
        if "damaged" in spoiled:
            assert result.reads[0].integrity.crc_verified is False
        if "truncated" in spoiled:
            assert result.reads[0].integrity.truncated


def test_sim_every_quirk_shows_up(quirky_run: Run) -> None:
    rows = manifest(quirky_run)
    quirks = Counter(q for qs in rows["quirks"] for q in qs)
    for quirk in ("duplicate", "reexport", "damaged", "truncated", "multi_read", "late"):
        assert quirks[quirk] > 0, quirk
    inbox = quirky_run.paths.inbox
    texts = [(inbox / name).read_bytes() for name in rows["file_name"]]
    assert any(b"\r\n" not in t for t in texts)  # LF-only files
    assert any(t.startswith(b"<000|") for t in texts)  # handheld wrapper before DXS
    assert any(b"\nPA2***" in t or b"\r\nPA2***" in t for t in texts)  # interval-only PA2
    multi = rows.filter(pl.col("quirks").list.contains("multi_read"))
    assert (multi["read_ids"].list.len() > 1).any()


def test_sim_duplicates_are_the_same_read(quirky_run: Run) -> None:
    rows = manifest(quirky_run)
    by_name = {r["file_name"]: r for r in rows.iter_rows(named=True)}
    inbox = quirky_run.paths.inbox
    for row in rows.filter(pl.col("duplicate_of").is_not_null()).iter_rows(named=True):
        original = by_name[row["duplicate_of"]]
        assert row["read_ids"] == original["read_ids"]
        copy, first = (
            (inbox / row["file_name"]).read_bytes(),
            (inbox / original["file_name"]).read_bytes(),
        )
        if "duplicate" in row["quirks"]:
            assert copy == first
        else:
            assert copy != first
            a, b = evadts.parse(copy).reads[0], evadts.parse(first).reads[0]
            assert a.selections == b.selections and a.read_at == b.read_at


def test_sim_reads_table_matches_deliveries(quirky_run: Run) -> None:
    reads = pl.read_parquet(quirky_run.paths.truth / READS)
    assert reads.height == quirky_run.summary.reads
    assert reads["read_id"].n_unique() == reads.height
    rows = manifest(quirky_run)
    delivered = Counter(rid for ids in rows["read_ids"] for rid in ids)
    assert dict(
        Counter({r: len(f) for r, f in zip(reads["read_id"], reads["file_names"], strict=True)})
    ) == dict(delivered)
    # A read is usable as delivered exactly when its original (non-copy) file is.
    originals = rows.filter(pl.col("duplicate_of").is_null()).explode("read_ids")
    usable = dict(zip(originals["read_ids"], originals["usable"], strict=True))
    assert dict(zip(reads["read_id"], reads["usable_as_delivered"], strict=True)) == usable


def segments(data: bytes) -> list[list[bytes]]:
    """The lines of each transaction set, from its ``ST`` line to the end of the file or the line
    before the next ``ST``; CR LF or LF endings removed; a handheld wrapper ``<...>`` is not a
    line of its own and never stands before ``ST``."""
    lines = [line.removesuffix(b"\r") for line in data.split(b"\n")]
    starts = [i for i, line in enumerate(lines) if line.startswith(b"ST*")]
    return [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def g85_forms(body: list[bytes]) -> set[int]:
    """Every value a G85 over ``body`` (ST .. the line before G85) may be written as: CRC-16/ARC
    of the lines re-joined by CR LF, with and without the final CR LF, in either byte order."""
    forms = set()
    for text in (b"\r\n".join(body) + b"\r\n", b"\r\n".join(body)):
        crc = crc16_arc(text)
        forms |= {crc, ((crc & 0xFF) << 8) | (crc >> 8)}
    return forms


def g85_checks(segment: list[bytes]) -> tuple[int, set[int]] | None:
    """(the G85 value written, the values it may rightly hold), or None without a G85 line."""
    at = next((i for i, line in enumerate(segment) if line[:4].upper() == b"G85*"), None)
    if at is None:
        return None
    return int(segment[at][4:8], 16), g85_forms(segment[:at])


def test_sim_damaged_files_fail_an_independent_crc(quirky_run: Run) -> None:
    seen = {"damaged": 0, "intact": 0}
    for row in manifest(quirky_run).iter_rows(named=True):
        if "truncated" in row["quirks"]:
            continue
        data = (quirky_run.paths.inbox / row["file_name"]).read_bytes()
        parts = segments(data)
        assert len(parts) == len(row["read_ids"]), row["file_name"]
        for segment in parts:
            check = g85_checks(segment)
            if "damaged" in row["quirks"]:
                assert check is not None, row["file_name"]
                written, forms = check
                assert written not in forms, row["file_name"]
                seen["damaged"] += 1
            elif check is not None:
                written, forms = check
                assert written in forms, row["file_name"]
                seen["intact"] += 1
    assert seen["damaged"] > 0 and seen["intact"] > 100, seen


def test_sim_truncated_files_end_without_se(quirky_run: Run) -> None:
    truncated = 0
    for row in manifest(quirky_run).iter_rows(named=True):
        data = (quirky_run.paths.inbox / row["file_name"]).read_bytes()
        parts = segments(data)
        assert parts, row["file_name"]
        closed = any(line.startswith(b"SE*") for line in parts[-1])
        if "truncated" in row["quirks"]:
            assert not closed, row["file_name"]
            truncated += 1
        else:
            assert all(any(ln.startswith(b"SE*") for ln in p) for p in parts), row["file_name"]
    assert truncated > 0
