"""All Dagster definitions of CVD: whatever ``orchestration/defs/`` holds.

Every module under ``orchestration/defs/<domain>/`` is loaded by Dagster's defs-folder loader, so
a new asset, check, sensor or schedule is added in one place: its own file. Shared resources are
in ``orchestration/defs/resources.py``. Loaded by ``dg dev`` / ``dg check defs`` and by ``cvd
materialize`` (``defs()``, a ``dg.definitions`` function, builds the ``Definitions``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """The ``Definitions`` of every module in ``orchestration/defs/``."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
