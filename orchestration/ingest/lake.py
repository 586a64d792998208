"""Moved to :mod:`transforms.lake` (the lake format is shared by ingestion and the marts);
this name stays importable for code written against it."""

from transforms.lake import *  # noqa: F403
from transforms.lake import (  # noqa: F401
    CURRENT,
    LEGACY_FILE,
    RETENTION,
    atomic_write_bytes,
    atomic_write_json,
    collect_garbage,
    current_file,
    current_files,
    partition_dir,
    partition_path,
    publish,
    schema_path,
    write_schema_file,
    write_table,
)
