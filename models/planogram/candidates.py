"""Rules that turn a machine's current planogram and demand estimates into candidates.

Shared by the warehouse context builder (``context``) and the evaluation market, so the benchmark
measures the same rules the pipeline applies:

- **Slot size class**: a slot takes products up to the largest size currently in its row (a row
  is one tray; trays are re-pitched per row, so the row's largest spiral bounds what it takes).
- **Allowed categories** of a cabinet: the categories it holds now (a cooler stays a cooler).
- **One cabinet per product**: a machine's customers want a product, not a cabinet; a product is a
  candidate of exactly one cabinet: where it has most facings now, else the first cabinet whose
  categories allow it. So two cabinets never both count the same customers.
- **Borrowed demand** (``fill_absent``): a multiplicative model ``rate[m, p] = traffic[m] ×
  appeal[p]`` fitted to the rates observed where a product is stocked (alternating sums), which
  gives an absent product the demand it has at other machines scaled by this machine's traffic.
- **Untried products** (``product_appeal``): a product of the catalog that no machine has sold
  (new to the fleet) borrows the appeal of a typical product of its category: the median
  appeal of the category's observed products (``UNTRIED_QUANTILE``). Without it such a product
  would count as selling nothing and never be tried, however well it might sell.
- **Substitution shares** (``category_shares``): DEX does not reveal substitution, so shares
  follow the simulator's rule: same category, proportional to the product's appeal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from models.planogram.model import SIZE_RANK

RANK_SIZE = {v: k for k, v in SIZE_RANK.items()}
FIT_ROUNDS = 20
UNTRIED_QUANTILE = 0.5  # which of the category's observed appeals an untried product gets


def row_size_classes(slots: Sequence[str], sizes: Sequence[str | None]) -> list[str]:
    """Size class per slot: the largest size in its row (the slot name's letters); a row with
    no known product takes everything ("L")."""
    largest: dict[str, int] = {}
    for slot, size in zip(slots, sizes, strict=True):
        row = slot.rstrip("0123456789")
        if size in SIZE_RANK:
            largest[row] = max(largest.get(row, 0), SIZE_RANK[size])
    return [RANK_SIZE[largest.get(s.rstrip("0123456789"), 2)] for s in slots]


def assign_cabinets(
    current: Mapping[int, Sequence[str]],
    allowed: Mapping[int, set[str]],
    category: Mapping[str, str],
    products: Sequence[str],
) -> dict[str, int]:
    """Product → the one cabinet (index) it is a candidate of (rules in the module docstring).

    ``current``: cabinet → product ids of its slots; ``allowed``: cabinet → categories."""
    where: dict[str, int] = {}
    counts = {cab: Counter(p for p in prods if p) for cab, prods in current.items()}
    for p in products:
        held = [(n[p], -cab) for cab, n in counts.items() if n.get(p)]
        if held:
            where[p] = -max(held)[1]
            continue
        for cab in sorted(allowed):
            if category.get(p) in allowed[cab]:
                where[p] = cab
                break
    return where


def fit_traffic_appeal(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``traffic[m]`` and ``appeal[p]`` of ``rate ≈ traffic × appeal`` fitted to the non-NaN
    cells of a [machine, product] rate matrix (alternating sums; appeal 0 where never seen)."""
    seen = ~np.isnan(observed)
    x = np.where(seen, observed, 0.0)
    traffic = np.ones(observed.shape[0])
    appeal = np.zeros(observed.shape[1])
    for _ in range(FIT_ROUNDS):
        denom = (seen * traffic[:, None]).sum(axis=0)
        appeal = np.divide(x.sum(axis=0), denom, out=np.zeros_like(appeal), where=denom > 0)
        denom = (seen * appeal[None, :]).sum(axis=1)
        traffic = np.divide(x.sum(axis=1), denom, out=np.ones_like(traffic), where=denom > 0)
    rows = seen.any(axis=1)
    if rows.any():  # the average observed machine has traffic 1, as has one never observed
        scale = traffic[rows].mean()
        if scale > 0:
            traffic, appeal = np.where(rows, traffic / scale, 1.0), appeal * scale
    return traffic, appeal


def product_appeal(
    observed: np.ndarray, category: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``traffic[m]``, ``appeal[p]`` (``fit_traffic_appeal``) and ``untried[p]``: the products
    observed at no machine. With ``category`` (per product column) an untried product gets the
    ``UNTRIED_QUANTILE`` of the appeals of its category's observed products (0 when the
    category has none); without it, 0."""
    traffic, appeal = fit_traffic_appeal(observed)
    untried = np.isnan(observed).all(axis=0)
    if category is not None and untried.any():
        cats = np.asarray(category)
        if cats.shape != (observed.shape[1],):
            raise ValueError(f"category: {cats.shape[0]} entries for {observed.shape[1]} products")
        appeal = appeal.copy()
        for c in np.unique(cats[untried]):
            known = appeal[(cats == c) & ~untried]
            if len(known):
                appeal[(cats == c) & untried] = float(np.quantile(known, UNTRIED_QUANTILE))
    return traffic, appeal, untried


def fill_absent(observed: np.ndarray, category: Sequence[str] | None = None) -> np.ndarray:
    """Fill NaN cells of a [machine, product] rate matrix with ``traffic[m] × appeal[p]``
    (``product_appeal``: an untried product borrows its category's typical appeal when
    ``category`` is given, else gets 0). Observed cells are kept."""
    traffic, appeal, _ = product_appeal(observed, category)
    return np.where(np.isnan(observed), traffic[:, None] * appeal[None, :], observed)


def category_shares(
    products: Sequence[str], category: Mapping[str, str], appeal: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Per product: substitution shares over the other products of its category ∝ appeal."""
    by_cat: dict[str, list[str]] = {}
    for p in products:
        by_cat.setdefault(category[p], []).append(p)
    out: dict[str, dict[str, float]] = {}
    for p in products:
        others = [o for o in by_cat[category[p]] if o != p and appeal.get(o, 0.0) > 0]
        total = sum(appeal[o] for o in others)
        out[p] = {o: appeal[o] / total for o in others} if total > 0 else {}
    return out
