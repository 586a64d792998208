"""The product catalog: products with prices, costs and popularity, and who substitutes for whom."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.config import SimConfig

# category: (name stems, price range in cents, sizes to draw from)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[int, int], tuple[str, ...]]] = {
    "Beverage": (
        ("Cola", "Diet Cola", "Lemon Soda", "Iced Tea", "Spring Water", "Orange Juice",
         "Energy Drink", "Sparkling Water", "Cold Brew", "Sports Drink", "Root Beer", "Lemonade"),
        (150, 300),
        ("M", "L"),
    ),
    "Snack": (
        ("Potato Chips", "Pretzels", "Popcorn", "Trail Mix", "Cheese Crackers", "Tortilla Chips",
         "Granola Bar", "Peanuts", "Pita Chips", "Rice Cakes", "Beef Jerky", "Veggie Straws"),
        (125, 225),
        ("S", "M"),
    ),
    "Candy": (
        ("Chocolate Bar", "Peanut Cups", "Gummy Bears", "Mints", "Caramel Bar", "Licorice",
         "Wafer Bar", "Sour Worms", "Nougat Bar", "Toffee"),
        (125, 200),
        ("S",),
    ),
    "Frozen": (
        ("Ice Cream Sandwich", "Fruit Bar", "Cone", "Frozen Yogurt", "Ice Pop", "Sundae Cup"),
        (250, 425),
        ("M", "L"),
    ),
    "Fresh": (
        ("Turkey Sandwich", "Caesar Salad", "Fruit Cup", "Yogurt Parfait", "Wrap", "Sushi Box",
         "Hummus Snack Pack", "Egg Salad"),
        (350, 650),
        ("M", "L"),
    ),
}  # fmt: skip
BRANDS: tuple[str, ...] = ("Acme", "Brightside", "Crestline", "Northstar", "Summit", "Valley")
# Units a spiral holds by product size.
SIZE_CAPACITY: dict[str, int] = {"S": 15, "M": 10, "L": 7}


@dataclass(frozen=True)
class Catalog:
    """Products as parallel arrays (index = product number) plus the substitution matrix."""

    product_id: tuple[str, ...]
    name: tuple[str, ...]
    category: tuple[str, ...]
    size: tuple[str, ...]
    price_cents: np.ndarray  # int64
    cost_cents: np.ndarray  # int64
    popularity: np.ndarray  # float, mean 1 over the catalog
    launch_day: np.ndarray  # float; -inf for products on sale before the start
    fade_day: np.ndarray  # float; inf for products that do not fade
    substitution: np.ndarray  # [product, product] share of walk-aways choosing each substitute

    def __len__(self) -> int:
        return len(self.product_id)

    def in_category(self, categories: tuple[str, ...]) -> np.ndarray:
        """Indices of the products whose category is one of ``categories``."""
        return np.flatnonzero(np.isin(np.array(self.category), categories))


def make_catalog(config: SimConfig, rng: np.random.Generator) -> Catalog:
    """Draw a catalog of ``config.products`` products spread over the categories."""
    cats = list(CATEGORIES)
    # Every category gets products: round-robin first so none is empty even for tiny catalogs.
    category = [cats[i % len(cats)] for i in range(config.products)]
    names, sizes, prices, costs = [], [], [], []
    for i, cat in enumerate(category):
        stems, (lo, hi), size_choices = CATEGORIES[cat]
        stem = stems[(i // len(cats)) % len(stems)]
        brand = BRANDS[(i // (len(cats) * len(stems))) % len(BRANDS)]
        names.append(f"{brand} {stem}")
        sizes.append(size_choices[int(rng.integers(len(size_choices)))])
        price = int(rng.integers(lo // 5, hi // 5 + 1)) * 5  # prices in 5-cent steps
        prices.append(price)
        costs.append(round(price * rng.uniform(0.35, 0.55)))
    d = config.demand
    popularity = rng.lognormal(0.0, d.popularity_sigma, config.products)
    popularity /= popularity.mean()
    launch = np.full(config.products, -np.inf)
    fade = np.full(config.products, np.inf)
    n_new = round(d.new_product_share * config.products)
    n_fade = round(d.fading_share * config.products)
    order = rng.permutation(config.products)
    launch[order[:n_new]] = rng.uniform(0.1, 0.7, n_new) * config.days
    fade[order[n_new : n_new + n_fade]] = rng.uniform(0.0, 0.6, n_fade) * config.days
    return Catalog(
        product_id=tuple(f"P{i + 1:04d}" for i in range(config.products)),
        name=tuple(names),
        category=tuple(category),
        size=tuple(sizes),
        price_cents=np.array(prices, dtype=np.int64),
        cost_cents=np.array(costs, dtype=np.int64),
        popularity=popularity,
        launch_day=launch,
        fade_day=fade,
        substitution=substitution_matrix(category, popularity, rng),
    )


def substitution_matrix(
    category: list[str], popularity: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Row i: how walk-aways from product i spread over other products (same category only).

    Customers substitute within a category, towards popular products; rows sum to 1 where the
    category has another product, else 0.
    """
    cats = np.array(category)
    same = cats[:, None] == cats[None, :]
    np.fill_diagonal(same, False)
    weight = same * popularity[None, :] * rng.uniform(0.5, 1.5, (len(cats), len(cats)))
    total = weight.sum(axis=1, keepdims=True)
    return np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)


def lifecycle(catalog: Catalog, day: float, ramp_days: float, half_life: float) -> np.ndarray:
    """Demand multiplier per product on ``day``: 0 before launch, ramping up, fading after."""
    since_launch = day - catalog.launch_day
    ramp = np.where(since_launch < 0, 0.0, 1.0 - np.exp(-np.maximum(since_launch, 0) / ramp_days))
    faded = np.exp2(-np.maximum(day - catalog.fade_day, 0.0) / half_life)
    return ramp * np.where(np.isinf(catalog.fade_day), 1.0, faded)
