"""Rules that turn a machine's current planogram and demand estimates into candidates.

Shared by the warehouse context builder (``context``) and the evaluation market, so the benchmark
measures the same rules the pipeline applies:

- **Slot size class**: a slot takes products up to the largest size currently in its row (a row
  is one tray; trays are re-pitched per row, so the row's largest spiral bounds what it takes).
- **Allowed categories** of a cabinet: the categories it holds now (a cooler stays a cooler).
- **One cabinet per product** (``assign_cabinets``): a machine's customers want a product, not a
  cabinet; a product is a candidate of one cabinet: where it has most facings now, else the first
  cabinet whose categories allow it. So two cabinets never both count the same customers.
- **Split demand** (``demand_shares``): a product held now in several cabinets (a cola in the
  cooler and in the fresh-food cabinet that also takes drinks) is a candidate of each of them,
  with the machine's demand for it split by where it sold recently (by facings when it sold
  nowhere), so the shares still count its customers once. Without the split, the cabinets other
  than its main one counted a selling product as selling nothing.
- **Borrowed demand** (``fill_absent``): a multiplicative model ``rate[m, p] = traffic[m] ×
  appeal[p]`` fitted to the rates observed where a product is stocked (alternating sums), which
  gives an absent product the demand it has at other machines scaled by this machine's traffic.
- **Pooled rates** (``pooled_rates``): a pair's own censoring-corrected rate (units over in-stock
  days) is noisy after a few weeks; it is combined with the machine × product model's rate by
  empirical Bayes (Gamma-Poisson): how far pairs truly differ from the model is estimated from
  how much more their rates scatter around it than Poisson counts would.
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
MIN_EXPOSURE_DAYS = 2.0  # in-stock days below which a pair counts as not observed
# The smallest relative variance of a pair's rate around traffic × appeal that pooling assumes:
# the model is never trusted more than to a 10% standard deviation, whatever the data say.
MIN_RELATIVE_VARIANCE = 0.01


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


def demand_shares(
    held: Mapping[int, Sequence[str]], sold: Mapping[int, Mapping[str, float]]
) -> dict[str, dict[int, float]]:
    """Product → cabinet → its share of the machine's demand for that product, for every product
    held now (rules in the module docstring).

    ``held``: cabinet → product ids of its slots; ``sold``: cabinet → product → units sold
    recently in that cabinet. Shares of a product add up to 1."""
    facings = {cab: Counter(p for p in prods if p) for cab, prods in held.items()}
    shares: dict[str, dict[int, float]] = {}
    for p in sorted({p for n in facings.values() for p in n}):
        cabs = sorted(cab for cab, n in facings.items() if n.get(p))
        units = {cab: max(0.0, float(sold.get(cab, {}).get(p, 0.0))) for cab in cabs}
        weight = units if sum(units.values()) > 0 else {c: float(facings[c][p]) for c in cabs}
        total = sum(weight.values())
        shares[p] = {cab: weight[cab] / total for cab in cabs}
    return shares


def fit_traffic_appeal(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``traffic[m]`` and ``appeal[p]`` of ``rate ≈ traffic × appeal`` fitted to the non-NaN
    cells of a [machine, product] rate matrix (alternating sums; appeal 0 where never seen)."""
    seen = ~np.isnan(observed)
    known = np.where(seen, observed, 0.0)
    traffic = np.ones(observed.shape[0])
    appeal = np.zeros(observed.shape[1])
    for _ in range(FIT_ROUNDS):
        denom = (seen * traffic[:, None]).sum(axis=0)
        appeal = np.divide(known.sum(axis=0), denom, out=np.zeros_like(appeal), where=denom > 0)
        denom = (seen * appeal[None, :]).sum(axis=1)
        traffic = np.divide(known.sum(axis=1), denom, out=np.ones_like(traffic), where=denom > 0)
    rows = seen.any(axis=1)
    if rows.any():  # the average observed machine has traffic 1, as has one never observed
        scale = traffic[rows].mean()
        if scale > 0:
            traffic, appeal = np.where(rows, traffic / scale, 1.0), appeal * scale
    return traffic, appeal


def pooled_rates(units: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, float]:
    """Empirical-Bayes rates of a [machine, product] grid from units sold and in-stock days
    (NaN or under ``MIN_EXPOSURE_DAYS``: not observed, NaN in the result), and the relative
    variance used.

    A pair's rate is ``μ·θ`` with ``μ = traffic × appeal`` (``fit_traffic_appeal`` on the raw
    rates) and ``θ ~ Gamma(mean 1, variance τ²)``; units over ``e`` days are Poisson, so
    ``E[(u − μe)²] = μe + τ²(μe)²`` gives ``τ² = Σ[(u − μe)² − μe] / Σ(μe)²`` (at least
    ``MIN_RELATIVE_VARIANCE``), and the posterior mean is ``(u + 1/τ²) / (e + 1/(τ²μ))``: a
    pair's own evidence weighed against the model with the weight of ``1/(τ²μ)`` days."""
    u = np.asarray(units, dtype=float)
    e = np.asarray(exposure, dtype=float)
    if u.shape != e.shape or u.ndim != 2:
        raise ValueError(
            f"units {u.shape} and exposure {e.shape} must be one [machine, product] shape"
        )
    seen = ~np.isnan(u) & ~np.isnan(e) & (e >= MIN_EXPOSURE_DAYS)
    raw = np.where(seen, u / np.where(seen, e, 1.0), np.nan)
    traffic, appeal = fit_traffic_appeal(raw)
    mu = np.maximum(traffic[:, None] * appeal[None, :], 1e-9)
    expect = np.where(seen, mu * e, 0.0)
    spread = np.where(seen, (np.nan_to_num(u) - expect) ** 2 - expect, 0.0)
    scale = float((expect**2).sum())
    tau2 = max(MIN_RELATIVE_VARIANCE, float(spread.sum()) / scale if scale > 0 else np.inf)
    if not np.isfinite(tau2):
        return raw, tau2
    post = (np.nan_to_num(u) + 1.0 / tau2) / (np.nan_to_num(e) + 1.0 / (tau2 * mu))
    return np.where(seen, post, np.nan), tau2


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
        for untried_category in np.unique(cats[untried]):
            in_category = cats == untried_category
            known = appeal[in_category & ~untried]
            if len(known):
                appeal[in_category & untried] = float(np.quantile(known, UNTRIED_QUANTILE))
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
