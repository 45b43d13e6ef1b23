"""The application factory: ``create_app(role, database, settings) -> FastAPI``.

``role`` is ``provider``, ``centre`` or ``all``; the URL layout is the same either way
(``/provider/v1``, ``/centre/v1``, ``/provider/console``, ``/centre/console``,
``/centre/victims/``), so a load balancer can route by path. Routers are found by
``childshield.api.registry``; errors are problem+json (``childshield.api.problems``).

Run it with ``childshield serve`` or ``uvicorn --factory childshield.api.app:app_from_env``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import HTMLResponse

from childshield import __version__
from childshield.api import problems, ratelimit
from childshield.api.auth import ROLES_ATTR, roles_for_side
from childshield.api.idempotency import (
    IdempotencyMiddleware,
    IdempotentReplay,
    LostRace,
    lost_race_handler,
    replay_handler,
    transactional,
)
from childshield.api.middleware import (
    BodySizeLimitMiddleware,
    CredentialsFirstMiddleware,
    RequestContextMiddleware,
    path_pattern,
)
from childshield.api.registry import mounts_for
from childshield.auth.keycache import KeyCache
from childshield.auth.roles import Side
from childshield.settings import Settings, get_settings
from childshield.store.db import Database, open_database

Role = Literal["provider", "centre", "all"]


def sides_of(role: str) -> list[Side]:
    if role == "all":
        return [Side.PROVIDER, Side.CENTRE]
    try:
        return [Side(role)]
    except ValueError:
        raise ValueError(f"unknown role {role!r}: expected provider, centre or all") from None


def _walk(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _walk(sub)


def access_rules(app: FastAPI) -> dict[tuple[str, str], list[str] | None]:
    """``(METHOD, path) -> roles`` for every API route: ``None`` = public, ``["*"]`` = any
    authenticated caller of the side, else the roles admitted on the route's side.

    Raises ValueError for a route that requires roles none of which exist on its side
    (a typo would otherwise lock everyone out).
    """
    rules: dict[tuple[str, str], list[str] | None] = {}
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or ctx.path is None:
            continue
        marks = [getattr(call, ROLES_ATTR) for call in _walk(route.dependant)
                 if hasattr(call, ROLES_ATTR)]
        named = [m for m in marks if m != "*"]
        roles: list[str] | None
        if not marks:
            roles = None
        elif named:
            side = Side(ctx.path.strip("/").split("/", 1)[0])
            roles = sorted(set().union(*(roles_for_side(m, side) for m in named)))
            if not roles:
                raise ValueError(
                    f"route {ctx.path} requires {sorted(set().union(*named))}, none of "
                    f"which exists on the {side} side"
                )
        else:
            roles = ["*"]
        for method in ctx.methods or ():
            rules[(method, ctx.path)] = roles
    return rules


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` is a stable URI "
    "(https://childshield.dev/problems/<slug>).",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "Error, as RFC 9457 problem+json",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _install_openapi(app: FastAPI) -> None:
    """Document each operation's access rule in OpenAPI as ``x-roles`` or ``x-public``."""
    rules = access_rules(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = PROBLEM_SCHEMA
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    responses["default"] = PROBLEM_RESPONSE
                    roles = rules.get((method.upper(), path), None)
                    if roles is None:
                        operation["x-public"] = True
                    else:
                        operation["x-roles"] = roles
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the role's periodic jobs with the server, stop them with it
    (:mod:`childshield.api.jobs`; off when ``jobs_interval_s`` is 0)."""
    from childshield.api.jobs import start_jobs

    jobs = start_jobs(app)
    try:
        yield
    finally:
        if jobs is not None:
            await asyncio.to_thread(jobs.stop)


def create_app(
    role: Role | str = "all",
    database: Database | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """Build the ASGI app for ``role`` on ``database`` (migrated; default: from settings).

    Served with its lifespan (``childshield serve``, uvicorn), the app runs the role's
    periodic jobs in a background thread every ``settings.jobs_interval_s`` seconds."""
    settings = settings or get_settings()
    sides = sides_of(role)
    database = database or open_database(settings.resolved_database_url())
    app = FastAPI(
        title="childshield",
        version=__version__,
        description="Provider and EU Centre APIs of childshield. Errors are RFC 9457 "
        "problem+json; every write takes an Idempotency-Key.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.role = role
    app.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    ratelimit.install(app, settings)
    app.state.sides = sides
    problems.install(app)
    app.add_exception_handler(IdempotentReplay, replay_handler)
    app.add_exception_handler(LostRace, lost_race_handler)

    for mount in mounts_for(sides):
        app.include_router(
            transactional(mount.router), prefix=mount.prefix, include_in_schema=mount.kind == "api"
        )
    from childshield.web.static import mount_static

    for side in sides:
        mount_static(app, side)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        links = "".join(
            f'<li><a href="/{s}/console/">{s} console</a></li>' for s in sides
        )
        if Side.CENTRE in sides:
            links += '<li><a href="/centre/victims/">victims\' page</a></li>'
        return HTMLResponse(
            "<!doctype html><title>childshield</title><h1>childshield</h1>"
            f"<ul>{links}<li><a href=\"/openapi.json\">OpenAPI</a></li></ul>"
        )

    _install_openapi(app)
    public = [(method, path_pattern(path)) for (method, path), roles in access_rules(app).items()
              if roles is None]
    # Middleware, innermost first: idempotency stores responses, the body limit and the
    # credentials check sit outside it, request ids and security headers outermost.
    app.add_middleware(IdempotencyMiddleware, database=database)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(CredentialsFirstMiddleware, public=public,
                       prefixes=tuple(f"/{side}/v1/" for side in sides))
    app.add_middleware(RequestContextMiddleware)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-worker serving: role from
    ``CHILDSHIELD_SERVE_ROLE`` (default ``all``), database and limits from settings."""
    role = os.environ.get("CHILDSHIELD_SERVE_ROLE", "all")
    warm_index_in_background(role)
    return create_app(role)


def warm_index_in_background(role: str) -> None:
    """For a long-running provider server: load the index's compiled kernels now, beside
    start-up, rather than inside the request that first needs them
    (:func:`childshield.index.warmup`)."""
    if Side.PROVIDER in sides_of(role):
        from childshield.index import warmup

        threading.Thread(target=warmup, name="index-warmup", daemon=True).start()


__all__ = ["Role", "app_from_env", "create_app", "sides_of", "warm_index_in_background"]
