"""Fixtures shared across test folders (registered once here, so session fixtures build once)."""

from tests.dex_only_home import dex_only_home  # noqa: F401 (fixture)
from tests.pg import database_backend, postgres_server, postgres_url  # noqa: F401 (fixtures)
from tests.platform_home import platform_env, platform_home  # noqa: F401 (fixtures)
from tests.s3 import s3_bucket, s3_server  # noqa: F401 (fixtures)
