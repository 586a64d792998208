"""Demo accounts for `cvd up`: one per role and one per route driver, on an empty users table.

Passwords are generated, stored only as Argon2id hashes (``operations.services.users``), and
handed back to the caller to print once. A table that already holds any user (even a deactivated
one) is left alone, so a second `cvd up` never creates or prints anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from operations.auth import generate_password
from operations.db import transaction
from operations.permissions import operator
from operations.schema import User
from operations.services.masterdata import list_routes
from operations.services.users import add_user

# Accounts every demo home gets, besides one driver per route.
STAFF: tuple[tuple[str, str], ...] = (
    ("admin", "admin"),
    ("manager", "manager"),
    ("viewer", "viewer"),
)


@dataclass(frozen=True)
class Credential:
    """A created account and its generated password (never stored in plain text)."""

    username: str
    role: str
    password: str
    note: str = ""


def users_table_empty(engine: Engine) -> bool:
    """Whether no account was ever created (deactivated ones count as created)."""
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) == 0


def route_drivers(engine: Engine) -> dict[str, list[str]]:
    """Driver user name -> the route codes naming them, from the imported master data."""
    drivers: dict[str, list[str]] = {}
    for route in list_routes(engine, operator()):
        if route.driver_username:
            drivers.setdefault(route.driver_username, []).append(route.code)
    return drivers


def create_demo_users(engine: Engine) -> list[Credential]:
    """Create the demo accounts if the users table is empty; return them with their passwords."""
    if not users_table_empty(engine):
        return []
    wanted = [(name, role, "") for name, role in STAFF]
    wanted += [
        (driver, "driver", "route " + ", ".join(routes))
        for driver, routes in sorted(route_drivers(engine).items())
    ]
    created = []
    for username, role, note in wanted:
        password = generate_password()
        add_user(engine, operator(), username=username, role=role, password=password)
        created.append(Credential(username, role, password, note))
    return created
