"""Which package may import which (docs/ARCHITECTURE.md), checked on the real import graph.

The graph is built from every Python file of the project with ``ast``: ``import a.b``,
``from a.b import c`` (``a.b.c`` too when that is a module of ours), relative imports resolved
against the importing module's package, and ``importlib.import_module("a.b")`` with a literal
name. Imports inside functions and under ``TYPE_CHECKING`` count: a dependency is a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("operations", "ingest", "transforms", "models")
EDGES = ("orchestration", "dashboards", "api")
# the only places that may import the simulator: itself, benchmarks, tests, `cvd demo-data`
SIMULATOR_USERS = ("simulator", "bench", "tests", "orchestration.cli.demo_cmd")


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is."""

    importer: str  # dotted module name of the importing file
    imported: str  # dotted name of the imported module
    file: Path  # relative to the project root
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path, root: Path) -> str:
    """``a/b/c.py`` -> ``a.b.c``; ``a/b/__init__.py`` -> ``a.b``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files(root: Path) -> dict[str, Path]:
    """Every Python file of the project's top-level folders (not the environment), by module."""
    files: dict[str, Path] = {}
    for top in sorted(root.iterdir()):
        if not top.is_dir() or top.name.startswith((".", "_")):
            continue
        for path in sorted(top.rglob("*.py")):
            if not any(part.startswith(".") for part in path.relative_to(root).parts):
                files[module_name(path, root)] = path
    return files


def _relative_base(importer: str, is_package: bool, level: int) -> list[str]:
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    if level - 1 > len(package):
        raise ValueError(f"{importer}: relative import beyond the top-level package")
    return package[: len(package) - (level - 1)]


def imports_of(module: str, path: Path, root: Path, known: set[str]) -> Iterator[Import]:
    """The modules ``path`` (module ``module``) imports, resolved to absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:
                base = _relative_base(module, is_package, node.level) + base
            source = ".".join(base)
            targets = [source] if source else []
            # `from a import b` imports the module a.b when b is one
            targets += [
                f"{source}.{alias.name}" if source else alias.name
                for alias in node.names
                if (f"{source}.{alias.name}" if source else alias.name) in known
            ]
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"importlib.import_module", "import_module"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [node.args[0].value]
        for target in targets:
            yield Import(module, target, path.relative_to(root), node.lineno)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def import_graph(root: Path) -> list[Import]:
    """Every import of every project file under ``root``."""
    files = project_files(root)
    known = set(files)
    return [
        edge for module, path in files.items() for edge in imports_of(module, path, root, known)
    ]


def _in(name: str, packages: tuple[str, ...]) -> bool:
    """``name`` is one of ``packages`` or inside one of them."""
    return any(name == p or name.startswith(f"{p}.") for p in packages)


def violations(graph: list[Import], tops: set[str]) -> list[str]:
    """Every import that breaks a rule, with the rule, file and line."""
    found: list[str] = []
    for edge in graph:
        if _in(edge.importer, ("evadts",)) and edge.imported.split(".")[0] in tops - {"evadts"}:
            found.append(f"evadts imports nothing of the project: {edge}")
        if _in(edge.importer, LIBRARIES) and _in(edge.imported, EDGES):
            found.append(f"a library imports no edge: {edge}")
        if _in(edge.imported, ("simulator",)) and not _in(edge.importer, SIMULATOR_USERS):
            found.append(f"live code never imports the simulator: {edge}")
    return found


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return import_graph(ROOT)


def test_the_project_keeps_its_import_rules(graph: list[Import]) -> None:
    tops = {name.split(".")[0] for name in project_files(ROOT)}
    broken = violations(graph, tops)
    assert not broken, "\n".join(broken)


def environment_reads(path: Path) -> list[int]:
    """Lines of ``path`` that read the process environment (``os.environ``, ``os.getenv``, or
    either imported from ``os``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in {"environ", "environb", "getenv", "getenvb"}
        )
        or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in {"environ", "environb", "getenv", "getenvb"} for a in node.names)
        )
    ]


def test_libraries_read_no_environment() -> None:
    """Settings are read at the edges (orchestration/settings.py) and passed in."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for module, path in project_files(ROOT).items()
        if _in(module, ("evadts", *LIBRARIES))
        for line in environment_reads(path)
    ]
    assert not found, "\n".join(found)
    edge = ROOT / "orchestration" / "settings.py"  # the detector itself sees a real read
    assert environment_reads(edge)


def test_the_graph_sees_imports_known_to_exist(graph: list[Import]) -> None:
    """The rules above are only as good as the graph: edges read off the files by hand."""
    edges = {(e.importer, e.imported) for e in graph}
    assert ("orchestration.cli.demo_cmd", "simulator") in edges  # from simulator import ...
    assert ("orchestration.cli.demo_cmd", "simulator.catalog") in edges
    assert ("models.planogram.recommend", "models.ai.review") in edges
    assert ("orchestration.cli.pipeline_run", "orchestration.definitions") in edges  # in a def
    assert ("orchestration.definitions", "dagster") in edges  # import dagster as dg


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_relative_lazy_and_dynamic_imports_resolve(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "models/__init__.py": "from . import ai\n",
            "models/ai/__init__.py": "",
            "models/ai/review.py": (
                "from ..planogram import types\nfrom .config import AIConfig\n"
                "def f():\n    from orchestration.settings import Settings\n"
            ),
            "models/ai/config.py": "",
            "models/planogram/__init__.py": "",
            "models/planogram/types.py": "import importlib\nimportlib.import_module('simulator')\n",
            "orchestration/__init__.py": "",
            "orchestration/settings.py": "",
            "simulator/__init__.py": "",
            "evadts/__init__.py": "from models import ai\n",
        },
    )
    edges = {(e.importer, e.imported) for e in import_graph(tmp_path)}
    assert {
        ("models", "models"),
        ("models", "models.ai"),
        ("models.ai.review", "models.planogram"),
        ("models.ai.review", "models.planogram.types"),
        ("models.ai.review", "models.ai.config"),
        ("models.ai.review", "orchestration.settings"),
        ("models.planogram.types", "simulator"),
        ("evadts", "models.ai"),
    } <= edges
    broken = violations(import_graph(tmp_path), {"models", "orchestration", "simulator", "evadts"})
    assert [b.split(":")[0] for b in broken] == [
        "evadts imports nothing of the project",
        "evadts imports nothing of the project",
        "a library imports no edge",
        "live code never imports the simulator",
    ]
