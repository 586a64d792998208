"""Read one master-data CSV file safely: bounded in size, every record reported by its line.

The file is read whole and decoded before anything of it is used (at most
:data:`MAX_FILE_BYTES`), so a file that is too big or not UTF-8 is refused before any row is
written. Each record then comes back on its own: one the CSV reader cannot parse, one with too
many or too few fields, or one with a field over :data:`MAX_FIELD_CHARS` carries its problem (and
the field) instead of stopping the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Row = dict[str, str]
# A master-data file is a few megabytes at 50,000 machines; anything far bigger is a mistake.
MAX_FILE_BYTES = 32 * 1024 * 1024
# No master-data field comes near this (names stop at 200 characters): longer is garbage.
MAX_FIELD_CHARS = 10_000


class FileProblemError(Exception):
    """The whole file cannot be read (missing, too big, not UTF-8, missing columns)."""


@dataclass(frozen=True)
class Parsed:
    """One record of a file: its line, its fields, and what is wrong with it ("" for nothing)."""

    line: int
    row: Row
    problem: str = ""
    field: str = ""


def _text(path: Path) -> str:
    """The whole file, decoded, or a :class:`FileProblemError` before anything is written."""
    if not path.is_file():
        raise FileProblemError("file not found")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileProblemError(
            f"{size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit of one master-data file: "
            "split it"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblemError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def _checked(raw: dict[str | None, object], columns: tuple[str, ...], width: int) -> Parsed:
    row = {c: str(raw.get(c) or "").strip() for c in columns}
    if None in raw:
        extra = raw[None]
        count = len(extra) if isinstance(extra, list) else 1
        return Parsed(0, row, f"{width + count} fields, the header has {width}")
    if missing := [c for c in columns if raw.get(c) is None]:
        return Parsed(0, row, f"too few fields (no {', '.join(missing)})", missing[0])
    for column in columns:
        if len(row[column]) > MAX_FIELD_CHARS:
            problem = f"{len(row[column]):,} characters, over the {MAX_FIELD_CHARS:,} limit"
            return Parsed(0, {**row, column: ""}, f"{column} is {problem}", column)
    return Parsed(0, row)


def read_rows(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[Parsed]:
    """Every record of the file, in order; a malformed one carries its problem and still the
    fields it has (missing ones empty), so a planogram row can be attributed to its cabinet.
    The ``optional`` columns the header has are read like the others; absent ones are left out
    of the rows.

    A record the CSV reader cannot parse is reported with its line and reading goes on.
    """
    text = _text(path)
    # The file cap bounds every field; fields over MAX_FIELD_CHARS are rejected by name below
    # instead of stopping the reader (its default limit raises mid-file).
    csv.field_size_limit(max(MAX_FILE_BYTES, csv.field_size_limit()))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise FileProblemError(f"malformed CSV header: {exc}") from exc
    missing = [c for c in columns if c not in header]
    if missing:
        raise FileProblemError(f"header lacks column(s) {', '.join(missing)}")
    columns = (*columns, *(c for c in optional if c in header))
    while True:
        start = reader.line_num + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader resumes at the next line
            yield Parsed(start, {}, f"unreadable CSV ({exc})")
            continue
        parsed = _checked(raw, columns, len(header))
        yield Parsed(reader.line_num, parsed.row, parsed.problem, parsed.field)
