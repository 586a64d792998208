"""Fixtures shared across test folders (registered once here, so session fixtures build once)."""

from tests.pg import database_backend, postgres_server, postgres_url  # noqa: F401 (fixtures)
from tests.platform_home import platform_env, platform_home  # noqa: F401 (fixtures)
