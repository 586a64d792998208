"""How much memory, disk and CPU the DuckDB connections that build marts may use.

DuckDB keeps intermediate results (hash tables of the window functions over a machine's reads,
sorts, aggregates) in memory up to ``memory_limit`` and spills the rest to ``temp_directory``,
so a build's peak stays bounded as the fleet grows instead of growing with it. The edge
(``orchestration/settings.py``) reads the limits from the environment and passes them in;
nothing here reads the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

# DuckDB's own size syntax: a number and a unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB) or a %
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(([KMGT]i?B)|%)\s*$", re.IGNORECASE)
DEFAULT_MEMORY_LIMIT = "2GB"


class EngineConfigError(ValueError):
    """A memory limit or thread count DuckDB cannot use (the message names it)."""


@dataclass(frozen=True)
class EngineConfig:
    """DuckDB limits of the connections that build marts.

    ``memory_limit`` in DuckDB's syntax (``2GB``, ``512MiB``, ``50%`` of RAM); ``temp_directory``
    where DuckDB spills what does not fit (None: DuckDB's default beside no database file, i.e.
    in-memory connections cannot spill); ``threads`` None keeps DuckDB's default (one per core).
    """

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    temp_directory: Path | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if not _SIZE.match(self.memory_limit):
            raise EngineConfigError(
                f"memory limit {self.memory_limit!r}: expected a size such as 2GB, 512MiB or 50%"
            )
        if self.threads is not None and self.threads < 1:
            raise EngineConfigError(f"threads {self.threads}: must be at least 1")


def connect(config: EngineConfig | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection held to ``config``'s memory limit, spilling to its
    temporary directory (created when missing), on its number of threads."""
    config = config or EngineConfig()
    con = duckdb.connect()
    # a % limit is of the machine's RAM, as DuckDB's own default (80%) is
    con.execute(f"SET memory_limit = '{config.memory_limit.strip()}'")
    if config.temp_directory is not None:
        config.temp_directory.mkdir(parents=True, exist_ok=True)
        # SET takes no parameters; the path is quoted by doubling its quotes
        quoted = config.temp_directory.as_posix().replace("'", "''")
        con.execute(f"SET temp_directory = '{quoted}'")
    # a build scans the same lake files many times (each view binds them, each month reads
    # them): their footers are read once. Safe because a lake file never changes once written
    # (a new version is a new name, transforms/lake.py)
    con.execute("SET parquet_metadata_cache = true")
    if config.threads is not None:
        con.execute(f"SET threads = {int(config.threads)}")
    return con
