"""Property tests: write -> parse round-trips; damage is caught and never raises."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evadts
import evadts.jsonout
from evadts.model import AuditInfo, CounterSet, Currency, Event, Machine, Read, Selection, Totals

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text a device could send: printable, no surrounding blanks (padding is stripped on read).
text = (
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
    | st.none()
)
counts = st.integers(min_value=0, max_value=99_999_999) | st.none()
minutes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@st.composite
def reads(draw: st.DrawFn) -> Read:
    decimals = draw(st.sampled_from([0, 2, 3]))

    def money() -> Decimal | None:
        amount = draw(counts)
        return None if amount is None else Decimal(amount).scaleb(-decimals)

    def counter_set() -> CounterSet:
        return CounterSet(money(), draw(counts), money(), draw(counts))

    selections = [
        Selection(
            selection=str(draw(st.integers(1, 999))) if i % 7 else f"A{i}",
            price=money(),
            product_id=draw(text),
            capacity=draw(counts),
            current_level=draw(counts),
            paid_vends_total=draw(counts),
            paid_value_total=money(),
            paid_vends_since_reset=draw(counts),
            paid_value_since_reset=money(),
            test_vends=counter_set(),
            free_vends=counter_set(),
            sold_out_at=draw(minutes | st.none()),
            sold_out_count=draw(st.integers(0, 999)),
        )
        for i in range(draw(st.integers(0, 12)))
    ]
    read_at = draw(minutes)
    return Read(
        machine=Machine(
            serial=draw(text),
            model=draw(text),
            asset_number=draw(text),
            communication_id=draw(text.filter(bool)),
        ),
        dts_version="V1/1",
        read_at=read_at,
        read_at_source="ID5",
        previous_read_at=None,
        currency=Currency(decimals, "EUR", "1978", "iso_numeric"),
        totals=Totals(paid=counter_set(), cash=counter_set(), cashless1=counter_set()),
        selections=selections,
        events=[
            Event("EA2", draw(text.filter(bool)), count_reset=draw(counts), count_init=draw(counts))
        ],
        audit=AuditInfo(reads_since_init=draw(counts), read_at=read_at),
        init_at=draw(minutes | st.none()),
    )


def _strip_lines(items: list) -> list:  # type: ignore[type-arg]
    return [dataclasses.replace(item, line=None) for item in items]


@PROPERTY_SETTINGS
@given(reads(), st.sampled_from(["\r\n", "\n"]), st.sampled_from(["upper", "lower"]))
def test_write_then_parse_round_trips(read: Read, eol: str, case: str) -> None:
    data = evadts.write(read, evadts.WriteOptions(line_ending=eol, crc_case=case))  # type: ignore[arg-type]
    result = evadts.parse(data)
    assert len(result.reads) == 1
    back = result.reads[0]
    assert back.usable and back.verified
    assert back.integrity.se_declared == back.integrity.se_counted
    assert back.machine == read.machine
    assert back.currency.code == "EUR" and back.currency.decimals == read.currency.decimals
    assert back.read_at == read.read_at and back.init_at == read.init_at
    assert back.totals == read.totals
    assert _strip_lines(back.selections) == read.selections
    assert _strip_lines(back.events) == read.events
    assert back.audit == read.audit
    assert not [p for p in result.problems if p.severity == "error"]


@PROPERTY_SETTINGS
@given(reads(), st.data())
def test_random_byte_mutations_never_raise(read: Read, data: st.DataObject) -> None:
    raw = bytearray(evadts.write(read))
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        pos = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[pos]
        else:
            raw.insert(pos, data.draw(st.integers(0, 255)))
    result = evadts.parse(bytes(raw), source="mutated")
    for r in result.reads:  # decoding every field must not raise either
        assert isinstance(r.problems, list)
        evadts.jsonout.read_to_dict(r)
    assert all(p.severity in ("error", "warning", "info") for p in result.problems)


@PROPERTY_SETTINGS
@given(reads(), st.data())
def test_a_changed_digit_between_st_and_g85_is_caught(read: Read, data: st.DataObject) -> None:
    raw = evadts.write(read)
    start, end = raw.index(b"\nST*") + 1, raw.index(b"G85*")
    digits = [i for i in range(start, end) if 48 <= raw[i] <= 57]
    pos = data.draw(st.sampled_from(digits))
    new = data.draw(st.sampled_from([d for d in b"0123456789" if d != raw[pos]]))
    damaged = raw[:pos] + bytes([new]) + raw[pos + 1 :]
    result = evadts.parse(damaged)
    # CRC-16 detects every single-byte error, so no variant may verify it
    assert all(r.integrity.crc_verified is not True for r in result.reads)
    assert not result.usable
