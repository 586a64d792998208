"""Who may do what: the permission matrix as data, and the one check every service calls.

The matrix maps each role to the actions it may take and the scope of each grant: ``ALL``
records, or only the actor's own (``OWN_ROUTES``: the orders recorded for that driver). The
service layer calls :func:`require` (or :func:`require_on_route` for a record) before it reads or
writes anything; dashboards and the CLI call the services, so the rule holds whatever the front
end.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from enum import StrEnum

from operations.errors import PermissionDenied
from operations.schema import ROLES

SYSTEM_ROLE = "system"


class Action(StrEnum):
    """Everything the service layer can be asked to do."""

    READ_MASTER_DATA = "masterdata.read"
    WRITE_MASTER_DATA = "masterdata.write"
    IMPORT_MASTER_DATA = "masterdata.import"
    EXPORT_MASTER_DATA = "masterdata.export"  # every master-data table as its import CSV
    READ_PLANOGRAM = "planogram.read"
    EDIT_PLANOGRAM = "planogram.edit"
    READ_ORDERS = "order.read"
    CREATE_ORDER = "order.create"
    SCHEDULE_ORDER = "order.schedule"
    ASSIGN_ORDER = "order.assign"
    START_ORDER = "order.start"
    COMPLETE_ORDER = "order.complete"
    CANCEL_ORDER = "order.cancel"
    EDIT_ORDER = "order.edit"  # change a draft's items, type, priority, note
    SERVE_CABINET = "order.serve_cabinet"  # mark one cabinet of an order done (progress)
    COMPLETE_FOR_DRIVER = "order.complete_for"  # complete an order on its driver's behalf
    CORRECT_ORDER = "order.correct"  # correct what a completed order delivered
    RECORD_VISIT = "order.record"  # a cabinet's entries and photos while the order is worked
    REPORT_EXCEPTION = "order.exception"  # a problem at a cabinet: opens a follow-up order
    READ_USERS = "users.read"
    MANAGE_USERS = "users.manage"
    RESET_PASSWORD = "users.reset_password"  # noqa: S105 - an action name, not a secret
    READ_SESSIONS = "sessions.read"
    REVOKE_SESSION = "sessions.revoke"
    CHANGE_OWN_PASSWORD = "account.change_password"  # noqa: S105 - an action name
    READ_AUDIT = "audit.read"
    REQUEUE_QUARANTINE = "quarantine.requeue"
    READ_RECOMMENDATIONS = "recommendation.read"
    DECIDE_RECOMMENDATION = "recommendation.decide"
    MANAGE_TOKENS = "tokens.manage"
    MAINTAIN = "maintenance.run"  # retention: expired sessions, old audit rows (admins, system)
    READ_ALERTS = "alert.read"
    HANDLE_ALERT = "alert.handle"  # acknowledge or resolve
    RAISE_ALERT = "alert.raise"  # the rules' run: raise, refresh, auto-resolve, send
    SUBSCRIBE_ALERTS = "alert.subscribe"  # one's own subscriptions only
    READ_CASH = "cash.read"  # cash collections: counts and reconciliations
    RECORD_CASH = "cash.record"  # the driver's count of a box emptied on their order
    RECONCILE_CASH = "cash.reconcile"  # accept, investigate or adjust a collection
    IMPORT_CASH = "cash.import"  # collections history from another system
    ASK = "ask.question"  # ask the assistant / run a query on the warehouse through its guard
    READ_QUESTIONS = "ask.read_all"  # everyone's questions (each user always sees their own)
    UPLOAD_DEX = "dex.upload"  # DEX files uploaded on the dashboards (drivers at a route's end)


class Scope(StrEnum):
    """How far a grant reaches."""

    ALL = "all"
    OWN_ROUTES = "own routes"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user (see ``operations.auth.user_for_session``) or SYSTEM."""

    username: str
    role: str
    user_id: int | None = None
    # Signed in with a temporary password: nothing but changing it is allowed until then.
    must_change_password: bool = False


# Automatic registrations (unknown DEX serials) and other work no person started.
SYSTEM = Actor(username="system", role=SYSTEM_ROLE)


def operator(channel: str = "cli") -> Actor:
    """The SYSTEM role acting for the operating-system user who ran a command: ``cli:<user>``.

    The shell that runs `cvd` is the operator's own, so its commands may do everything; the audit
    log still names the account that ran them.
    """
    try:
        who = getpass.getuser()
    except OSError:  # no login name and no passwd entry (some containers): the uid still tells
        who = f"uid{os.getuid()}"
    return Actor(username=f"{channel}:{who}"[:64], role=SYSTEM_ROLE)


_EVERYTHING = dict.fromkeys(Action, Scope.ALL)
# What only admins do to other people's accounts.
ACCOUNT_ADMINISTRATION = frozenset(
    {
        Action.READ_USERS,
        Action.MANAGE_USERS,
        Action.RESET_PASSWORD,
        Action.READ_SESSIONS,
        Action.REVOKE_SESSION,
    }
)
_READS = {
    Action.CHANGE_OWN_PASSWORD: Scope.ALL,
    Action.READ_MASTER_DATA: Scope.ALL,
    Action.EXPORT_MASTER_DATA: Scope.ALL,
    Action.READ_PLANOGRAM: Scope.ALL,
    Action.READ_ORDERS: Scope.ALL,
    Action.READ_RECOMMENDATIONS: Scope.ALL,
    Action.READ_ALERTS: Scope.ALL,
    Action.SUBSCRIBE_ALERTS: Scope.ALL,
    Action.ASK: Scope.ALL,
}

MATRIX: dict[str, dict[Action, Scope]] = {
    "admin": _EVERYTHING,
    SYSTEM_ROLE: _EVERYTHING,
    "manager": {
        action: scope
        for action, scope in _EVERYTHING.items()
        if action
        not in ACCOUNT_ADMINISTRATION
        | {Action.MANAGE_TOKENS, Action.MAINTAIN, Action.READ_QUESTIONS}
    },
    "driver": {
        Action.CHANGE_OWN_PASSWORD: Scope.ALL,
        Action.READ_MASTER_DATA: Scope.ALL,
        Action.READ_PLANOGRAM: Scope.ALL,
        Action.READ_ORDERS: Scope.OWN_ROUTES,
        Action.START_ORDER: Scope.OWN_ROUTES,
        Action.COMPLETE_ORDER: Scope.OWN_ROUTES,
        Action.SERVE_CABINET: Scope.OWN_ROUTES,
        Action.RECORD_VISIT: Scope.OWN_ROUTES,
        Action.REPORT_EXCEPTION: Scope.OWN_ROUTES,
        Action.READ_ALERTS: Scope.OWN_ROUTES,
        Action.HANDLE_ALERT: Scope.OWN_ROUTES,
        Action.SUBSCRIBE_ALERTS: Scope.ALL,
        Action.READ_CASH: Scope.OWN_ROUTES,
        Action.RECORD_CASH: Scope.OWN_ROUTES,
        Action.UPLOAD_DEX: Scope.ALL,
    },
    "viewer": _READS,
}
if set(MATRIX) != {*ROLES, SYSTEM_ROLE}:  # pragma: no cover - guards edits of ROLES or MATRIX
    raise RuntimeError("permission matrix and schema roles disagree")


def require(actor: Actor, action: Action) -> Scope:
    """Refuse with :class:`PermissionDenied` unless ``actor`` may take ``action``; return the scope.

    A caller that gets ``Scope.OWN_ROUTES`` back must limit what it reads or writes to the
    actor's routes (lists filter by it; single records use :func:`require_on_route`). An actor
    signed in with a temporary password may only change it.
    """
    scope = MATRIX.get(actor.role, {}).get(action)
    if scope is None:
        raise PermissionDenied(actor.username, actor.role, action.value)
    if actor.must_change_password and action is not Action.CHANGE_OWN_PASSWORD:
        raise PermissionDenied(
            actor.username, actor.role, action.value, "change the temporary password first"
        )
    return scope


def require_on_route(actor: Actor, action: Action, driver: str | None) -> None:
    """Like :func:`require`, for one record assigned to ``driver`` (a service order's driver).

    With ``Scope.OWN_ROUTES`` only that driver passes; the record's own driver counts, not its
    route's current one (see ``operations.services.orders``).
    """
    scope = require(actor, action)
    if scope is Scope.OWN_ROUTES and driver != actor.username:
        raise PermissionDenied(actor.username, actor.role, action.value, "not their order")
