"""The nightly ``lake`` maintenance task on a lake in object storage (a real S3 API server on
the loopback, ``tests/s3.py``): it collects there too, instead of reporting ``skipped``."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from orchestration import maintenance
from orchestration.settings import load_maintenance_settings, load_settings
from tests.s3 import S3Server
from transforms.lake import publish


def test_the_lake_task_collects_a_bucket_lake_with_the_operators_settings(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CVD_LAKE_URL", f"s3://{s3_bucket}/lake")
    settings = load_settings(tmp_path)
    written = [publish(settings.lake / "t", pa.table({"x": [n]})) for n in range(4)]

    done = maintenance.lake(settings, load_maintenance_settings({"CVD_LAKE_KEEP_VERSIONS": "1"}))

    # three superseded versions, all replaced just now (default grace: a day): the newest kept
    # by count, the other two for their readers; nothing removed, nothing skipped
    assert done == {
        "versions_removed": 0,
        "bytes_freed": 0,
        "kept_named_by_catalog": 0,
        "kept_in_grace_period": 2,
        "kept_by_count": 1,
        "temp_files_removed": 0,
    }
    assert all(version.exists() for version in written)
