"""The parser against the real DEX corpus: facts read off each file by hand (see corpus_facts.py).

The corpus lives beside the project (``../shared/dex-corpus``) and is not part of it; a plain clone
has no such folder, and then these tests skip.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import evadts
from tests.evadts.corpus_facts import FACTS, ReadFacts, Sel
from tests.evadts.handmade import crc16_arc  # independent of evadts, from the standard

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "dex-corpus"

if not CORPUS.is_dir():
    pytest.skip(
        f"DEX corpus not found at {CORPUS} (it sits beside the project in CI; a plain clone "
        "has no ../shared/dex-corpus)",
        allow_module_level=True,
    )

ALL_FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "PROVENANCE.md")
VARIANTS = ("standard", "byte_swapped", "no_final_crlf", "no_final_crlf_byte_swapped")


def file_lines(raw: bytes) -> list[bytes]:
    """The file's lines (1-based index = position + 1), each without its LF or CR LF."""
    return [line.removesuffix(b"\r") for line in raw.split(b"\n")]


def crc_verdict(raw: bytes, st_line: int, g85_line: int) -> tuple[bool, str | None]:
    """G85 on ``g85_line`` checked over the lines from ``st_line`` re-joined by CR LF."""
    lines = file_lines(raw)
    g85 = lines[g85_line - 1]
    assert g85.startswith(b"G85*"), g85
    expected = int(g85.split(b"*")[1][:4], 16)
    body = b"".join(line + b"\r\n" for line in lines[st_line - 1 : g85_line - 1])
    assert body.startswith(b"ST*")
    full, short = crc16_arc(body), crc16_arc(body[:-2])
    candidates = (full, _swap(full), short, _swap(short))
    for variant, value in zip(VARIANTS, candidates, strict=True):
        if value == expected:
            return True, variant
    return False, None


def _swap(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def test_own_crc_check_value() -> None:
    assert crc16_arc(b"123456789") == 0xBB3D


def test_table_covers_the_corpus() -> None:
    assert sorted(FACTS) == ALL_FILES


# --- every file parses -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FILES)
def test_parses_without_exception(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    result = evadts.parse(raw, source=name)
    problems = result.problems
    assert isinstance(problems, list)
    n_lines = len(file_lines(raw.removesuffix(b"\n")))
    for problem in problems:
        assert problem.severity in {"error", "warning", "info"}, problem
        if problem.line is not None:
            assert 1 <= problem.line <= n_lines, problem


# --- the facts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FACTS))
def test_own_crc_matches_table(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    for facts in FACTS[name]:
        if facts.crc is None:
            assert facts.crc_verified is None and facts.crc_variant is None
            continue
        assert crc_verdict(raw, *facts.crc) == (facts.crc_verified, facts.crc_variant)


def _check_selection(read: evadts.Read, sel: Sel) -> None:
    if sel.index is None:
        got = read.selection(sel.selection)
        assert got is not None, f"no selection {sel.selection!r}"
    else:
        got = read.selections[sel.index]
        assert got.selection == sel.selection
    where = f"selection {sel.selection!r} #{sel.index}"
    assert got.price == sel.price, where
    assert got.paid_vends_total == sel.vends_total, where
    assert got.paid_value_total == sel.value_total, where
    assert got.paid_vends_since_reset == sel.vends_reset, where
    assert got.paid_value_since_reset == sel.value_reset, where


def _check_read(read: evadts.Read, facts: ReadFacts) -> None:
    assert read.machine.serial == facts.serial
    assert len(read.selections) == facts.selections
    assert read.currency.code == facts.currency
    assert read.currency.decimals == facts.decimals
    assert read.read_at == facts.read_at
    assert read.integrity.crc_present is facts.crc_present
    assert read.integrity.crc_verified is facts.crc_verified
    assert read.integrity.crc_variant == facts.crc_variant
    assert read.integrity.truncated is facts.truncated
    assert read.usable is facts.usable
    for sel in facts.sels:
        _check_selection(read, sel)


@pytest.mark.parametrize("name", sorted(FACTS))
def test_corpus_facts(name: str) -> None:
    expected = FACTS[name]
    result = evadts.parse((CORPUS / name).read_bytes(), source=name)
    assert len(result.reads) == len(expected)
    for index, (read, facts) in enumerate(zip(result.reads, expected, strict=True)):
        try:
            _check_read(read, facts)
        except AssertionError as exc:
            raise AssertionError(f"read {index}: {exc}") from exc


@pytest.mark.parametrize("name", sorted(FACTS))
def test_money_is_decimal_and_missing_is_none(name: str) -> None:
    result = evadts.parse((CORPUS / name).read_bytes(), source=name)
    for read in result.reads:
        for sel in read.selections:
            for value in (sel.price, sel.paid_value_total, sel.paid_value_since_reset):
                assert value is None or isinstance(value, Decimal)
