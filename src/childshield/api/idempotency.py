"""``Idempotency-Key`` on every write (draft-ietf-httpapi-idempotency-key-header).

Add the dependency to each POST/PUT/PATCH/DELETE route (a test walks the OpenAPI schema
and fails for a write without it)::

    @router.post("/reports", dependencies=[idempotent])
    def submit(...): ...

* first request with a key: the key is claimed (tenant, key, SHA-256 of method, path,
  query and body), the route runs, and its response (status < 500) is stored;
* the same key and the same request again: the stored response is returned, with
  ``Idempotent-Replayed: true``; the route does not run again;
* the same key with a different request: 422 ``idempotency-key-reused``;
* the same key while the first request is still running: 409 ``conflict``;
* a 5xx or a crash releases the key, so the client can retry.

Responses are stored in the database: never put a secret in the response of a route that
uses this (the API key route is exempt for that reason, see ``x-idempotency``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from childshield.api.auth import current_principal
from childshield.api.deps import get_database
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, IdempotencyKeyReusedError
from childshield.store import idempotency as repo
from childshield.store.db import Database

HEADER = "Idempotency-Key"
STATE_KEY = "idempotency_record_id"
EXEMPT = "x-idempotency-exempt"
"""``openapi_extra={EXEMPT: "reason"}`` marks a write that must not store its response."""
_KEPT_HEADERS = {"content-type", "location", "etag", "last-modified"}


class IdempotentReplay(Exception):
    """Raised by the dependency to answer with a stored response."""

    def __init__(self, status: int, headers: list[list[str]], body: bytes) -> None:
        super().__init__("replay")
        self.status, self.headers, self.body = status, headers, body


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path, "&".join(sorted(query.split("&"))) if query else ""):
        digest.update(part.encode("utf-8") + b"\n")
    digest.update(hashlib.sha256(body).digest())
    return digest.hexdigest()


def _claim_or_replay(database: Database, tenant_id: int, key: str, fingerprint: str,
                     method: str, path: str) -> int:
    for _ in range(2):
        with database.session() as session:
            found = repo.find(session, tenant_id, key)
            if found is None:
                claimed = repo.claim(session, tenant_id, key, fingerprint, method, path)
                if claimed is not None:
                    return claimed.id
                continue  # lost a race: read the winner's record
            if found.request_sha256 != fingerprint:
                raise IdempotencyKeyReusedError(
                    f"this {HEADER} was already used for a different request; "
                    "use a new key for a new request"
                )
            if found.status is None:
                raise ConflictError(
                    f"a request with this {HEADER} is still being processed; retry later"
                )
            raise IdempotentReplay(found.status, found.headers or [], found.body or b"")
    raise ConflictError(f"a request with this {HEADER} is still being processed; retry later")


async def _idempotency(
    request: Request,
    principal: Principal = Depends(current_principal),
    key: str = Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        description="A unique key per logical request (e.g. a UUID). Retrying with the same "
        "key returns the first response instead of doing the write twice.",
    ),
) -> None:
    body = await request.body()
    fingerprint = request_fingerprint(request.method, request.url.path, request.url.query, body)
    record_id = await run_in_threadpool(
        _claim_or_replay, get_database(request), principal.tenant_id, key, fingerprint,
        request.method, request.url.path,
    )
    request.state.idempotency_record_id = record_id


idempotent: Any = Depends(_idempotency)
"""Dependency for write routes: ``@router.post(..., dependencies=[idempotent])``."""


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    response = Response(exc.body, status_code=exc.status)
    for name, value in exc.headers:
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    """Stores the response of a request whose key was claimed by the dependency."""

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        status = 0
        headers: list[list[str]] = []
        chunks: list[bytes] = []
        finished = False

        async def capture(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() in _KEPT_HEADERS:
                        headers.append([name.decode("latin-1"), value.decode("latin-1")])
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    # Store before the client sees the end of the response, so a retry
                    # sent right after it finds the stored answer (not "in progress").
                    finished = True
                    await self._finish(scope, status, headers, b"".join(chunks))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if not finished:
                await self._finish(scope, 500, headers, b"")
            raise
        if not finished:
            await self._finish(scope, 500, headers, b"")

    async def _finish(self, scope: Scope, status: int, headers: list[list[str]],
                      body: bytes) -> None:
        record_id = scope.get("state", {}).pop(STATE_KEY, None)
        if record_id is None:
            return
        await run_in_threadpool(self._store, record_id, status, headers, body)

    def _store(self, record_id: int, status: int, headers: list[list[str]], body: bytes) -> None:
        with self.database.session() as session:
            if status >= 500:
                repo.release(session, record_id)
            else:
                repo.complete(session, record_id, status, headers, body)


__all__ = [
    "EXEMPT",
    "HEADER",
    "IdempotencyMiddleware",
    "IdempotentReplay",
    "idempotent",
    "replay_handler",
    "request_fingerprint",
]
