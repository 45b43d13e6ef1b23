"""``Idempotency-Key`` on every write (draft-ietf-httpapi-idempotency-key-header).

Add the dependency to each POST/PUT/PATCH/DELETE route (a test walks the OpenAPI schema
and fails for a write without it)::

    @router.post("/reports", dependencies=[idempotent])
    def submit(...): ...

* first request with a key: the route runs, and its answer (status < 500; tenant, key,
  SHA-256 of method, path, query and body) is stored **in the request's own transaction**
  (``TransactionalRoute``), so the write and the record of its answer commit together or
  not at all: a crash before the commit leaves neither (the retry runs the write once),
  a crash after it leaves both (the retry gets the stored answer);
* the same key and the same request again: the stored response is returned, with
  ``Idempotent-Replayed: true``; the route does not run again;
* the same key with a different request: 422 ``idempotency-key-reused``;
* the same key while the first request is still running in this process: 409
  ``conflict``. Two workers running the same key at once both run the route, but only
  one transaction commits (the record's unique key): the other rolls back and answers
  with the winner's stored response;
* an error raised by the route rolls its transaction back; its answer (status < 500) is
  then stored on its own, so the same request gets the same 4xx; a 5xx or a crash
  stores nothing, so the client can retry.

Streaming responses (NDJSON) and routes mounted without ``TransactionalRoute`` have
their answer stored by ``IdempotencyMiddleware`` in a transaction of its own after the
route has run. Responses are stored in the database: never put a secret in the response
of a route that uses this (the API key route is exempt for that reason, see
``x-idempotency``). Stored answers are purged after ``idempotency_retention_hours`` by
``childshield provider jobs`` (``childshield.provider.housekeeping``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from childshield.api.auth import current_principal
from childshield.api.deps import BEFORE_COMMIT, DbSession, get_database
from childshield.api.problems import problem_response
from childshield.auth.principal import Principal
from childshield.errors import ChildshieldError, ConflictError, IdempotencyKeyReusedError
from childshield.store import idempotency as repo
from childshield.store.db import Database

HEADER = "Idempotency-Key"
STATE_KEY = "idempotency_pending"
EXEMPT = "x-idempotency-exempt"
"""``openapi_extra={EXEMPT: "reason"}`` marks a write that must not store its response."""
_KEPT_HEADERS = {"content-type", "location", "etag", "last-modified"}
_IN_PROGRESS = f"a request with this {HEADER} is still being processed; retry later"

_in_flight: set[tuple[int, str]] = set()
_in_flight_lock = threading.Lock()


class IdempotentReplay(Exception):
    """Raised to answer with a stored response."""

    def __init__(self, status: int, headers: list[list[str]], body: bytes) -> None:
        super().__init__("replay")
        self.status, self.headers, self.body = status, headers, body


@dataclass
class Pending:
    """A write request whose answer is still to be stored."""

    session: Session
    tenant_id: int
    key: str
    fingerprint: str
    method: str
    path: str
    stored: bool = False
    """True once the answer is in the request's transaction (or a winner's is stored)."""
    in_flight: bool = False
    """True while this request holds the key's in-flight mark (released by the middleware)."""

    def flight(self) -> tuple[int, str]:
        return self.tenant_id, self.key


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path, "&".join(sorted(query.split("&"))) if query else ""):
        digest.update(part.encode("utf-8") + b"\n")
    digest.update(hashlib.sha256(body).digest())
    return digest.hexdigest()


def _answer_stored(session: Session, tenant_id: int, key: str, fingerprint: str) -> bool:
    """Raise the stored answer (replay), a reuse error or 409; False when the key is new."""
    found = repo.find(session, tenant_id, key)
    if found is None:
        return False
    if found.request_sha256 != fingerprint:
        raise IdempotencyKeyReusedError(
            f"this {HEADER} was already used for a different request; "
            "use a new key for a new request"
        )
    if found.status is None:  # a record left by an older version mid-request
        raise ConflictError(_IN_PROGRESS)
    raise IdempotentReplay(found.status, found.headers or [], found.body or b"")


def _check(pending: Pending) -> None:
    _answer_stored(pending.session, pending.tenant_id, pending.key, pending.fingerprint)
    with _in_flight_lock:
        if pending.flight() in _in_flight:
            raise ConflictError(_IN_PROGRESS)
        _in_flight.add(pending.flight())
        pending.in_flight = True


async def _idempotency(
    request: Request,
    session: DbSession,
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
    pending = Pending(session, principal.tenant_id, key,
                      request_fingerprint(request.method, request.url.path,
                                          request.url.query, body),
                      request.method, request.url.path)
    # In the scope before the check, so the middleware releases the mark even when this
    # request is cancelled while the check runs.
    request.scope.setdefault("state", {})[STATE_KEY] = pending
    try:
        await run_in_threadpool(_check, pending)
    except (IdempotentReplay, ChildshieldError):
        pending.stored = True  # nothing of this request is to be stored
        raise


idempotent: Any = Depends(_idempotency)
"""Dependency for write routes: ``@router.post(..., dependencies=[idempotent])``."""


def _kept_headers(raw: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in raw
            if name.decode("latin-1").lower() in _KEPT_HEADERS]


class LostRace(Exception):
    """Another worker committed the same key first (handled by ``lost_race_handler``)."""

    def __init__(self, pending: Pending) -> None:
        super().__init__("idempotency key taken by a concurrent request")
        self.pending = pending


def _store_in_transaction(pending: Pending, response: Response) -> None:
    try:
        repo.add_completed(pending.session, pending.tenant_id, pending.key,
                           pending.fingerprint, pending.method, pending.path,
                           response.status_code, _kept_headers(response.raw_headers),
                           bytes(response.body))
    except IntegrityError:
        # Another worker committed this key first: roll this request's write back (the
        # exception does) and answer with what the winner stored.
        pending.stored = True
        raise LostRace(pending) from None
    pending.stored = True


class TransactionalRoute(APIRoute):
    """An API route whose Idempotency-Key answer joins the route's own transaction.

    FastAPI builds the response before the request's ``DbSession`` commits (function
    scope), so the answer is added to that session between the two (a ``BEFORE_COMMIT``
    hook of the session).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_answer(request: Request) -> Response:
            response = await handler(request)
            pending = request.scope.get("state", {}).get(STATE_KEY)
            if isinstance(pending, Pending) and response.status_code < 500 \
                    and not isinstance(response, StreamingResponse):
                # Added by the DbSession right before its commit, in the same trip to
                # the thread pool.
                pending.session.info.setdefault(BEFORE_COMMIT, []).append(
                    lambda _session: _store_in_transaction(pending, response))
            return response

        return with_answer


def transactional(router: APIRouter) -> APIRouter:
    """Make every API route of ``router`` a :class:`TransactionalRoute` (before it is
    included in an app; ``create_app`` does this for every mounted router)."""
    for route in router.routes:
        if type(route) is APIRoute:
            route.__class__ = TransactionalRoute
    return router


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    response = Response(exc.body, status_code=exc.status)
    for name, value in exc.headers:
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _replay_winner(database: Database, pending: Pending) -> None:
    with database.session() as session:
        _answer_stored(session, pending.tenant_id, pending.key, pending.fingerprint)


async def lost_race_handler(request: Request, exc: Exception) -> Response:
    """The answer for a request that lost the race for its key to another worker."""
    assert isinstance(exc, LostRace)
    try:
        await run_in_threadpool(_replay_winner, get_database(request), exc.pending)
    except IdempotentReplay as replay:
        return await replay_handler(request, replay)
    except IdempotencyKeyReusedError as error:
        return problem_response(error, request.url.path)
    return problem_response(ConflictError(_IN_PROGRESS), request.url.path)


class IdempotencyMiddleware:
    """Stores the answers the route's transaction could not hold (errors raised by the
    route, streamed bodies, routes mounted without TransactionalRoute), and ends the
    key's in-flight mark when the request is over."""

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
                headers.extend(_kept_headers(list(message.get("headers", []))))
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
        finally:
            if not finished:
                await self._finish(scope, 500, headers, b"")

    async def _finish(self, scope: Scope, status: int, headers: list[list[str]],
                      body: bytes) -> None:
        pending = scope.get("state", {}).pop(STATE_KEY, None)
        if not isinstance(pending, Pending):
            return
        try:
            if not pending.stored and status < 500:
                await run_in_threadpool(self._store, pending, status, headers, body)
        finally:
            if pending.in_flight:
                with _in_flight_lock:
                    _in_flight.discard(pending.flight())

    def _store(self, pending: Pending, status: int, headers: list[list[str]],
               body: bytes) -> None:
        try:
            with self.database.session() as session:
                repo.add_completed(session, pending.tenant_id, pending.key,
                                   pending.fingerprint, pending.method, pending.path,
                                   status, headers, body)
        except IntegrityError:
            pass  # another worker stored its answer for this key first


__all__ = [
    "EXEMPT",
    "HEADER",
    "IdempotencyMiddleware",
    "IdempotentReplay",
    "LostRace",
    "TransactionalRoute",
    "idempotent",
    "lost_race_handler",
    "replay_handler",
    "request_fingerprint",
    "transactional",
]
