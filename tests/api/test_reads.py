"""The read API over real HTTP on a materialized demo home: pages that add up to the whole,
filters, CSV, the data-date header, and the sales against the simulator's truth."""

from __future__ import annotations

import csv
import io

import duckdb
import httpx
import pytest

from orchestration.settings import Settings
from tests.api.conftest import Tokens
from tests.api.server import Running
from tests.orchestration.pipeline import query

ENDPOINTS = ["machines", "sales/daily", "stockouts", "slot-status", "recommendations"]


def _get_all(running: Running, token: str, path: str, **params: object) -> list[dict]:  # type: ignore[type-arg]
    """Every row, following ``next`` page by page (pages of 97 rows: not a divisor of anything)."""
    rows: list[dict] = []  # type: ignore[type-arg]
    url: str | None = f"{running.url}/v1/{path}"
    first = True
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while url:
            answer = http.get(url, params={**params, "limit": 97} if first else None)
            first = False
            assert answer.status_code == 200, answer.text
            doc = answer.json()
            assert len(doc["data"]) <= 97
            if doc["next"]:
                assert answer.headers["Link"] == f'<{doc["next"]}>; rel="next"'
            rows += doc["data"]
            url = doc["next"]
    return rows


def _truth_units(settings: Settings) -> int:
    con = duckdb.connect()
    try:
        path = settings.truth / "interval_sales.parquet"
        return int(con.execute(f"SELECT sum(units_sold) FROM '{path}'").fetchone()[0])
    finally:
        con.close()


def test_daily_sales_pages_add_up_to_the_simulators_truth(
    read_api: tuple[Running, Tokens], read_home: Settings
) -> None:
    running, tokens = read_api
    rows = _get_all(running, tokens.read, "sales/daily")
    keys = [(r["sales_date"], r["machine_serial"], r["selection"], r["product_id"]) for r in rows]
    assert len(keys) == len(set(keys))  # no row on two pages
    assert sum(r["units_sold"] for r in rows) == _truth_units(read_home)
    (count,) = query(read_home.home, "SELECT count(*) FROM fct_daily_sales")[0]
    assert len(rows) == count


def test_daily_sales_filters(read_api: tuple[Running, Tokens], read_home: Settings) -> None:
    running, tokens = read_api
    everything = _get_all(running, tokens.read, "sales/daily")
    serial = everything[0]["machine_serial"]
    asset = everything[0]["asset_number"]
    days = sorted({r["sales_date"] for r in everything})
    start, end = days[2], days[5]
    product = everything[-1]["product_id"]
    by_hand = [
        r for r in everything if r["machine_serial"] == serial and start <= r["sales_date"] <= end
    ]
    got = _get_all(running, tokens.read, "sales/daily", machine=serial, to=end, **{"from": start})
    assert got == by_hand and got
    assert _get_all(running, tokens.read, "sales/daily", machine=asset) == [
        r for r in everything if r["machine_serial"] == serial
    ]
    assert _get_all(running, tokens.read, "sales/daily", product=product) == [
        r for r in everything if r["product_id"] == product
    ]
    assert _get_all(running, tokens.read, "sales/daily", route="R001") == [
        r for r in everything if r["route_id"] == "R001"
    ]
    assert _get_all(running, tokens.read, "sales/daily", route="NOPE") == []


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_read_endpoint_answers_json_csv_and_the_data_date(
    read_api: tuple[Running, Tokens], read_home: Settings, path: str
) -> None:
    running, tokens = read_api
    headers = {"Authorization": f"Bearer {tokens.read}"}
    as_json = httpx.get(f"{running.url}/v1/{path}", headers=headers, params={"limit": 10000})
    assert as_json.status_code == 200
    # the data date is the fleet's latest read day, read here off the raw reads directly
    (latest,) = query(read_home.home, "SELECT CAST(max(read_at) AS DATE) FROM dex_reads")[0]
    assert as_json.headers["X-CVD-Data-Date"] == latest.isoformat() == as_json.json()["data_date"]
    as_csv = httpx.get(
        f"{running.url}/v1/{path}", headers=headers, params={"format": "csv", "limit": 10000}
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["X-CVD-Data-Date"] == latest.isoformat()
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    data = as_json.json()["data"]
    assert len(table) == len(data)
    if data:
        assert list(table[0]) == list(data[0])


def test_machines_are_the_demo_fleet(read_api: tuple[Running, Tokens], read_home: Settings) -> None:
    running, tokens = read_api
    rows = _get_all(running, tokens.read, "machines")
    with (read_home.master_data / "devices.csv").open() as handle:
        fleet = {r["dex_serial"]: r["asset_number"] for r in csv.DictReader(handle)}
    assert {r["machine_serial"]: r["asset_number"] for r in rows} == fleet
    assert len(fleet) == 3


@pytest.mark.parametrize(
    ("token", "status"), [(None, 401), ("garbage", 401), ("intake", 403), ("metrics", 403)]
)
def test_read_refuses_other_tokens(
    read_api: tuple[Running, Tokens], token: str | None, status: int
) -> None:
    running, tokens = read_api
    headers = {} if token is None else {"Authorization": f"Bearer {getattr(tokens, token, token)}"}
    answer = httpx.get(f"{running.url}/v1/machines", headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"]["status"] == status


def test_bad_parameters_are_422_json(read_api: tuple[Running, Tokens]) -> None:
    running, tokens = read_api
    headers = {"Authorization": f"Bearer {tokens.read}"}
    for params in (
        {"from": "2024-13-01"},
        {"from": "2024-01-05", "to": "2024-01-01"},
        {"limit": 0},
        {"limit": 10_001},
        {"format": "xml"},
    ):
        answer = httpx.get(f"{running.url}/v1/sales/daily", headers=headers, params=params)
        assert answer.status_code == 422, params
        assert answer.json()["error"]["status"] == 422


def test_openapi_docs_are_served(read_api: tuple[Running, Tokens]) -> None:
    running, _ = read_api
    assert httpx.get(f"{running.url}/docs").status_code == 200
    spec = httpx.get(f"{running.url}/openapi.json").json()
    assert {"/v1/dex", "/v1/sales/daily", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])


def test_daily_sales_cursor_pages_match_offset_pages(read_api: tuple[Running, Tokens]) -> None:
    running, tokens = read_api
    by_cursor = _get_all(running, tokens.read, "sales/daily", route="R001")  # follows `next`
    headers = {"Authorization": f"Bearer {tokens.read}"}
    by_offset: list[dict] = []  # type: ignore[type-arg]
    while True:
        answer = httpx.get(
            f"{running.url}/v1/sales/daily",
            headers=headers,
            params={"route": "R001", "limit": 250, "offset": len(by_offset)},
        )
        assert answer.status_code == 200
        by_offset += answer.json()["data"]
        if not answer.json()["next"]:
            break
        assert "cursor=" in answer.json()["next"] and "offset=" not in answer.json()["next"]
    assert by_cursor == by_offset and len(by_offset) > 250
    for params in ({"cursor": "not-a-cursor"}, {"cursor": "WzFd", "offset": 5}):
        answer = httpx.get(f"{running.url}/v1/sales/daily", headers=headers, params=params)
        assert answer.status_code == 422
        assert answer.json()["error"]["status"] == 422
