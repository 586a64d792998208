"""The page registry: every page of the app, who may open it, and where it lives.

One entry per page; ``dashboards/app.py`` builds ``st.navigation`` from the entries the
signed-in role may open (menus follow the role; every write is re-checked by the operations
service layer anyway). Files are relative to ``dashboards/``. The first entry a role may open is
its landing page.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "manager", "driver", "viewer"})
OFFICE = frozenset({"admin", "manager", "viewer"})  # everyone but drivers
MANAGERS = frozenset({"admin", "manager"})


@dataclass(frozen=True)
class PageSpec:
    """One page: its file under ``dashboards/``, menu title and icon, roles, URL path, section."""

    file: str
    title: str
    icon: str
    roles: frozenset[str]
    url_path: str
    section: str = "Fleet"


PAGES: list[PageSpec] = [
    PageSpec(  # drivers land here: their own orders of the day
        "app_pages/driver.py",
        "My orders",
        ":material/local_shipping:",
        frozenset({"driver"}),
        "my-orders",
        "Driver",
    ),
    PageSpec("app_pages/overview.py", "Fleet overview", ":material/dashboard:", OFFICE, "overview"),
    PageSpec("app_pages/machine.py", "Machine", ":material/kitchen:", ALL_ROLES, "machine"),
    PageSpec("app_pages/sales.py", "Sales", ":material/payments:", OFFICE, "sales"),
    PageSpec("app_pages/stockouts.py", "Stock-outs", ":material/block:", OFFICE, "stockouts"),
    PageSpec("app_pages/cash.py", "Cash", ":material/savings:", OFFICE, "cash"),
    PageSpec(
        "app_pages/data_quality.py", "Data quality", ":material/rule:", OFFICE, "data-quality"
    ),
    PageSpec(
        "app_pages/recommendations.py",
        "Recommendations",
        ":material/auto_awesome:",
        OFFICE,
        "recommendations",
        "Operations",
    ),
    PageSpec(
        "app_pages/visit_plan.py",
        "Visit plan & orders",
        ":material/route:",
        OFFICE,
        "visit-plan",
        "Operations",
    ),
    PageSpec(  # drivers see their routes' alerts only (the service layer filters)
        "app_pages/alerts.py",
        "Alerts",
        ":material/notifications:",
        MANAGERS | {"driver"},
        "alerts",
        "Operations",
    ),
    PageSpec(
        "app_pages/orders.py",
        "Orders",
        ":material/assignment:",
        MANAGERS,
        "orders",
        "Operations",
    ),
    PageSpec("app_pages/ask.py", "Ask CVD", ":material/chat:", OFFICE, "ask", "Analysis"),
    PageSpec(
        "app_pages/models.py", "Models", ":material/model_training:", OFFICE, "models", "Models"
    ),
    PageSpec(
        "app_pages/planogram_editor.py",
        "Planogram editor",
        ":material/grid_view:",
        MANAGERS,
        "planogram-editor",
        "Operations",
    ),
    PageSpec(  # drivers upload their handheld's files at the end of a route
        "app_pages/upload_dex.py",
        "Upload DEX",
        ":material/upload_file:",
        MANAGERS | {"driver"},
        "upload-dex",
        "Operations",
    ),
    PageSpec(
        "app_pages/admin.py", "Admin", ":material/admin_panel_settings:", MANAGERS, "admin", "Admin"
    ),
    # Master data: office roles read, admins and managers edit (the services re-check).
    PageSpec(
        "app_pages/machines.py",
        "Machines",
        ":material/list_alt:",
        OFFICE,
        "machines",
        "Master data",
    ),
    PageSpec(
        "app_pages/products.py",
        "Products",
        ":material/inventory_2:",
        OFFICE,
        "products",
        "Master data",
    ),
    PageSpec(
        "app_pages/locations_routes.py",
        "Locations & routes",
        ":material/location_on:",
        OFFICE,
        "locations-routes",
        "Master data",
    ),
    PageSpec(
        "app_pages/master_files.py",
        "Master-data files",
        ":material/upload_file:",
        OFFICE,
        "master-data-files",
        "Master data",
    ),
]


def pages_for(role: str) -> list[PageSpec]:
    """The pages ``role`` may open, in menu order."""
    return [page for page in PAGES if role in page.roles]
