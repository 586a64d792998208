"""The structural pass: bytes to lines to segments, grouped into transmissions.

This is the hot path of :func:`evadts.parse`. It splits the file into lines once, takes each
line's segment id, repairs what the field breaks (handheld wrappers, glued lines) and groups the
rows into reads, each row kept as its bytes. Splitting rows into elements and decoding fields
happen later and only on demand. Per row there is one split at the first ``*`` and one set (or
dictionary) lookup; only envelope rows and rows that need repair get more.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, compress, islice, repeat

from evadts.model import Problem, ProblemList, Severity

# A segment id: two letters and one or two digits, or one of the envelope ids.
_ID_PATTERN = re.compile(rb"[A-Z]{2}[0-9]{1,2}|DXS|DXE|ST|SE|G85|LS|LE")
# An id glued onto the end of a cut-off segment ("EADXS", "CA1*MAPA2*...").
_GLUED_ENDS = (b"DXS", b"DXE", b"G85", *(b"PA%d" % k for k in range(1, 9)))
_GLUED_INSIDE = re.compile(rb"[^*](PA[1-8]|DXS|DXE|G85)\*")

ENVELOPE = frozenset({b"DXS", b"ST", b"SE", b"G85", b"DXE"})
# Ids already seen to be well-formed non-envelope segment ids, as sent, mapped to False: the
# lookup ``_CONTENT.get(seg, True)`` is True exactly for the rows that need a closer look.
_CONTENT: dict[bytes, bool] = {}
_CONTENT_SET: set[bytes] = set()  # the same ids, for C-level subset tests
_CONTENT_LIMIT = 4096
_CLOSER_LOOK = _CONTENT.get
_TRUE = repeat(True)  # the lookup's default, one per row (map stops with the rows)
_EDGE = 16  # how far from either end _classify looks for ST and G85
# Reads kept per file: a machine's file holds one, a telemetry concentrator's a few hundred.
# Garbage of bare ST lines would otherwise make a read object per line (a few KB per 8 bytes).
MAX_READS = 2000
_MARK = {b"DXS": "dxs", b"ST": "st", b"SE": "se", b"G85": "g85", b"DXE": "dxe"}  # RawRead fields


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
    """One transmission's rows with 1-based line numbers. A row is kept as its bytes (the
    elements joined by ``*``, after repair): only decoding needs the elements, and it reads
    them from the text."""

    texts: list[bytes] = field(default_factory=list)
    lines: list[int] | range = field(default_factory=list)  # a range when no line was split
    dxs: int | None = None  # index into rows
    st: int | None = None
    se: int | None = None
    g85: int | None = None
    dxe: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def row(self, index: int) -> list[bytes]:
        """Row ``index`` as its list of byte elements."""
        return self.texts[index].split(b"*")


def _problem(
    severity: Severity, code: str, line: int | None, segment: str | None, msg: str
) -> Problem:
    return Problem(severity, code, line, segment, None, msg)


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
    if head.endswith(_GLUED_ENDS) and len(head) > 3:  # every id that glues on is 3 bytes
        fragment, seg_id = head[:-3], head[-3:]
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
    """The state machine that groups rows into reads. Only envelope rows (DXS, ST, SE, G85, DXE)
    are looked at one by one; a read is a contiguous run of rows, cut out as one slice."""

    def __init__(
        self,
        enveloped: bool,
        heads: list[bytes],
        segments: list[bytes],
        *,
        numbers: list[int] | range,
        texts: list[bytes],
        bad_at: list[int],
    ) -> None:
        # In a file with an envelope, lines outside DXS/ST ... SE/DXE are headers and trailers;
        # in a bare file (segments only) the first segment starts the one read there is.
        self.enveloped = enveloped
        self.heads, self.segments = heads, segments  # each row's id, and the row as bytes
        self.numbers, self.texts = numbers, texts  # its line number and that line as received
        self.bad_at = bad_at  # ascending positions of rows whose first element is no segment id
        self.reads: list[RawRead] = []
        self.start: int | None = None  # first row of the open read; None: no read open
        self.marks: dict[str, int] = {}  # the open read's envelope rows, relative to start
        self.problems = ProblemList()  # the open read's
        self.file_problems = ProblemList()

    def _open(self, at: int) -> None:
        self.start, self.marks, self.problems = at, {}, ProblemList()

    def _close(self, end: int) -> None:
        """The open read ends before row ``end``."""
        start = self.start
        assert start is not None
        self.reads.append(
            RawRead(
                self.segments[start:end],
                self.numbers[start:end],
                problems=self.problems,
                **self.marks,
            )
        )
        self.start = None

    def content(self, first: int, end: int) -> None:
        """Rows ``first`` to ``end`` (exclusive), none of them envelope: into the open read, a
        new bare read, or reported as text outside any read."""
        numbers, texts = self.numbers, self.texts
        if self.start is None:
            if self.enveloped:
                for k in range(first, end):
                    shown = texts[k][:40].decode("latin-1")
                    self.file_problems.append(
                        _problem(
                            "info", "trailer", numbers[k], None, f"outside any read: {shown!r}"
                        )
                    )
                return
            self._open(first)
        bad_at = self.bad_at  # ascending: only the slice within first..end is looked at
        for k in bad_at[bisect_left(bad_at, first) : bisect_left(bad_at, end)]:
            shown = texts[k][:40].decode("latin-1")
            self.problems.append(
                _problem(
                    "warning",
                    "bad_segment_id",
                    numbers[k],
                    None,
                    f"not a segment: {shown!r}; kept raw",
                )
            )

    def envelope(self, seg: bytes, at: int) -> None:
        """DXS, ST, SE, G85 or DXE at row ``at``."""
        if seg == b"DXS" or (seg == b"ST" and (self.start is None or "st" in self.marks)):
            if self.start is not None:
                self._close(at)
            self._open(at)
        start = self.start
        if start is None:
            name = seg.decode()
            self.file_problems.append(
                _problem(
                    "warning",
                    "stray_segment",
                    self.numbers[at],
                    name,
                    f"{name} outside any read ignored",
                )
            )
            return
        self.marks[_MARK[seg]] = at - start
        if seg == b"DXE":
            self._close(at + 1)

    def _stop(self, at: int) -> None:
        """Keep no more reads: the file holds more than :data:`MAX_READS` (row ``at`` on)."""
        # a read opened but not closed is the first one not kept
        line = self.numbers[at if self.start is None else self.start]
        self.start = None
        self.file_problems.append(
            _problem(
                "error",
                "too_many_reads",
                line,
                None,
                f"more than {MAX_READS} reads in the file: the rest, from line {line}, "
                "is not parsed",
            )
        )

    def run(self, envelope: list[int]) -> list[RawRead]:
        """Group all rows (``envelope``: the positions of envelope rows); returns the reads."""
        previous = 0
        heads = self.heads
        for i in envelope:
            if len(self.reads) >= MAX_READS:
                self._stop(i)
                return self.reads
            if i > previous:
                self.content(previous, i)
            self.envelope(heads[i], i)
            previous = i + 1
        end = len(heads)
        if previous < end:
            self.content(previous, end)
        if self.start is not None:
            self._close(end)
        return self.reads


def _repair_rows(
    lines: list[bytes], heads: list[bytes], envelope: list[int], suspects: list[int]
) -> tuple[
    list[bytes], list[bytes], list[int] | range, list[bytes], list[int], list[int], ProblemList
]:
    """Repair the suspect rows (0-based positions): wrappers removed, glued lines split, blank
    lines dropped. Returns the rows as bytes, their ids, line numbers, texts, envelope positions,
    the positions of rows that stay unreadable, and the problems found. When every suspect stays
    one row (the usual case), copies of the lists are patched and the line numbers stay a
    range."""
    problems = ProblemList()
    edits: list[tuple[int, list[list[bytes]]]] = []  # no parts: a blank line, dropped
    in_place = True
    for i in suspects:
        text = lines[i]
        if not text or text.isspace():
            edits.append((i, []))  # blank line or padding
            in_place = False
            continue
        row = text.split(b"*")
        if _known_id(row[0]) is None:
            parts = _repair(row, text, i + 1, problems)
        else:
            parts = split_glued_inside([row[0].strip(), *row[1:]], text, i + 1, problems)
        if len(parts) == 1:
            part = parts[0]
            parts[0] = [part[0].strip(), *part[1:]]
        else:
            in_place = False
            parts = [[part[0].strip(), *part[1:]] for part in parts]
        edits.append((i, parts))
    bad_at: list[int] = []
    if in_place:
        segments = list(lines)
        added: list[int] = []  # positions of envelope rows made by the repair
        for i, (part,) in edits:
            segments[i] = b"*".join(part)
            heads[i] = part[0]
            if _known_id(part[0]) is None:
                bad_at.append(i)
            elif part[0] in ENVELOPE:
                added.append(i)
        if added:
            envelope = sorted(envelope + added)
        return segments, heads, range(1, len(lines) + 1), lines, envelope, bad_at, problems
    out_segments: list[bytes] = []
    out_heads: list[bytes] = []
    out_numbers: list[int] = []
    out_texts: list[bytes] = []
    out_envelope: list[int] = []
    previous = 0
    pending = iter(envelope)  # envelope rows are never suspects: they move with the rows
    next_envelope = next(pending, None)
    for i, parts in edits:
        if i > previous:  # the untouched rows before this one
            shift = len(out_segments) - previous
            while next_envelope is not None and next_envelope < i:
                out_envelope.append(next_envelope + shift)
                next_envelope = next(pending, None)
            out_segments.extend(lines[previous:i])
            out_heads.extend(heads[previous:i])
            out_numbers.extend(range(previous + 1, i + 1))
            out_texts.extend(lines[previous:i])
        previous = i + 1
        single = len(parts) == 1
        for part in parts:
            if single and _known_id(part[0]) is None:
                bad_at.append(len(out_segments))
            elif part[0] in ENVELOPE:
                out_envelope.append(len(out_segments))
            out_segments.append(b"*".join(part))
            out_heads.append(part[0])
            out_numbers.append(previous)
            out_texts.append(lines[i])
    shift = len(out_segments) - previous
    if next_envelope is not None:
        out_envelope.append(next_envelope + shift)
        out_envelope.extend(e + shift for e in pending)
    out_segments.extend(lines[previous:])
    out_heads.extend(heads[previous:])
    out_numbers.extend(range(previous + 1, len(lines) + 1))
    out_texts.extend(lines[previous:])
    return out_segments, out_heads, out_numbers, out_texts, out_envelope, bad_at, problems


def _classify(heads: list[bytes]) -> tuple[list[int], list[int]]:
    """The positions of envelope rows and of rows whose first element is no segment id.

    Nearly every file is a few lines, ST, known content ids, G85, a few lines: when the rows
    between an ST near the start and a G85 near the end are all known content ids (one C-level
    set scan), only the rows outside them are looked at in Python. Otherwise every row is looked
    up (one C-level dictionary lookup per row) and only rows with an id not seen before are
    looked at in Python (their id remembered when it is well-formed). Either way the answer is
    the same: the first is a shortcut."""
    n = len(heads)
    edge = min(n, _EDGE)
    st, g85 = n, -1
    for k in range(edge):
        if heads[k] == b"ST":
            st = k
            break
    for k in range(n - 1, n - 1 - edge, -1):
        if heads[k] == b"G85":
            g85 = k
            break
    candidates: Iterable[int]
    if st < g85 and _CONTENT_SET.issuperset(islice(heads, st + 1, g85)):
        candidates = chain(range(st + 1), range(g85, n))
    else:
        candidates = compress(range(n), map(_CLOSER_LOOK, heads, _TRUE))
    envelope: list[int] = []
    unreadable: list[int] = []
    for i in candidates:
        seg = heads[i]
        if seg in ENVELOPE:
            envelope.append(i)
        elif seg in _CONTENT_SET:
            continue
        elif _known_id(seg) == seg:
            if len(_CONTENT) < _CONTENT_LIMIT:
                _CONTENT[seg] = False
                _CONTENT_SET.add(seg)
        else:
            unreadable.append(i)
    return envelope, unreadable


def _occurrences(data: bytes, anchor: bytes, offset: int, needle: bytes) -> int:
    """How often ``needle`` occurs in ``data``, found through its byte ``anchor`` (at
    ``offset`` in the needle) with memchr-speed single-byte search; ``bytes.count`` of a
    several-byte needle walks every byte far more slowly. Falls back to it for a common anchor."""
    found = 0
    at = data.find(anchor, offset)
    for _ in range(64):
        if at < 0:
            return found
        if data.startswith(needle, at - offset):
            found += 1
        at = data.find(anchor, at + 1)
    return data.count(needle)


def _glued(
    data: bytes, heads: list[bytes], lines: list[bytes], envelope: list[int], unreadable: list[int]
) -> bool:
    """True when an envelope segment is glued inside a line: more DX/G85 in the bytes than at
    line starts and in the unreadable lines (which are repaired anyway; a PA segment glued inside
    another is split by the decoder, which owns selections)."""
    dx = g85 = 0
    for i in envelope:
        seg = heads[i]
        dx += seg[:2] == b"DX"
        g85 += seg == b"G85"
    for i in unreadable:
        dx += lines[i].count(b"DX")
        g85 += lines[i].count(b"G85")
    return _occurrences(data, b"X", 1, b"DX") != dx or _occurrences(data, b"G", 0, b"G85") != g85


def _layout(heads: list[bytes]) -> bool:
    """True when the ids start DXS ST and end G85 SE DXE (what lies between is not looked at)."""
    return (
        len(heads) >= 5
        and heads[0] == b"DXS"
        and heads[1] == b"ST"
        and heads[-3] == b"G85"
        and heads[-2] == b"SE"
        and heads[-1] == b"DXE"
    )


def _one_read(lines: list[bytes]) -> RawRead:
    """The read of a file laid out DXS ST ... G85 SE DXE with nothing else at line starts: no
    state machine needed. An envelope id glued inside a line only matters where it bounds
    another read, and another read brings its own ST/SE/G85/DXE lines, which would be at line
    starts: not here."""
    n = len(lines)
    return RawRead(lines, range(1, n + 1), 0, 1, n - 2, n - 3, n - 1, [])  # dxs st se g85 dxe


def split_reads(data: bytes) -> tuple[list[RawRead], list[bytes], list[Problem]]:
    """Split ``data`` into transmissions. Returns the reads, the file's lines (for the CRC, which
    covers the bytes as received) and file-level problems (trailers, stray lines)."""
    lines = data.splitlines()
    # Each line's segment id; the elements are split only when a read is decoded.
    heads = [line.split(b"*", 1)[0] for line in lines]
    n = len(heads)
    # The common case, DXS ST <known content ids> G85 SE DXE, decided by one C-level scan;
    # _classify below finds it too when an id is new, so the shortcut never changes the answer.
    if _layout(heads) and _CONTENT_SET.issuperset(islice(heads, 2, n - 3)):
        return [_one_read(lines)], lines, []
    envelope, unreadable = _classify(heads)
    if not unreadable and envelope == [0, 1, n - 3, n - 2, n - 1] and _layout(heads):
        return [_one_read(lines)], lines, []
    glued = _glued(data, heads, lines, envelope, unreadable)
    segments: list[bytes] = lines
    numbers: list[int] | range = range(1, n + 1)
    texts: list[bytes] = lines
    bad_at: list[int] = []
    problems = ProblemList()
    if unreadable or glued:
        suspects = unreadable
        if glued:
            bad_ids = {heads[i] for i in unreadable}
            suspects = [
                i
                for i, (seg, text) in enumerate(zip(heads, lines, strict=True))
                if seg in bad_ids or (seg not in ENVELOPE and (b"DX" in text or b"G85" in text))
            ]
        segments, heads, numbers, texts, envelope, bad_at, problems = _repair_rows(
            lines, heads, envelope, suspects
        )
    enveloped = b"DXS*" in data or b"ST*" in data
    grouper = _Grouper(enveloped, heads, segments, numbers=numbers, texts=texts, bad_at=bad_at)
    reads = grouper.run(envelope)
    # A "read" made only of lines that are not segments is text, not DEX. (In a file with an
    # envelope every read starts at an envelope row, so there it cannot happen.)
    if bad_at and not grouper.enveloped:
        bad_numbers = {numbers[k] for k in bad_at}
        text_only = [read for read in reads if all(n in bad_numbers for n in read.lines)]
        for read in text_only:
            grouper.file_problems.extend(read.problems)
        reads = [read for read in reads if read not in text_only]
    # Repair problems belong to the read whose lines they are on, else to the file.
    for problem in problems:
        line = problem.line or 0
        for read in reads:
            if read.lines[0] <= line <= read.lines[-1]:
                read.problems.append(problem)
                break
        else:
            grouper.file_problems.append(problem)
    # repairs left out of their capped list: counted with the file's
    for code, count in getattr(problems, "not_listed", {}).items():
        not_listed = grouper.file_problems.not_listed
        not_listed[code] = not_listed.get(code, 0) + count
    return reads, lines, grouper.file_problems
