"""The second wall: even a query that got past the guard cannot leave the lake or change the
sandbox, and the sandbox does not change anyone else's connection to the same warehouse."""

from __future__ import annotations

import duckdb
import pytest

from models.ask.runner import sandboxed_connection
from tests.platform_home import PlatformHome


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "ATTACH '/tmp/cvd-ask-sandbox.db' AS other",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET lock_configuration = false",
        "INSTALL httpfs",
    ],
)
def test_the_sandbox_refuses_what_the_guard_would(platform_home: PlatformHome, sql: str) -> None:
    con = sandboxed_connection(platform_home.warehouse, platform_home.home / "lake")
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql)
        assert con.execute("SELECT count(*) FROM products").fetchone()[0] > 0
    finally:
        con.close()


def test_other_connections_to_the_warehouse_keep_their_settings(
    platform_home: PlatformHome,
) -> None:
    plain = duckdb.connect(str(platform_home.warehouse), read_only=True)
    try:
        sandbox = sandboxed_connection(platform_home.warehouse, platform_home.home / "lake")
        sandbox.close()
        plain.execute("SET threads = 1")  # its configuration is not locked
        assert plain.execute("SELECT current_setting('enable_external_access')").fetchone()[0]
        again = duckdb.connect(str(platform_home.warehouse), read_only=True)
        again.close()
    finally:
        plain.close()
