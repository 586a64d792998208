"""Field decoding on a hand-made read: every expected value is read off handmade.BODY by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import evadts
from tests.evadts.handmade import BODY, seal


def test_every_field_of_a_handmade_read() -> None:
    result = evadts.parse(seal(BODY), source="hand.dex")
    assert len(result.reads) == 1
    read = result.reads[0]
    assert read.usable and read.verified
    assert read.integrity.crc_variant == "standard"
    assert (read.integrity.se_declared, read.integrity.se_counted) == (
        len(BODY) + 2,
    ) * 2  # ST..EA7, G85, SE
    m = read.machine
    assert (m.serial, m.model, m.build_standard, m.location, m.user, m.asset_number) == (
        "SN12345",
        None,
        "V6",
        "Lobby 3",
        "OP1",
        "ASSET-77",
    )
    assert (m.control_board_serial, m.control_board_model, m.control_board_software) == (
        "CB998",
        "MDB-X",
        "4.2",
    )
    assert m.communication_id == "TEST000001" and read.dts_version == "V1/1"
    assert (read.currency.code, read.currency.decimals, read.currency.style) == (
        "USD",
        2,
        "iso_numeric",
    )
    assert read.read_at == datetime(2026, 3, 10, 14, 30, 15) and read.read_at_source == "ID5"
    assert read.previous_read_at == datetime(2026, 3, 3, 9, 5)
    assert read.init_at == datetime(2025, 1, 1, 0, 0)
    t = read.totals
    assert (t.paid.value_init, t.paid.count_init, t.paid.value_reset, t.paid.count_reset) == (
        Decimal("123.45"),
        250,
        Decimal("15.00"),
        30,
    )
    assert t.test.value_init == Decimal("3.00") and t.test.count_init == 2
    assert t.cash.value_init == Decimal("50.00") and t.cashless1.count_reset == 20
    assert t.cashless2.value_init is None  # no DB2: missing is None, never 0
    cola, chips = read.selection("10"), read.selection("11")
    assert cola is not None and chips is not None
    assert (cola.price, cola.product_id, cola.capacity, cola.standard_fill) == (
        Decimal("1.25"),
        "P-COLA",
        12,
        10,
    )
    assert (cola.dispensed_quantity, cola.status, cola.current_level, cola.minimum_level) == (
        None,
        "0",
        4,
        1,
    )
    assert (cola.paid_vends_total, cola.paid_value_total) == (100, Decimal("125.00"))
    assert (cola.paid_vends_since_reset, cola.paid_value_since_reset) == (12, Decimal("15.00"))
    assert (cola.test_vends.count_init, cola.test_vends.value_init) == (2, Decimal("2.50"))
    assert cola.sold_out_at == datetime(2026, 3, 9, 8, 15) and cola.sold_out_count == 3
    assert chips.capacity == 8 and chips.sold_out_at is None and chips.sold_out_count is None
    assert len(chips.price_lists) == 1
    pl = chips.price_lists[0]
    assert (pl.device, pl.price_list, pl.price, pl.count_init, pl.value_init) == (
        "DA",
        "1",
        Decimal("1.50"),
        40,
        Decimal("60.00"),
    )
    kinds = [(e.segment, e.code) for e in read.events]
    assert kinds == [("EA1", "EGS"), ("EA2", "EGS"), ("EA7", "POWER_OUTAGE")]
    assert read.events[0].at == datetime(2026, 3, 10, 14, 12)
    assert read.events[0].duration_minutes == 3
    assert (read.events[1].count_reset, read.events[1].count_init) == (4, 120)
    assert (read.events[2].count_reset, read.events[2].count_init) == (1, 9)
    assert read.audit is not None and read.audit.reads_since_init == 57
    # every raw segment is kept with its line number (DXS is line 1, ST line 2)
    assert [s.id for s in read.segments][:3] == ["DXS", "ST", "ID1"]
    assert read.segments[2].line == 3
    assert not [p for p in result.problems if p.severity != "info"]


def test_zero_decimals_and_phone_style_currency() -> None:
    body = ["ST*001*0001", "ID1*Z1", "ID4*0*0001", "PA1*1*150", "PA2*3*450*1*150"]
    read = evadts.parse(seal(body)).reads[0]
    assert (read.currency.code, read.currency.style, read.currency.decimals) == ("USD", "phone", 0)
    sel = read.selection("1")
    assert sel is not None and sel.price == Decimal(150) and sel.paid_value_total == Decimal(450)


def test_interval_only_pa2_keeps_cumulative_fields_none() -> None:
    body = ["ST*001*0001", "ID1*IO1", "ID4*2*1978", "PA1*5*100", "PA2***88*34800"]
    sel = evadts.parse(seal(body)).reads[0].selection("5")
    assert sel is not None
    assert (sel.paid_vends_total, sel.paid_value_total) == (None, None)
    assert (sel.paid_vends_since_reset, sel.paid_value_since_reset) == (88, Decimal("348.00"))
    assert sel.interval_only


def test_sentinels_become_none_with_a_warning() -> None:
    body = ["ST*001*0001", "ID1*S1*****4294967295", "ID4*2*FFFF", "PA1*1*100*P*FFFF"]
    result = evadts.parse(seal(body))
    read = result.reads[0]
    assert read.machine.asset_number is None and read.selection("1").capacity is None
    codes = [(p.code, p.segment, p.element) for p in result.problems]
    assert ("sentinel", "ID1", 6) in codes and ("sentinel", "PA1", 4) in codes


def test_six_digit_dates_and_four_digit_times() -> None:
    body = ["ST*001*0001", "ID1*D6", "ID5*260310*1430", "PA1*1*100", "PA5*260309*0815*1"]
    read = evadts.parse(seal(body)).reads[0]
    assert read.read_at == datetime(2026, 3, 10, 14, 30)
    assert read.selection("1").sold_out_at == datetime(2026, 3, 9, 8, 15)


def test_escapes_are_decoded() -> None:
    body = ["ST*001*0001", "ID1*A^2A^B*Model^5E^1"]
    read = evadts.parse(seal(body)).reads[0]
    assert (read.machine.serial, read.machine.model) == ("A*B", "Model^1")


def test_bad_number_names_line_segment_and_element() -> None:
    body = ["ST*001*0001", "ID1*N1", "PA1*1*100", "PA2*12x*1200"]
    result = evadts.parse(seal(body), source="bad.dex")
    bad = [p for p in result.problems if p.code == "bad_number"]
    assert len(bad) == 1
    assert (bad[0].line, bad[0].segment, bad[0].element) == (5, "PA2", 1)
    assert "12x" in bad[0].message
    assert result.reads[0].selection("1").paid_vends_total is None
