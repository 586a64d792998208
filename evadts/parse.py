"""`evadts.parse`: bytes in, reads with an integrity verdict out. Never raises on bad input."""

from __future__ import annotations

from datetime import datetime

from evadts import crc
from evadts.decode import make_decoder
from evadts.lexer import RawRead, split_reads
from evadts.model import Integrity, ParseResult, Problem, ProblemList, Read

_BINARY_SAMPLE = 4096
# Bytes that text may hold: tab, line ends, form feed, printable ASCII, and Latin-1 above 127.
_TEXT_BYTES = bytes([9, 10, 11, 12, 13, *range(32, 127), *range(128, 256)])


def _looks_binary(data: bytes) -> bool:
    """True for data that is not text: NUL bytes or mostly unprintable bytes in its first 4 KiB."""
    sample = data[:_BINARY_SAMPLE]
    if b"\x00" in sample:
        return True
    unprintable = len(sample.translate(None, _TEXT_BYTES))
    return unprintable > len(sample) // 10


def _integrity(raw: RawRead, lines: list[bytes]) -> tuple[Integrity, list[Problem]]:
    """Check G85 and SE of one read and decide whether it is complete."""
    integrity = Integrity(has_envelope=not (raw.dxs is None and raw.st is None and raw.se is None))
    problems: list[Problem] = []
    if raw.g85 is not None:
        problems += _check_crc(raw, raw.g85, lines, integrity)
    elif integrity.has_envelope:
        problems.append(
            Problem(
                "info",
                "no_crc",
                raw.lines[0],
                None,
                None,
                "no G85 in this read: usable but unverified",
            )
        )
    if raw.se is not None:
        problems += _check_segment_count(raw, raw.se, integrity)
    problems += _check_complete(raw, integrity)
    return integrity, problems


def _written_crc(written: str) -> int | None:
    """G8501 as a number, or None unless it is four hex digits."""
    if len(written) != 4:
        return None
    try:
        return int(written, 16)
    except ValueError:
        return None


def _check_crc(raw: RawRead, g85: int, lines: list[bytes], integrity: Integrity) -> list[Problem]:
    """Verify the CRC of G85 (row ``g85``) over the lines from ST to the one before it,
    recording on ``integrity`` what was written, what the data gives and which variant
    matched."""
    integrity.crc_present = True
    g85_row = raw.row(g85)
    g85_line = raw.lines[g85]
    written = g85_row[1].strip().decode("latin-1") if len(g85_row) > 1 else ""
    integrity.crc_expected = written or None
    if raw.st is None:
        integrity.crc_verified = False
        return [
            Problem(
                "error",
                "crc_without_st",
                g85_line,
                "G85",
                1,
                "G85 present but no ST to start the checksum from",
            )
        ]
    covered = b"\r\n".join(lines[raw.lines[raw.st] - 1 : g85_line - 1]) + b"\r\n"
    expected = _written_crc(written)
    if expected is None:
        integrity.crc_computed = crc.format_crc(crc.crc16_arc(covered))
        integrity.crc_verified = False
        return [
            Problem(
                "error",
                "crc_malformed",
                g85_line,
                "G85",
                1,
                f"G85 {written!r} is not four hex digits",
            )
        ]
    computed, variant = crc.match_variant(covered, expected)
    integrity.crc_computed = crc.format_crc(computed)
    integrity.crc_verified = variant is not None
    integrity.crc_variant = variant
    if variant is None:
        return [
            Problem(
                "error",
                "crc_mismatch",
                g85_line,
                "G85",
                1,
                f"G85 says {written}, the data gives {integrity.crc_computed}: "
                "the read is damaged and must not feed sales",
            )
        ]
    if variant != crc.VARIANT_STANDARD:
        return [
            Problem("info", "crc_variant", g85_line, "G85", 1, f"G85 verifies as variant {variant}")
        ]
    return []


def _check_segment_count(raw: RawRead, se: int, integrity: Integrity) -> list[Problem]:
    """Compare the segment count SE (row ``se``) declares with the segments from ST to SE,
    recording both on ``integrity``."""
    se_row, se_line = raw.row(se), raw.lines[se]
    start = raw.st if raw.st is not None else 0
    integrity.se_counted = se - start + 1
    declared = se_row[1].strip() if len(se_row) > 1 else b""
    if not declared.isdigit():  # bytes: ASCII digits only
        return [
            Problem(
                "warning",
                "se_count_missing",
                se_line,
                "SE",
                1,
                f"SE01 is not a count: {declared!r}",
            )
        ]
    integrity.se_declared = int(declared)
    if integrity.se_declared != integrity.se_counted:
        return [
            Problem(
                "warning",
                "se_count_mismatch",
                se_line,
                "SE",
                1,
                f"SE declares {integrity.se_declared} segments, counted {integrity.se_counted}",
            )
        ]
    return []


def _check_complete(raw: RawRead, integrity: Integrity) -> list[Problem]:
    """Decide whether the transmission arrived whole (``integrity.truncated``): an ST needs
    its SE (or a verified G85), a DXS without ST its DXE; bare segments cannot tell."""
    if not integrity.has_envelope:
        return [
            Problem(
                "warning",
                "no_envelope",
                raw.lines[0],
                None,
                None,
                "no DXS/ST/SE: the file is bare segments; usable but unverified",
            )
        ]
    problems: list[Problem] = []
    if raw.st is not None:
        complete = raw.se is not None or integrity.crc_verified is True
        missing = "SE"
    else:
        # Some devices send DXS ... DXE with no ST/SE: complete if the DXE arrived.
        complete = raw.se is None and raw.dxe is not None
        missing = "ST" if raw.se is not None else "DXE"
        if complete:
            problems.append(
                Problem(
                    "warning",
                    "no_st",
                    raw.lines[0],
                    None,
                    None,
                    "DXS ... DXE with no ST/SE: complete but unverified",
                )
            )
    if not complete:
        integrity.truncated = True
        problems.append(
            Problem(
                "error",
                "truncated",
                raw.lines[-1],
                None,
                None,
                f"read ends at line {raw.lines[-1]} without {missing}: incomplete transmission",
            )
        )
    return problems


def _joined(first: list[Problem], then: list[Problem]) -> ProblemList:
    """``first`` then ``then`` as one capped list (what ``first`` left out still counted)."""
    joined = ProblemList(first)
    joined.extend(then)
    return joined


def _summarised(problems: list[Problem]) -> list[Problem]:
    return problems.summarised() if isinstance(problems, ProblemList) else problems


def parse(
    data: bytes, *, source: str | None = None, reference_time: datetime | None = None
) -> ParseResult:
    """Parse one DEX/EVA-DTS file. Never raises on bad input: everything wrong is a Problem.

    ``source`` names the file in problems and output. ``reference_time`` (default: now) is what
    a read time in the future is judged against.
    """
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"evadts.parse takes bytes, not {type(data).__name__}")
        data = bytes(data)
    if not data or data.isspace():
        problem = Problem("error", "empty_file", None, None, None, "the file is empty")
        return ParseResult([], source, [problem])
    if data.find(b"\x00", 0, _BINARY_SAMPLE) >= 0:  # cheap first look; the full one below
        problem = Problem("error", "binary_file", None, None, None, "the file holds NUL bytes")
        return ParseResult([], source, [problem])
    raws, lines, file_problems = split_reads(data)
    clean = bool(raws) and not file_problems
    for raw in raws:
        clean = clean and not raw.problems
    # Only a file that did not split cleanly into reads can be binary; check it then.
    if not clean and _looks_binary(data):
        problem = Problem(
            "error", "binary_file", None, None, None, "the file is binary, not DEX text"
        )
        return ParseResult([], source, [problem])
    reads: list[Read] = []
    for index, raw in enumerate(raws):
        integrity, problems = _integrity(raw, lines)
        read = object.__new__(Read)
        read.__dict__ = {
            "integrity": integrity,
            "source": source,
            "index": index,
            "first_line": raw.lines[0],
            "last_line": raw.lines[-1],
            "_decoder": make_decoder(raw, _joined(raw.problems, problems), reference_time),
        }
        reads.append(read)
    if not reads:
        file_problems.append(
            Problem("error", "no_reads", None, None, None, "no DEX segments found in the file")
        )
    return ParseResult(reads, source, _summarised(file_problems))
