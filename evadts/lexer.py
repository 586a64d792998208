"""The structural pass: bytes to lines to segments, grouped into transmissions.

This is the hot path of :func:`evadts.parse`. It splits the file exactly once, recognises segment
ids, repairs what the field breaks (handheld wrappers, glued lines), groups segments into reads and
leaves every element as bytes; field decoding happens later and only on demand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

from evadts.model import Problem

# A segment id: two letters and one or two digits, or one of the envelope ids.
_ID_PATTERN = re.compile(rb"[A-Z]{2}[0-9]{1,2}|DXS|DXE|ST|SE|G85|LS|LE")
# An id glued onto the end of a cut-off segment ("EADXS", "CA1*MAPA2*...").
_GLUED_ID = re.compile(rb"(DXS|DXE|G85|PA[1-8])$")
_GLUED_INSIDE = re.compile(rb"[^*](PA[1-8]|DXS|DXE|G85)\*")

ENVELOPE = frozenset({b"DXS", b"ST", b"SE", b"G85", b"DXE"})
_VALID: set[bytes] = set()  # ids already seen to be well-formed, as sent
_FIRST = itemgetter(0)
# The layout of nearly every file: one read, DXS ST ... G85 SE DXE, nothing before or after.
_HEAD = [b"DXS", b"ST"]
_TAIL = [b"G85", b"SE", b"DXE"]


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
    lines: list[int] | range = field(default_factory=list)  # a range: one contiguous read
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


def _positions(ids: list[bytes], wanted: frozenset[bytes] | set[bytes]) -> list[int]:
    """Indexes of the ids in ``wanted``, by C-level iteration (no Python loop per line)."""
    return list(compress(range(len(ids)), map(wanted.__contains__, ids)))


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


def split_glued_inside(
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


class _Grouper:
    """The state machine that groups segments into reads. Only envelope segments (DXS, ST, SE,
    G85, DXE) are looked at one by one; the runs of segments between them move as slices."""

    def __init__(self, enveloped: bool, bad: set[int]) -> None:
        # In a file with an envelope, lines outside DXS/ST ... SE/DXE are headers and trailers;
        # in a bare file (segments only) the first segment starts the one read there is.
        self.enveloped = enveloped
        self.bad = bad  # line numbers whose first element is not a segment id
        self.reads: list[RawRead] = []
        self.current: RawRead | None = None
        self.closed = True  # no read open
        self.file_problems: list[Problem] = []

    def content(self, rows: list[list[bytes]], numbers: Sequence[int], texts: list[bytes]) -> None:
        """Non-envelope rows: into the open read, a new bare read, or reported as text outside
        any read."""
        if self.closed:
            if self.enveloped:
                for number, text in zip(numbers, texts, strict=True):
                    shown = text[:40].decode("latin-1")
                    self.file_problems.append(
                        _problem("info", "trailer", number, None, f"outside any read: {shown!r}")
                    )
                return
            self.current, self.closed = RawRead(), False
        assert self.current is not None
        self.current.rows.extend(rows)
        self.current.lines.extend(numbers)
        if self.bad and numbers:
            first, last = numbers[0], numbers[-1]  # ascending: the line numbers of this chunk
            for number in sorted(n for n in self.bad if first <= n <= last):
                shown = texts[numbers.index(number)][:40].decode("latin-1")
                self.current.problems.append(
                    _problem(
                        "warning",
                        "bad_segment_id",
                        number,
                        None,
                        f"not a segment: {shown!r}; kept raw",
                    )
                )

    def envelope(self, seg: bytes, row: list[bytes], number: int) -> None:
        """DXS, ST, SE, G85 or DXE at line ``number``."""
        current = self.current
        if seg == b"DXS" or (
            seg == b"ST" and (current is None or self.closed or current.st is not None)
        ):
            if current is not None and not self.closed:
                self.reads.append(current)
            current, self.closed = RawRead(), False
            self.current = current
        elif self.closed:
            if seg != b"ST":
                name = seg.decode()
                self.file_problems.append(
                    _problem(
                        "warning", "stray_segment", number, name, f"{name} outside any read ignored"
                    )
                )
                return
            current, self.closed = RawRead(), False
            self.current = current
        assert current is not None
        index = current.add(row, number)
        if seg == b"DXS":
            current.dxs = index
        elif seg == b"ST":
            current.st = index
        elif seg == b"SE":
            current.se = index
        elif seg == b"G85":
            current.g85 = index
        else:
            current.dxe = index
            self.reads.append(current)
            self.closed = True

    def run(
        self,
        rows: list[list[bytes]],
        ids: list[bytes],
        envelope: list[int],
        numbers: Sequence[int],
        texts: list[bytes],
    ) -> list[RawRead]:
        """Group all rows (``envelope``: the indexes of envelope rows); returns the reads."""
        previous = 0
        for i in envelope:
            if i > previous:
                self.content(rows[previous:i], numbers[previous:i], texts[previous:i])
            self.envelope(ids[i], rows[i], numbers[i])
            previous = i + 1
        if previous < len(rows):
            self.content(rows[previous:], numbers[previous:], texts[previous:])
        if self.current is not None and not self.closed:
            self.reads.append(self.current)
        return self.reads


def _repair_all(
    rows: list[list[bytes]], ids: list[bytes], lines: list[bytes], suspects: list[int]
) -> tuple[list[list[bytes]], list[bytes], list[int], list[bytes], set[int], list[Problem]]:
    """Rebuild the row list with the suspect rows (0-based) repaired: wrappers removed, glued
    lines split, blank lines dropped. Returns rows, ids, line numbers, texts, the numbers of
    rows that stay unreadable, and the problems found."""
    problems: list[Problem] = []
    out_rows: list[list[bytes]] = []
    out_numbers: list[int] = []
    out_texts: list[bytes] = []
    bad: set[int] = set()
    bad_at: list[int] = []  # their positions in the output
    previous = 0
    for i in suspects:
        out_rows.extend(rows[previous:i])
        out_numbers.extend(range(previous + 1, i + 1))
        out_texts.extend(lines[previous:i])
        previous = i + 1
        row, text, number = rows[i], lines[i], i + 1
        if not text.strip():
            continue  # blank line or padding
        if _known_id(row[0]) is None:
            parts = _repair(row, text, number, problems)
        else:
            parts = split_glued_inside([row[0].strip(), *row[1:]], text, number, problems)
        for part in parts:
            if _known_id(part[0]) is None and len(parts) == 1:
                bad.add(number)
                bad_at.append(len(out_rows))
            out_rows.append([part[0].strip(), *part[1:]])
            out_numbers.append(number)
            out_texts.append(text)
    out_rows.extend(rows[previous:])
    out_numbers.extend(range(previous + 1, len(rows) + 1))
    out_texts.extend(lines[previous:])
    out_ids = list(map(_FIRST, out_rows))
    for at in bad_at:
        out_ids[at] = b""
    return out_rows, out_ids, out_numbers, out_texts, bad, problems


def split_reads(data: bytes) -> tuple[list[RawRead], list[bytes], list[Problem]]:
    """Split ``data`` into transmissions. Returns the reads, the file's lines (for the CRC, which
    covers the bytes as received) and file-level problems (trailers, stray lines)."""
    lines = data.splitlines()
    rows = [line.split(b"*") for line in lines]
    ids = list(map(_FIRST, rows))
    if (
        ids[:2] == _HEAD
        and ids[-3:] == _TAIL
        and _VALID.issuperset(ids)
        and ENVELOPE.isdisjoint(ids[2:-3])
    ):
        # The common case, decided by C-level scans: no state machine needed. An envelope id
        # glued inside a line only matters where it bounds another read, and another read
        # brings its own ST/SE/G85/DXE lines, which would be at line starts: not here.
        n = len(rows)
        read = RawRead(rows, range(1, n + 1), dxs=0, st=1, se=n - 2, g85=n - 3, dxe=n - 1)
        return [read], lines, []
    distinct = set(ids)
    invalid = {seg for seg in distinct - _VALID if _known_id(seg) != seg}
    if len(_VALID) < 4096:
        _VALID.update(distinct - invalid)
    special = ENVELOPE | invalid
    marked = _positions(ids, special)
    envelope = [i for i in marked if ids[i] in ENVELOPE]
    unreadable = [i for i in marked if ids[i] in invalid]  # first element is no segment id
    # An envelope segment glued inside a line shows as more DX/G85 in the bytes than at line
    # starts and in the unreadable lines, which are repaired anyway (a PA segment glued inside
    # another is split by the decoder, which owns selections).
    glued = data.count(b"DX") != sum(ids[i][:2] == b"DX" for i in envelope) + sum(
        lines[i].count(b"DX") for i in unreadable
    ) or data.count(b"G85") != sum(ids[i] == b"G85" for i in envelope) + sum(
        lines[i].count(b"G85") for i in unreadable
    )
    numbers: Sequence[int] = range(1, len(rows) + 1)
    texts, bad, problems = lines, set(), []
    if invalid or glued:
        suspects = unreadable
        if glued:
            suspects = [
                i
                for i, (seg, text) in enumerate(zip(ids, lines, strict=True))
                if seg in invalid or (seg not in ENVELOPE and (b"DX" in text or b"G85" in text))
            ]
        rows, ids, numbers, texts, bad, problems = _repair_all(rows, ids, lines, suspects)
        envelope = _positions(ids, ENVELOPE)
    grouper = _Grouper(enveloped=b"DXS*" in data or b"ST*" in data, bad=bad)
    reads = grouper.run(rows, ids, envelope, numbers, texts)
    if bad:  # a "read" made only of lines that are not segments is text, not DEX
        text_only = [r for r in reads if all(n in bad for n in r.lines)]
        for r in text_only:
            grouper.file_problems.extend(r.problems)
        reads = [r for r in reads if r not in text_only]
    # Repair problems belong to the read whose lines they are on, else to the file.
    for problem in problems:
        owner = next((r for r in reads if r.lines[0] <= (problem.line or 0) <= r.lines[-1]), None)
        (owner.problems if owner else grouper.file_problems).append(problem)
    return reads, lines, grouper.file_problems
