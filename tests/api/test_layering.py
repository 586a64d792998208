"""The API is an edge: no library package imports it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("evadts", "operations", "ingest", "transforms", "models")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_library_package_imports_the_api() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in LIBRARIES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "api" in _imports(path)
    ]
    assert offenders == []
    assert _imports(ROOT / "api" / "intake.py") >= {"ingest", "operations"}  # the walk sees imports
