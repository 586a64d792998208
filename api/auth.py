"""Bearer tokens on every endpoint but the health checks: scope, audit, rate limit."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from operations.errors import AuthenticationError, PermissionDenied
from operations.services.tokens import TokenUse, token_hash, use_token

bearer = HTTPBearer(auto_error=False, description="an API token from `cvd tokens add`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def is_loopback(request: Request) -> bool:
    """Whether the request comes from this host (a scraper beside the service)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(
    request: Request, credentials: HTTPAuthorizationCredentials | None, scope: str
) -> TokenUse:
    state = request.app.state
    if credentials is None or not credentials.credentials:
        state.metrics.auth_failure("missing")
        raise ApiError(
            401,
            "an API token is required: Authorization: Bearer TOKEN",
            {"WWW-Authenticate": "Bearer"},
        )
    # the bucket is the token's before anything is looked up: a flood costs no database write
    wait = state.limiter.take(token_hash(credentials.credentials))
    if wait > 0:
        state.metrics.rate_limited()
        raise ApiError(429, "rate limit of this token reached", {"Retry-After": str(int(wait) + 1)})
    use = f"{request.method} {request.url.path}"
    try:
        who = use_token(state.engine, credentials.credentials, scope, use=use)
    except AuthenticationError as error:
        state.metrics.auth_failure("invalid")
        raise ApiError(401, str(error), {"WWW-Authenticate": "Bearer"}) from error
    except PermissionDenied as error:
        state.metrics.auth_failure("scope")
        raise ApiError(403, f"this token may not {use}: it has another scope") from error
    request.state.token = who.name  # for the request's log line
    return who


def require(scope: str) -> Callable[..., TokenUse]:
    """A dependency admitting only a valid token of ``scope`` (run in the thread pool: it
    reads and writes the operational database)."""

    def dependency(request: Request, credentials: Credentials) -> TokenUse:
        return _check(request, credentials, scope)

    return dependency


def require_or_loopback(scope: str) -> Callable[..., TokenUse | None]:
    """Like :func:`require`, but a request from loopback needs no token."""

    def dependency(request: Request, credentials: Credentials) -> TokenUse | None:
        if credentials is None and is_loopback(request):
            return None
        return _check(request, credentials, scope)

    return dependency
