"""Two real processes writing the same SQLite file at once lose nothing, corrupt nothing and
keep the audit log's hash chain whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ops_world import World
from sqlalchemy import text

from operations import audit

ORDERS_EACH = 12
VERSIONS_EACH = 12

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from operations import db
    from operations.permissions import Actor
    from operations.services import orders, planograms

    url, name, cabinet, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    n_orders, n_versions = int(sys.argv[5]), int(sys.argv[6])
    engine = db.connect(url)
    actor = Actor(username=name, role="manager")
    (folder / f"{name}.ready").touch()
    while not (folder / "go").exists():
        time.sleep(0.005)
    for i in range(max(n_orders, n_versions)):
        if i < n_orders:
            orders.create_order(
                engine, actor, route_code="R1", planned_date="2026-12-01",
                cabinets={cabinet: [orders.ItemSpec("A1", i % 8)]}, note=f"{name} {i}",
            )
        if i < n_versions:
            planograms.new_planogram_version(
                engine, actor, cabinet,
                [planograms.SlotSpec("A1", "10", "P1", 8, i % 8, "1.50")], note=f"{name} {i}",
            )
    engine.dispose()
    """
)


def test_two_processes_create_orders_and_versions_at_once(world: World, tmp_path: Path) -> None:
    cabinet = world.cabinets["A1"]
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    with world.engine.connect() as connection:
        orders_before = connection.execute(text("SELECT count(*) FROM service_orders")).scalar()
    world.engine.dispose()  # the test process holds no connection while the workers run

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                world.url,
                name,
                str(cabinet),
                str(tmp_path),
                str(ORDERS_EACH),
                str(VERSIONS_EACH),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("writer-a", "writer-b")
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"{n}.ready").exists() for n in ("writer-a", "writer-b")):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err

    with world.engine.connect() as connection:

        def scalar(sql: str) -> object:
            return connection.execute(text(sql)).scalar()

        if world.url.startswith("sqlite"):  # PostgreSQL has no such check (nor needs one)
            assert scalar("PRAGMA integrity_check") == "ok"
        assert scalar("SELECT count(*) FROM service_orders") == orders_before + 2 * ORDERS_EACH
        for name in ("writer-a", "writer-b"):
            assert (
                scalar(f"SELECT count(*) FROM service_orders WHERE created_by = '{name}'")
                == ORDERS_EACH
            )
            assert (
                scalar(f"SELECT count(*) FROM planogram_versions WHERE created_by = '{name}'")
                == VERSIONS_EACH
            )
        versions = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT version FROM planogram_versions WHERE cabinet_id = :c ORDER BY version"
                ),
                {"c": cabinet},
            )
        ]
        # the seeded version 1, then every write numbered once: 2 .. 1 + 2 × VERSIONS_EACH
        assert versions == list(range(1, 2 + 2 * VERSIONS_EACH))
        assert (
            scalar(
                f"SELECT count(*) FROM planogram_versions"
                f" WHERE cabinet_id = {cabinet} AND is_active"
            )
            == 1
        )
        items = scalar("SELECT count(*) FROM service_order_items")
        assert items == 4 + 2 * ORDERS_EACH
        audited = scalar("SELECT count(*) FROM audit_log WHERE actor IN ('writer-a', 'writer-b')")
        assert audited == 2 * (ORDERS_EACH + VERSIONS_EACH)
    # the two writers appended to one hash chain, never both onto the same row
    assert audit.verify_chain(world.engine) is None
