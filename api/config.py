"""What the API service is told: the CVD settings plus its own limits, with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.settings import Settings

MIB = 1 << 20


@dataclass(frozen=True)
class ApiConfig:
    """The service's limits. ``rate_per_second`` and ``burst`` make each token's bucket."""

    settings: Settings
    max_body_bytes: int = 16 * MIB  # one request body (one DEX file, or all files of a multipart)
    max_files: int = 100  # files in one multipart request
    rate_per_second: float = 20.0
    burst: int = 40
    warehouse_max_age_s: float = 36 * 3600.0  # the nightly run plus slack
    min_free_bytes: int = 512 * MIB
    daemon_max_age_s: float = 120.0  # Dagster's daemon heartbeats every 30 s
    max_page: int = 10_000
    default_page: int = 1_000
