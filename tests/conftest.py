"""Fixtures shared across test folders (registered once here, so session fixtures build once)."""

from tests.platform_home import platform_env, platform_home  # noqa: F401 (fixtures)
