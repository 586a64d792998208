"""fct_cash_collections on hand-built DEX files, one machine per counter case.

Elements (EVA-DTS 6.2, cash segments; amounts in minor units, ID401 = 2 decimals):
CA3 01-04 cash in / to cash box / to tubes / bills in since reset, 05-08 the same since init;
CA4 01 change paid out, 02 paid out by hand since reset, 03-04 the same since init;
CA10 01 filled by hand since reset, 02 since init; CA15 01 tube contents.
Expected cash in the box = to cash box + bills in + paid out by hand, between the reads at two
collections. Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from ingest.days import build_days
from ingest.receive import arrival_days, receive_inbox
from tests.evadts.handmade import seal
from transforms.cash import publish_collections, refresh_cash
from transforms.catalog import view_sql
from transforms.marts import refresh_marts

DAY = datetime(2026, 3, 1, 10, 0)


def _read(serial: str, at: datetime, *cash: str, init: str = "20250101", n: int = 1) -> bytes:
    body = [
        "ST*001*0001",
        f"ID1*{serial}*M1*V6****A-{serial}",
        "ID4*2*1840",
        f"ID5*{at:%Y%m%d}*{at:%H%M%S}",
        "VA1*100000*800*0*0",
        "CA2*40000*300*0*0",
        *cash,
        "PA1*10*125*P1",
        "PA2*800*100000*0*0",
        f"EA3*{n}*{at:%Y%m%d}*{at:%H%M}",
        f"EA4*{init}*0000",
    ]
    return seal(body, dxs=f"DXS*{serial}*VA*V1/1*1")


# case -> its reads, a day apart (the first and the last are at collections)
CASES: dict[str, list[bytes]] = {
    # cumulative, with a read between the collections where the driver refilled the tubes
    # (CA10 +20.00, from the change fund: not in the box) and a collection read where 6.00 of
    # coins were paid out by hand (CA404 1000 -> 1600) into the bag:
    # box 21000 - 20000 = 1000, bills 33000 - 30000 = 3000, by hand 1600 - 1000 = 600 -> 46.00
    "CUMUL": [
        _read("CUMUL", DAY, "CA3*0*0*0*0*100000*20000*50000*30000", "CA4*0*0*40000*1000",
              "CA10*0*5000", "CA15*2500", n=1),
        _read("CUMUL", DAY + timedelta(days=1), "CA3*2750*450*800*1500*102750*20450*50800*31500",
              "CA4*600*0*40600*1000", "CA10*2000*7000", "CA15*4700", n=2),
        _read("CUMUL", DAY + timedelta(days=2), "CA3*5000*550*950*3500*107750*21000*51750*33000",
              "CA4*900*600*41500*1600", "CA10*0*7000", "CA15*4200", n=3),
    ],
    # board replaced between the collections (EA4 changes): the new board's since-init counters
    # are the interval: box 4.00 + bills 12.00 + by hand 0 -> 16.00
    "RESET": [
        _read("RESET", DAY, "CA3*0*0*0*0*500000*90000*200000*210000", "CA4*0*0*1000*500",
              "CA15*3000", n=40),
        _read("RESET", DAY + timedelta(days=1), "CA3*2000*400*400*1200*2000*400*400*1200",
              "CA4*0*0*0*0", "CA15*3400", init="20260302", n=1),
    ],
    # 8-digit value fields past their maximum (99,999,999 minor units):
    # box 500 - 99999000 + 100000000 = 1500, bills 2000 - 99998000 + 100000000 = 4000,
    # by hand 0 -> 55.00 (CA404 did not wrap: the row names both bases)
    "WRAP": [
        _read("WRAP", DAY, "CA3*0*0*0*0*99990000*99999000*99993000*99998000", "CA4*0*0*10*0",
              n=5),
        _read("WRAP", DAY + timedelta(days=1), "CA3*6500*1500*1000*4000*500*500*1000*2000",
              "CA4*0*0*10*0", n=6),
    ],
    # only the since-reset elements (reset at every read): the sum over the reads after the
    # first collection: (box 300 + bills 500 + by hand 0) + (100 + 1000 + 150) -> 20.50
    "INTVL": [
        _read("INTVL", DAY, "CA3*900*200*300*400", "CA4*100*0", n=1),
        _read("INTVL", DAY + timedelta(days=1), "CA3*1500*300*700*500", "CA4*200*0", n=2),
        _read("INTVL", DAY + timedelta(days=2), "CA3*1400*100*300*1000", "CA4*200*150", n=3),
    ],
    # a read between the collections without CA3 (CA2 only): the box cannot be known
    "NOCA3": [
        _read("NOCA3", DAY, "CA3*0*0*0*0*100000*20000*50000*30000", "CA4*0*0*40000*1000", n=1),
        _read("NOCA3", DAY + timedelta(days=1), n=2),
        _read("NOCA3", DAY + timedelta(days=2), "CA3*0*0*0*0*101000*20500*50000*30500",
              "CA4*0*0*40000*1000", n=3),
    ],
}  # fmt: skip
EXPECTED = {"CUMUL": "46.00", "RESET": "16.00", "WRAP": "55.00", "INTVL": "20.50"}


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("cashdex")
    inbox, archive, lake = root / "inbox", root / "archive", root / "lake"
    inbox.mkdir()
    for serial, reads in CASES.items():
        for k, data in enumerate(reads):
            (inbox / f"{serial}_{k}.dex").write_bytes(data)
    receive_inbox(inbox, archive, now=datetime(2026, 3, 5, tzinfo=UTC))
    list(build_days(archive, lake, arrival_days(archive), workers=1))
    refresh_marts(lake)
    rows, n = [], 0
    for serial, reads in CASES.items():
        last = DAY + timedelta(days=len(reads) - 1)
        # the driver's clock is a few minutes off the machine's
        for at, cents in ((DAY + timedelta(minutes=4), 0), (last - timedelta(minutes=7), 4000)):
            n += 1
            rows.append({
                "collection_id": n, "machine_serial": serial, "asset_number": f"A-{serial}",
                "route_code": "R1", "driver": "d1", "bag": f"B{n}", "source": "import",
                "collected_at": at, "counted_bills_cents": None, "counted_coins_cents": None,
                "counted_cents": cents, "adjusted_cents": None, "reconcile_state": "pending",
                "reconcile_note": "",
            })  # fmt: skip
    publish_collections(lake, rows)
    refresh_cash(lake)
    con = duckdb.connect()
    con.execute(view_sql("marts", "fct_cash_collections", lake))
    return con


def _row(con: duckdb.DuckDBPyConnection, serial: str) -> tuple:  # type: ignore[type-arg]
    found = con.execute(
        "SELECT expected_cash, counter_basis, status, unusable_reason, variance "
        "FROM fct_cash_collections WHERE machine_serial = ? ORDER BY collected_at DESC LIMIT 1",
        [serial],
    ).fetchone()
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("serial", "basis"),
    [
        ("CUMUL", "cumulative"),
        ("RESET", "restart"),
        ("WRAP", "cumulative,wrap"),
        ("INTVL", "interval"),
    ],
)
def test_expected_cash_per_counter_case(
    marts: duckdb.DuckDBPyConnection, serial: str, basis: str
) -> None:
    expected, counter_basis, status, reason, variance = _row(marts, serial)
    assert (expected, counter_basis, reason) == (Decimal(EXPECTED[serial]), basis, None)
    # counted 40.00 against the expected amount
    assert variance == Decimal("40.00") - Decimal(EXPECTED[serial])
    assert status == ("short" if variance < 0 else "over")


def test_tube_refill_and_hand_payout_are_reported_apart(marts: duckdb.DuckDBPyConnection) -> None:
    row = marts.execute(
        "SELECT manually_filled, manually_dispensed, tube_level_before, tube_level_after, "
        "change_dispensed, to_tubes, cash_in FROM fct_cash_collections "
        "WHERE machine_serial = 'CUMUL' AND status <> 'unusable'"
    ).fetchone()
    # filled 7000 - 5000; by hand 1600 - 1000; tubes 25.00 then 42.00; change 41500 - 40000;
    # to tubes 51750 - 50000; cash in 107750 - 100000
    assert row == tuple(Decimal(v) for v in ("20", "6", "25", "42", "15", "17.5", "77.5"))


def test_missing_ca3_and_first_collection_are_unusable(marts: duckdb.DuckDBPyConnection) -> None:
    expected, _basis, status, reason, _variance = _row(marts, "NOCA3")
    assert (expected, status) == (None, "unusable")
    assert "CA3" in reason
    firsts = marts.execute(
        "SELECT DISTINCT status, unusable_reason FROM fct_cash_collections "
        "WHERE collected_at < '2026-03-01 11:00'"
    ).fetchall()
    assert firsts == [("unusable", "no earlier collection: what the box held before is unknown")]
