"""Authentication and authorisation for API routes and console pages.

Credentials: an API key (``Authorization: Bearer csk_...``) or a console session cookie
(``cs_session``, path-scoped to ``/provider/`` or ``/centre/``). The side of a route
(provider or centre) comes from its path, so one dependency serves both deployments.

Use in a router (see docs/service.md)::

    from childshield.api.auth import require, tenant_scope, authenticated

    @router.get("/cases/{case_id}")
    def get_case(case_id: int, caller: Principal = require("reviewer", "supervisor"),
                 scope: TenantScope = tenant_scope): ...

* API keys that verified are cached for ``api_key_cache_seconds`` (``auth/keycache.py``:
  a key revoked elsewhere is refused within that time);
* no or bad credentials -> 401; credentials of the other side or without one of the
  roles -> 403 (written to the audit log as ``access.denied``);
* ``require`` takes bare role names or ``side:role`` (``provider:admin``); bare names are
  matched against the caller's side; ``create_app`` refuses a route whose roles do not
  exist on its side;
* cookie-authenticated unsafe requests must echo the session's CSRF token in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from childshield import audit
from childshield.api.deps import DbSession, get_database
from childshield.auth import service
from childshield.auth.keycache import KeyCache
from childshield.auth.principal import Principal
from childshield.auth.roles import ROLES, Side
from childshield.auth.secrets import sha256_hex
from childshield.errors import AuthenticationError, PermissionDeniedError
from childshield.store.tenancy import TenantScope

SESSION_COOKIE = "cs_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ROLES_ATTR = "__childshield_roles__"
"""Marks auth dependencies; ``create_app`` reads it to document (``x-roles``) and check
every route. ``"*"`` = any authenticated caller."""

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="API key: `Authorization: Bearer csk_<prefix>_<secret>`",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="consoleSession",
    description="Console session cookie; unsafe methods also need the X-CSRF-Token header.",
)


def route_side(request: Request) -> Side:
    """The side a request is for, from its path (``/provider/...`` or ``/centre/...``)."""
    path: str = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    first = path.strip("/").split("/", 1)[0]
    try:
        return Side(first)
    except ValueError:
        raise RuntimeError(f"route {path!r} is not under /provider/ or /centre/") from None


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not principal.csrf_token or \
            not hmac.compare_digest(sent, principal.csrf_token):
        raise PermissionDeniedError("CSRF token missing or wrong; reload the page")


async def current_principal(
    request: Request,
    session: DbSession,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    cookie: str | None = Depends(_cookie),
) -> Principal:
    """The authenticated caller of this request (401 without valid credentials)."""
    side = route_side(request)
    if bearer is not None:
        cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
        digest = sha256_hex(bearer.credentials)
        cached = cache.get(digest) if cache is not None else None
        if cached is not None:
            principal = cached
        else:
            principal = await run_in_threadpool(service.authenticate_key, session,
                                                bearer.credentials)
            if cache is not None:
                cache.put(digest, principal)
        if principal.side != side:
            raise PermissionDeniedError(
                f"this API key belongs to a {principal.side} tenant; it cannot call the "
                f"{side} API"
            )
    elif cookie:
        principal = await run_in_threadpool(service.resolve_session, session, cookie, side)
        await _check_csrf(request, principal)
    else:
        raise AuthenticationError(
            "authentication required: send an API key as 'Authorization: Bearer csk_...'"
        )
    request.state.principal = principal
    return principal


setattr(current_principal, ROLES_ATTR, "*")


def forget_key(request: Request, key_id: int) -> None:
    """Drop a revoked API key from this process's cache (other workers: within the TTL)."""
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    if cache is not None:
        cache.forget(key_id)

authenticated: Any = Depends(current_principal)
"""Any authenticated caller of the route's side."""


def _role_names(roles: Iterable[str]) -> frozenset[str]:
    names = set()
    for raw in roles:
        side_name, _, role = raw.rpartition(":")
        sides = [Side(side_name)] if side_name else list(Side)
        if not any(role in ROLES[s] for s in sides):
            raise ValueError(f"unknown role {raw!r}")
        names.add(raw)
    if not names:
        raise ValueError("require() needs at least one role")
    return frozenset(names)


def roles_for_side(names: Iterable[str], side: Side) -> frozenset[str]:
    """The bare role names among ``names`` (bare or ``side:role``) that apply on ``side``."""
    out = set()
    for raw in names:
        side_name, _, role = raw.rpartition(":")
        if (not side_name or side_name == side) and role in ROLES[side]:
            out.add(role)
    return frozenset(out)


def _record_denied(request: Request, principal: Principal) -> None:
    with get_database(request).session() as session:
        audit.record(session, principal, "access.denied", "route",
                     request.url.path[:200], outcome="denied",
                     details={"method": request.method})


def require(*roles: str) -> Any:
    """A dependency admitting callers holding any of ``roles``; returns the Principal."""
    names = _role_names(roles)

    async def dependency(
        request: Request, principal: Principal = Depends(current_principal)
    ) -> Principal:
        allowed = roles_for_side(names, principal.side)
        if not principal.has_any(allowed):
            await run_in_threadpool(_record_denied, request, principal)
            wanted = " or ".join(sorted(allowed)) or "a role of the other side"
            raise PermissionDeniedError(f"this action requires the role {wanted}")
        return principal

    setattr(dependency, ROLES_ATTR, names)
    dependency.__name__ = "require_" + "_".join(sorted(n.replace(":", "_") for n in names))
    return Depends(dependency)


def _tenant_scope(
    session: DbSession, principal: Principal = Depends(current_principal)
) -> TenantScope:
    return TenantScope(session, principal.tenant_id)


tenant_scope: Any = Depends(_tenant_scope)
"""This request's session restricted to the caller's tenant (404 for other tenants' rows)."""


def current_principal_from_state(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise AuthenticationError("authentication required")
    return principal


__all__ = [
    "CSRF_HEADER",
    "ROLES_ATTR",
    "SESSION_COOKIE",
    "authenticated",
    "current_principal",
    "current_principal_from_state",
    "forget_key",
    "require",
    "roles_for_side",
    "route_side",
    "tenant_scope",
]
