"""A file pushed over HTTP is picked up by the pipeline like any other delivery: the HTTP
sensor asks for a run of its arrival day, and a materialization puts its reads in the
warehouse."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest

import evadts
from api.config import ApiConfig
from orchestration.defs.ingest.sensors import http_deliveries_sensor
from orchestration.defs.resources import CvdHomeResource
from tests.api.conftest import make_tokens
from tests.api.server import serve
from tests.orchestration.pipeline import cvd, query


def _evaluate(home: Path, cursor: str | None) -> tuple[object, str | None]:
    resource = CvdHomeResource(home=str(home))
    with dg.build_sensor_context(resources={"cvd": resource}, cursor=cursor) as context:
        result = http_deliveries_sensor(context)
        return result, context.cursor


def test_a_pushed_file_is_built_into_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CVD_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.delenv("CVD_DATABASE_URL", raising=False)
    args = ("--machines", "1", "--days", "3", "--seed", "3", "--home", str(home))
    assert cvd("demo-data", *args) == 0
    assert cvd("db", "upgrade", "--home", str(home)) == 0
    held = tmp_path / "held"
    shutil.move(home / "inbox", held)  # nothing arrives through the inbox
    pushed = next(p for p in sorted(held.rglob("*.dex")) if evadts.parse(p.read_bytes()).reads)
    serial = evadts.parse(pushed.read_bytes()).reads[0].machine.serial

    first, cursor = _evaluate(home, None)
    assert isinstance(first, dg.SkipReason)  # nothing pushed yet

    from orchestration.settings import load_settings

    settings = load_settings(home)
    tokens = make_tokens(settings)
    with serve(ApiConfig(settings)) as running:
        answer = httpx.post(
            f"{running.url}/v1/dex",
            content=pushed.read_bytes(),
            headers={"Authorization": f"Bearer {tokens.intake}"},
        )
    assert answer.status_code == 202 and answer.json()["status"] == "received"

    requests, cursor = _evaluate(home, cursor)
    today = datetime.now(UTC).date().isoformat()
    assert [r.partition_key for r in requests] == [today]  # type: ignore[union-attr]
    again, _ = _evaluate(home, cursor)
    assert isinstance(again, dg.SkipReason)  # the cursor moved on

    assert cvd("materialize", "--home", str(home)) == 0
    rows = query(home, f"SELECT count(*) FROM dex_reads WHERE machine_serial = '{serial}'")
    assert rows[0][0] >= 1
    built, _ = _evaluate(home, None)  # from the start again: the day is built already
    assert isinstance(built, dg.SkipReason)
