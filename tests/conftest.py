"""Fixtures shared across test folders (registered once here, so session fixtures build once)
and the order the tests are handed out in."""

import pytest

from tests.dex_only_home import dex_only_home  # noqa: F401 (fixture)
from tests.pg import database_backend, postgres_server, postgres_url  # noqa: F401 (fixtures)
from tests.platform_home import platform_env, platform_home  # noqa: F401 (fixtures)
from tests.s3 import s3_bucket, s3_server  # noqa: F401 (fixtures)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a test marked ``slow`` run first (otherwise in their collected order): with
    pytest-xdist handing out whole modules (``--dist loadscope``), a long module started last
    would leave the other workers idle while it finishes."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
