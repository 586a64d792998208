"""A materialized demo home where three machines have no master data (issue 19, "work from DEX
alone"), shared by the model and page tests of that path.

`cvd demo-data` (6 machines x 30 days, seed 11), then the rows of machines ``DEX_ONLY`` deleted
from devices.csv, cabinets.csv and planograms.csv before the real `cvd import master-data` and
`cvd materialize`: those machines register themselves from their DEX serials, unplaced. The
simulator's master data is kept beside, untouched, in ``simulator-master-data/`` (the truth the
tests compare with). One user per role of ``tests/platform_home.USERS``.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator

import pytest

from operations import auth
from operations import db as operations_db
from operations.permissions import SYSTEM
from operations.services.users import add_user
from tests.orchestration.pipeline import cvd
from tests.platform_home import USERS, PlatformHome

DEX_ONLY = ("A00001", "A00004", "A00006")  # a combo (2 cabinets), a micro market, a snack
MASTER_FILES = ("devices.csv", "cabinets.csv", "planograms.csv")


@pytest.fixture(scope="session")
def dex_only_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformHome]:
    """The built home (module docstring); CVD_HOME etc. are set only while it is built."""
    home = tmp_path_factory.mktemp("dexonly") / "home"
    args = ["--home", str(home)]
    auth.use_fast_hashing_for_tests()
    assert cvd("demo-data", "--machines", "6", "--days", "30", "--seed", "11", *args) == 0
    master = home / "master-data"
    shutil.copytree(master, home / "simulator-master-data")  # the truth, before our deletion
    for name in MASTER_FILES:
        with (master / name).open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        with (master / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r["asset_number"] not in DEX_ONLY)
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CVD_HOME", str(home))
        env.setenv("CVD_DATABASE_URL", url)
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        assert cvd("db", "upgrade", *args) == 0
        assert cvd("import", "master-data", *args) == 0
        assert cvd("materialize", *args) == 0
        engine = operations_db.connect(url)
        for role, (username, password) in USERS.items():
            add_user(engine, SYSTEM, username=username, role=role, password=password)
        engine.dispose()
    yield PlatformHome(home, url, {}, "")
