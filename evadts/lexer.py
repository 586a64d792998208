"""The structural pass: bytes to lines to segments, grouped into transmissions.

This is the hot path of :func:`evadts.parse`. It splits the file exactly once, recognises segment
ids, repairs what the field breaks (handheld wrappers, glued lines), groups segments into reads and
leaves every element as bytes; field decoding happens later and only on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evadts.model import Problem

# A segment id: two letters and one or two digits, or one of the envelope ids.
_ID_PATTERN = re.compile(rb"[A-Z]{2}[0-9]{1,2}|DXS|DXE|ST|SE|G85|LS|LE")
# An id glued onto the end of a cut-off segment ("EADXS", "CA1*MAPA2*...").
_GLUED_ID = re.compile(rb"(DXS|DXE|G85|PA[1-8])$")
_GLUED_INSIDE = re.compile(rb"[^*](PA[1-8]|DXS|DXE|G85)\*")

ENVELOPE = frozenset({b"DXS", b"ST", b"SE", b"G85", b"DXE"})


def _known_id(raw: bytes, cache: dict[bytes, bytes | None] = {}) -> bytes | None:  # noqa: B006
    """The segment id ``raw`` names, or None; memoised because a file repeats few ids."""
    try:
        return cache[raw]
    except KeyError:
        stripped = raw.strip()
        ok = stripped if _ID_PATTERN.fullmatch(stripped) else None
        if len(cache) < 4096:
            cache[raw] = ok
        return ok


@dataclass
class RawRead:
    """One transmission's rows (lists of byte elements) with 1-based line numbers."""

    rows: list[list[bytes]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    dxs: int | None = None  # index into rows
    st: int | None = None
    se: int | None = None
    g85: int | None = None
    dxe: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, row: list[bytes], line: int) -> int:
        """Append a row and return its index."""
        self.rows.append(row)
        self.lines.append(line)
        return len(self.rows) - 1


def _problem(severity: str, code: str, line: int | None, segment: str | None, msg: str) -> Problem:
    return Problem(severity, code, line, segment, None, msg)  # type: ignore[arg-type]


def _repair(
    row: list[bytes], line_bytes: bytes, number: int, problems: list[Problem]
) -> list[list[bytes]]:
    """Recover segments from a row whose id is not valid: a wrapper before DXS, or a segment
    glued onto the cut-off end of another. Returns the rows to use in its place."""
    head = row[0]
    if b">" in head:
        tail = head.rpartition(b">")[2]
        if _known_id(tail):
            problems.append(
                _problem(
                    "info",
                    "wrapper",
                    number,
                    tail.decode("latin-1"),
                    f"handheld wrapper before {tail.decode('latin-1')} removed",
                )
            )
            return [[tail, *row[1:]]]
    match = _GLUED_ID.search(head)
    if match and match.start() > 0:
        fragment, seg_id = head[: match.start()], head[match.start() :]
        problems.append(
            _problem(
                "warning",
                "glued_lines",
                number,
                seg_id.decode("latin-1"),
                f"segment {seg_id.decode('latin-1')} glued onto a cut-off "
                f"{fragment.decode('latin-1')!r}; split in two",
            )
        )
        return [[fragment], [seg_id, *row[1:]]]
    stripped = head.strip()
    if _known_id(stripped):
        return [[stripped, *row[1:]]]
    return [row]  # not a segment: the caller says so, as a trailer or a bad segment


def _split_glued_inside(
    row: list[bytes], line_bytes: bytes, number: int, problems: list[Problem]
) -> list[list[bytes]]:
    """Split ``CA1*MAPA2*0*0`` into ``CA1*MA`` and ``PA2*0*0`` (a line cut off and glued)."""
    match = _GLUED_INSIDE.search(line_bytes, len(row[0]))
    if not match:
        return [row]
    cut = match.start(1)
    first, second = line_bytes[:cut], line_bytes[cut:]
    seg_id = match.group(1).decode("latin-1")
    problems.append(
        _problem(
            "warning",
            "glued_lines",
            number,
            seg_id,
            f"segment {seg_id} glued onto a cut-off {first.decode('latin-1')!r}; split in two",
        )
    )
    return [first.split(b"*"), second.split(b"*")]


def split_reads(data: bytes) -> tuple[list[RawRead], list[bytes], list[Problem]]:
    """Split ``data`` into transmissions. Returns the reads, the file's lines (for the CRC, which
    covers the bytes as received) and file-level problems (trailers, stray lines)."""
    lines = data.splitlines()
    file_problems: list[Problem] = []
    reads: list[RawRead] = []
    current: RawRead | None = None
    closed = True  # no read open: the next segment starts one
    # In a file with an envelope, lines outside DXS/ST ... SE/DXE are headers and trailers; in a
    # bare file (segments only, no envelope) the first segment starts the one read there is.
    enveloped = b"DXS*" in data or b"ST*" in data
    known = _known_id
    for number, row in enumerate([line.split(b"*") for line in lines], start=1):
        seg = known(row[0])
        if seg is None:
            if not lines[number - 1].strip():
                continue  # blank line or padding
            sink = current.problems if current is not None and not closed else file_problems
            repaired = _repair(row, lines[number - 1], number, sink)
        elif (
            seg not in ENVELOPE
            and seg[:2] != b"PA"
            and (
                b"PA" in lines[number - 1]
                or b"DX" in lines[number - 1]
                or b"G85" in lines[number - 1]
            )
        ):
            sink = current.problems if current is not None and not closed else file_problems
            repaired = _split_glued_inside(row, lines[number - 1], number, sink)
        else:
            if not closed and seg not in ENVELOPE:
                current.rows.append(row)  # type: ignore[union-attr]  # the common case, inlined
                current.lines.append(number)  # type: ignore[union-attr]
                continue
            repaired = [row]
        for part in repaired:
            seg = known(part[0])
            shown = lines[number - 1][:40].decode("latin-1")
            if seg is None or (closed and enveloped and seg not in ENVELOPE):
                # After a DXE, or before any read, lines that are not DXS/ST are handheld
                # headers and trailers: reported, kept in the archived file, not parsed.
                if closed:
                    file_problems.append(
                        _problem(
                            "info", "trailer", number, None, f"text outside any read: {shown!r}"
                        )
                    )
                elif len(repaired) == 1:  # (a glued fragment was reported as such)
                    current.problems.append(
                        _problem(  # type: ignore[union-attr]
                            "warning",
                            "bad_segment_id",
                            number,
                            None,
                            f"not a segment: {shown!r}; kept raw",
                        )
                    )
                if not closed:
                    current.add(part, number)  # type: ignore[union-attr]
                continue
            if seg == b"DXS" or (
                seg == b"ST" and (current is None or closed or current.st is not None)
            ):
                if current is not None and not closed:
                    reads.append(current)
                current, closed = RawRead(), False
            elif closed:
                if seg in (b"SE", b"G85", b"DXE"):
                    file_problems.append(
                        _problem(
                            "warning",
                            "stray_segment",
                            number,
                            seg.decode(),
                            f"{seg.decode()} outside any read ignored",
                        )
                    )
                    continue
                current, closed = RawRead(), False
            assert current is not None
            index = current.add(part, number)
            if seg == b"DXS":
                current.dxs = index
            elif seg == b"ST":
                current.st = index
            elif seg == b"SE":
                current.se = index
            elif seg == b"G85":
                current.g85 = index
            elif seg == b"DXE":
                current.dxe = index
                reads.append(current)
                closed = True
    if current is not None and not closed:
        reads.append(current)
    return reads, lines, file_problems
