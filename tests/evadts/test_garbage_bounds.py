"""Garbage costs memory by its size, not by its count of faults (issue 15, item 8): a 2 MB file
of bare ``ST*001`` lines used 451 MB (a read object per 8-byte line), and every line of other
garbage made its own problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import evadts
from evadts.lexer import MAX_READS
from evadts.model import MAX_PROBLEMS_PER_CODE, NOT_LISTED

MB = 1024 * 1024
# A child process (a fresh one: the test runner's memory is not in its peak) makes a garbage
# file of ``size`` bytes from ``line``, parses it as ingestion does (every read decoded) and
# reports its own peak resident memory in bytes.
CHILD = """
import json, sys
import evadts
line, size = sys.argv[1].encode().decode("unicode_escape").encode("latin-1"), int(sys.argv[2])
data = (line * (size // len(line) + 1))[:size]
result = evadts.parse(data, source="garbage.dex")
for read in result.reads:
    read.usable, read.machine, read.problems
problems = len(result.problems)
# VmHWM: the peak resident size of this process's own memory since exec (ru_maxrss would
# keep the high-water mark of the process it was forked from: the test runner)
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps({"peak": peak, "reads": len(result.reads), "problems": problems}))
"""


@pytest.fixture(autouse=True)
def _linux() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc/self/status (Linux)")


def _peak(line: str, size: int) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, line, str(size)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("line", ["ST*001\\r\\n", "DXS*1\\r\\n", "SE*1\\r\\n"])
@pytest.mark.parametrize("size", [2 * MB, 6 * MB])
def test_peak_memory_of_garbage_stays_proportional_to_its_size(line: str, size: int) -> None:
    """Envelope garbage: one read (or stray segment) per line. The bound leaves the parser its
    cost per line of text (a line and its id as bytes objects: about 15 bytes per byte of
    6-byte lines); before, each line cost a read object of several KB."""
    got = _peak(line, size)
    assert got["peak"] < 50 * MB + 25 * size, got
    assert got["reads"] <= MAX_READS


def test_a_read_lists_the_first_problems_of_a_code_and_counts_the_rest() -> None:
    lines = ["DXS*1", "ST*001*0001", *(["hello"] * 1000), "SE*1002*0001", "DXE*1*1"]
    result = evadts.parse(("\r\n".join(lines) + "\r\n").encode(), source="x.dex")
    (read,) = result.reads
    bad = [p for p in read.problems if p.code == "bad_segment_id"]
    assert len(bad) == MAX_PROBLEMS_PER_CODE == 50
    assert [p.line for p in bad] == list(range(3, 53))  # the first ones, lines 3.. by hand
    (summary,) = [p for p in read.problems if p.code == NOT_LISTED]
    assert "950 more bad_segment_id" in summary.message and summary.severity == "warning"
    assert result.problems_not_listed == {"bad_segment_id": 950}


def test_reads_past_the_limit_are_not_parsed_and_the_file_says_where() -> None:
    data = b"ST*001\r\n" * (MAX_READS + 500)  # one read per line
    result = evadts.parse(data, source="x.dex")
    assert len(result.reads) == MAX_READS == 2000
    (stop,) = [p for p in result.file_problems if p.code == "too_many_reads"]
    assert stop.severity == "error" and stop.line == 2001  # the 2001st ST, by hand


@pytest.mark.parametrize(
    ("prefix", "line", "code"),
    [
        ("DXS*1\\r\\nST*001*0001\\r\\n", "hello\\r\\n", "bad_segment_id"),
        ("", "CA1*MAPA2*0*0\\r\\n", "glued_lines"),
    ],
)
def test_a_fault_on_every_line_lists_a_bounded_number_of_problems(
    prefix: str, line: str, code: str
) -> None:
    """Garbage with one fault per line: the problems listed stay few, whatever the size."""
    body = (line * 20_000).encode().decode("unicode_escape").encode("latin-1")
    data = prefix.encode().decode("unicode_escape").encode("latin-1") + body
    result = evadts.parse(data, source="x.dex")
    listed = [p for p in result.problems if p.code == code]
    assert len(listed) == MAX_PROBLEMS_PER_CODE
    assert len(result.problems) < 4 * MAX_PROBLEMS_PER_CODE
    assert sum(result.problems_not_listed.values()) >= 20_000 - MAX_PROBLEMS_PER_CODE
