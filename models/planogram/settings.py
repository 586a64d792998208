"""What a manager sets for the planogram optimiser: ``$CVD_HOME/planogram.toml`` (optional); an
objective given by the caller (the edge reads ``CVD_PLANOGRAM_OBJECTIVE``) overrides the file's.

```toml
objective = "revenue"          # or "margin"
default_max_facings = 3
par_share = 0.85               # par level = round(capacity × par_share)
keep_categories = true         # every category a cabinet holds now keeps a facing
core_products = ["P0001"]      # kept (one facing at least) wherever they are now
[min_facings]
P0001 = 2
[max_facings]
P0002 = 1
[size_capacity]                # units a spiral holds per product size (defaults S=15, M=10, L=7)
M = 12
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.planogram.types import DEFAULT_SIZE_CAPACITY, ChangeCost, Constraints

FILE_NAME = "planogram.toml"
OBJECTIVES = ("revenue", "margin")


@dataclass(frozen=True)
class PlanogramSettings:
    """Fleet-wide constraint settings; ``for_cabinet`` turns them into a cabinet's."""

    objective: str = "revenue"
    default_max_facings: int = Constraints.default_max_facings
    par_share: float = Constraints.par_share
    keep_categories: bool = True
    core_products: frozenset[str] = frozenset()
    min_facings: dict[str, int] = field(default_factory=dict)
    max_facings: dict[str, int] = field(default_factory=dict)
    size_capacity: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SIZE_CAPACITY))
    source: str = "defaults"
    # what a swap costs and how many a visit carries (the edge reads them from the environment)
    change_cost: ChangeCost = field(default_factory=ChangeCost)

    def for_cabinet(self, current: set[str], categories: set[str]) -> Constraints:
        """Constraints of a cabinet holding products ``current``, whose candidates cover
        ``categories`` (core products bind only where they are now)."""
        return Constraints(
            objective="margin" if self.objective == "margin" else "revenue",
            core_products=frozenset(self.core_products & current),
            min_facings=dict(self.min_facings),
            max_facings=dict(self.max_facings),
            default_max_facings=self.default_max_facings,
            required_categories=frozenset(categories) if self.keep_categories else frozenset(),
            par_share=self.par_share,
            size_capacity=dict(self.size_capacity),
        )


def _bad(path: Path, key: str, why: str) -> ValueError:
    return ValueError(f"{path}: {key}: {why}")


def load_planogram_settings(home: Path, objective: str | None = None) -> PlanogramSettings:
    """Read ``home/planogram.toml`` if it exists; ``objective``, when given, overrides the file's.
    Bad values raise ValueError naming the file and key."""
    path = home / FILE_NAME
    raw: dict[str, Any] = {}  # TOML values, unchecked until int()/float()/dict() below
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from exc
    objective = str(objective or raw.get("objective", "revenue"))
    if objective not in OBJECTIVES:
        raise _bad(path, "objective", f"{objective!r} is not one of {', '.join(OBJECTIVES)}")
    try:
        max_f = int(raw.get("default_max_facings", PlanogramSettings.default_max_facings))
        share = float(raw.get("par_share", PlanogramSettings.par_share))
        mins = {str(k): int(v) for k, v in dict(raw.get("min_facings", {})).items()}
        maxs = {str(k): int(v) for k, v in dict(raw.get("max_facings", {})).items()}
    except (TypeError, ValueError) as exc:
        raise _bad(path, "facings/par_share", str(exc)) from exc
    if max_f < 1:
        raise _bad(path, "default_max_facings", "must be at least 1")
    if not 0 < share <= 1:
        raise _bad(path, "par_share", "must be in (0, 1]")
    core = raw.get("core_products", [])
    if not isinstance(core, list):
        raise _bad(path, "core_products", "must be a list of product ids")
    return PlanogramSettings(
        objective=objective,
        default_max_facings=max_f,
        par_share=share,
        keep_categories=bool(raw.get("keep_categories", True)),
        core_products=frozenset(str(p) for p in core),
        min_facings=mins,
        max_facings=maxs,
        size_capacity=_size_capacity(path, raw.get("size_capacity", {})),
        source=str(path) if path.exists() else "defaults",
    )


def _size_capacity(path: Path, table: object) -> dict[str, int]:
    """The defaults with the file's ``[size_capacity]`` entries over them."""
    if not isinstance(table, dict):
        raise _bad(path, "size_capacity", "must be a table of size = units, e.g. M = 12")
    capacity = dict(DEFAULT_SIZE_CAPACITY)
    for size, units in table.items():
        if size not in DEFAULT_SIZE_CAPACITY:
            raise _bad(path, f"size_capacity.{size}", f"size is not one of {', '.join(capacity)}")
        # bool is an int in Python; TOML true is no unit count
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise _bad(path, f"size_capacity.{size}", f"{units!r} is not a whole number >= 1")
        capacity[size] = units
    return capacity
