"""A private copy of the shared demo home for the action tests (they write to its database).

Each test module gets its own copy of ``platform_home`` (the copy's catalog is rebuilt, since
the views hold absolute lake paths), with ``CVD_HOME``/``CVD_DATABASE_URL`` pointing at it while
the module runs. Model outputs the pipeline does not produce yet are written by hand here, from
the copy's own master data, through the real lake writer (``transforms.lake.publish``):

- ``planogram_recommendations`` for the first cabinet of the first machine: slot A1 swapped to
  the first product the cabinet does not hold (capacity 7, par 5), slot A2 par set to its
  capacity (source ``ai``), slot A3 kept; and one swap in the second machine's first cabinet.
- ``model_versions`` (two versions, ``fc-2`` current) and ``forecast_backtest`` (two methods).
The visit plan (``service_plan``, ``service_plan_picks``) is the real pipeline's output.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from models.output_schemas import SCHEMAS, dataset_dir
from operations import auth
from operations import db as operations_db
from operations.permissions import Actor
from operations.schema import User
from tests.dashboards.conftest import USERS, PlatformHome
from transforms.catalog import build_catalog
from transforms.lake import publish

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
CREATED = datetime(2026, 11, 1, 6, 0)
VISIT = date(2026, 11, 3)


@dataclass(frozen=True)
class ActionsHome:
    """The copied home, its database engine, actors by role, and the hand-made rows."""

    home: Path
    database_url: str
    engine: Engine
    actors: dict[str, Actor]
    recommendations: list[dict[str, object]]

    @property
    def warehouse(self) -> Path:
        """The copy's warehouse file."""
        return self.home / "warehouse.duckdb"

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        """Rows of ``query`` on the copy's warehouse (read-only)."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(query, list(params)).fetchall()
        finally:
            con.close()


def _publish(lake: Path, name: str, rows: list[dict[str, object]]) -> None:
    publish(dataset_dir(lake, name), pa.Table.from_pylist(rows, schema=SCHEMAS[name]))


def _recommendation(
    slot: tuple[object, ...], product: str, change: str, *, capacity: int, par: int, source: str
) -> dict[str, object]:
    serial, asset, cabinet, position, selection, current, cur_cap, cur_par = slot
    return {
        "recommendation_id": f"fc-2:{serial}:{cabinet}:{position}",
        "run_id": "run-test-1",
        "machine_serial": serial,
        "asset_number": asset,
        "cabinet": cabinet,
        "slot": position,
        "selection": selection,
        "current_product_id": current,
        "recommended_product_id": product,
        "change": change,
        "current_capacity": cur_cap,
        "capacity": capacity,
        "current_par_level": cur_par,
        "par_level": par,
        "current_weekly_units": 10.0,
        "expected_weekly_units": 14.5,
        "current_weekly_revenue": 15.0,
        "expected_weekly_revenue": 21.75,
        "expected_change_units": 4.5,
        "expected_change_revenue": 6.75,
        "objective": "revenue",
        "reason": f"{product} sells faster in similar machines",
        "source": source,
        "ai_status": "refined" if source == "ai" else None,
        "ai_model": "claude-test" if source == "ai" else None,
        "model_version": "fc-2",
        "created_at": CREATED,
        # a product swap carries its cost (issue 19): 6.75/week over 8 weeks − 2.50 = 51.50
        "swap_cost": 2.5 if change == "swap" else 0.0,
        "weekly_gain": 6.75 if change == "swap" else None,
        "weekly_gain_low": 1.25 if change == "swap" else None,
        "weekly_gain_high": 12.25 if change == "swap" else None,
        "horizon_weeks": 8.0,
        "net_gain": 51.5 if change == "swap" else None,
        "trial": change == "swap",
        "visit_date": VISIT if change != "keep" else None,
        "visit_source": "visit plan" if change != "keep" else None,
    }


def _hand_made_recommendations(home: Path) -> list[dict[str, object]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        cabinets = con.execute(
            "SELECT asset_number, cabinet_index FROM planogram_slots "
            "GROUP BY ALL ORDER BY asset_number, cabinet_index LIMIT 2"
        ).fetchall()
        recs: list[dict[str, object]] = []
        for n, (asset, index) in enumerate(cabinets):
            slots = con.execute(
                "SELECT c.dex_serial, s.asset_number, s.cabinet_index, s.slot, s.selection,"
                " s.product_id, s.capacity, s.par_level FROM planogram_slots s"
                " JOIN cabinets c USING (cabinet_id)"
                " WHERE s.asset_number = ? AND s.cabinet_index = ? AND s.slot IN ('A1','A2','A3')"
                " ORDER BY s.slot",
                [asset, index],
            ).fetchall()
            held = {
                row[0]
                for row in con.execute(
                    "SELECT product_id FROM planogram_slots WHERE asset_number = ?"
                    " AND cabinet_index = ?",
                    [asset, index],
                ).fetchall()
            }
            new_product = con.execute(
                "SELECT min(product_id) FROM products WHERE NOT list_contains(?, product_id)",
                [sorted(held)],
            ).fetchone()[0]
            recs.append(
                _recommendation(
                    slots[0], new_product, "swap", capacity=7, par=5, source="optimiser"
                )
            )
            if n == 0:
                a2 = slots[1]
                recs.append(
                    _recommendation(
                        a2, str(a2[5]), "par", capacity=int(a2[6]), par=int(a2[6]), source="ai"
                    )
                )
                a3 = slots[2]
                recs.append(
                    _recommendation(
                        a3,
                        str(a3[5]),
                        "keep",
                        capacity=int(a3[6]),
                        par=int(a3[7]),
                        source="optimiser",
                    )
                )
        return recs
    finally:
        con.close()


def _models(lake: Path) -> None:
    versions = []
    for version, current in (("fc-1", False), ("fc-2", True)):
        versions.append(
            {
                "model_version": version,
                "kind": "gradient_boosting",
                "created_at": CREATED,
                "training_start": date(2024, 1, 1),
                "training_end": date(2024, 2, 1),
                "data_fingerprint": f"sha-{version}",
                "library_versions": '{"scikit-learn": "1.9"}',
                "mase": 0.81 if current else 0.93,
                "wape": 0.42,
                "bias": -0.02,
                "baseline_naive_mase": 1.0,
                "baseline_seasonal_mase": 0.9,
                "is_current": current,
                "promoted_at": CREATED if current else None,
                "status": "current" if current else "retired",
                "reason": "beats the seasonal baseline" if current else "superseded",
            }
        )
    _publish(lake, "model_versions", versions)
    backtest = [
        {
            "model_version": "fc-2",
            "method": method,
            "cutoff": date(2024, 1, day),
            "horizon_days": 7,
            "series": 120,
            "mase": mase,
            "wape": 0.4,
            "bias": 0.0,
            "wape_vs_true": None,
            "created_at": CREATED,
        }
        for method, mase in (("model", 0.8), ("seasonal_naive", 0.9))
        for day in (15, 22)
    ]
    _publish(lake, "forecast_backtest", backtest)


@pytest.fixture(scope="module", name="actions_home")
def actions_home_fixture(
    platform_home: PlatformHome, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActionsHome]:
    """A writable copy of the demo home with hand-made recommendations and models."""
    home = tmp_path_factory.mktemp("actions") / "home"
    shutil.copytree(platform_home.home, home, ignore=shutil.ignore_patterns("dagster", "archive"))
    lake = home / "lake"
    recs = _hand_made_recommendations(home)
    _publish(lake, "planogram_recommendations", recs)
    _models(lake)
    build_catalog(lake, home / "warehouse.duckdb")
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CVD_HOME", str(home))
        env.setenv("CVD_DATABASE_URL", url)
        engine = operations_db.connect(url)
        with engine.connect() as connection:
            users = connection.execute(
                select(User.username, User.role, User.id).where(
                    User.username.in_([name for name, _ in USERS.values()])
                )
            ).all()
        actors = {role: Actor(name, role, uid) for name, role, uid in users}
        yield ActionsHome(home, url, engine, actors, recs)
        engine.dispose()


def open_page(home: ActionsHome, username: str, password: str, page: str) -> AppTest:
    """The app signed in as ``username`` (a real session token), on ``page``."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["cvd_token"] = auth.authenticate(home.engine, username, password)
    app.run()
    app.switch_page(page)
    app.run()
    return app


def open_as(home: ActionsHome, role: str, page: str) -> AppTest:
    """The app signed in as the test user of ``role``, on ``page``."""
    username, password = USERS[role]
    return open_page(home, username, password, page)
