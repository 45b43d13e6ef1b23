"""ASGI middleware: request ids and security headers, and the request body limit."""

from __future__ import annotations

import json
import logging
import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from childshield.errors import ChildshieldError, MalformedRequestError, PayloadTooLargeError

log = logging.getLogger("childshield.api")

CONSOLE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


async def send_problem(
    send: Send,
    error: ChildshieldError,
    instance: str,
    *,
    close: bool = False,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a problem+json response straight from middleware (before any route ran)."""
    from childshield.api.problems import PROBLEM_JSON, problem_body

    body = problem_body(error, instance)
    if not error.safe:
        body.update(status=500, type=ChildshieldError().type_uri, title=ChildshieldError.title)
    data = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(data)).encode()),
    ]
    if close:  # the unread body stays on the connection: do not reuse it
        headers.append((b"connection", b"close"))
    headers.extend(extra_headers or [])
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": data})


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``, kept if the client sent a sane one)
    and sets security headers; console and victims pages also get a strict CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() \
            and incoming.replace("-", "").isalnum() else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope.get("path", "")
        html_area = "/console/" in path or path.startswith("/centre/victims")

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if "/v1/" in path or html_area:
                    headers.setdefault("Cache-Control", "no-store")
                if html_area:
                    headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Answer here rather than in Starlette's ServerErrorMiddleware, so the 500
            # carries the request id the log line names.
            log.exception("internal error on %s %s (request %s)", scope.get("method"), path,
                          request_id)
            if not started:
                await send_problem(send_with_headers, ChildshieldError(), path)


class CredentialsFirstMiddleware:
    """401 for API requests that carry no credentials at all, before the body is read.

    Without this, FastAPI parses and validates the body before the auth dependency runs,
    so an anonymous client could make the server read a large upload or learn the schema
    from validation errors. Requests with credentials go on (the dependency checks them);
    ``public`` routes (``x-public`` in OpenAPI) are left alone.
    """

    def __init__(self, app: ASGIApp, public: list[tuple[str, re.Pattern[str]]],
                 prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.public = public
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        has_credentials = b"authorization" in headers or b"cs_session=" in headers.get(
            b"cookie", b"")
        method = scope.get("method", "GET")
        if has_credentials or any(
            (m == method or (m == "GET" and method == "HEAD")) and rx.fullmatch(path)
            for m, rx in self.public
        ):
            await self.app(scope, receive, send)
            return
        from childshield.errors import AuthenticationError

        await send_problem(send, AuthenticationError(
            "authentication required: send an API key as 'Authorization: Bearer csk_...'"),
            path, close=True, extra_headers=[(b"www-authenticate", b"Bearer")])


def path_pattern(template: str) -> re.Pattern[str]:
    """``/provider/v1/keys/{key_id}`` -> a regex matching concrete paths."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join(
        "[^/]+" if p.startswith("{") and not p.endswith(":path}") else
        ".+" if p.startswith("{") else re.escape(p) for p in parts))


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 problem+json.

    A declared ``Content-Length`` over the limit is refused before anything is read. The
    body is also counted as it streams in (chunked uploads have no Content-Length, and a
    client may lie): once the count passes the limit the application sees a disconnect,
    whatever it was about to answer is dropped, and the client gets the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
                if length < 0:
                    raise ValueError
            except ValueError:
                await send_problem(send, MalformedRequestError("bad Content-Length header"),
                                   path, close=True)
                return
            if length > self.max_bytes:
                await send_problem(send, self._error(), path, close=True)
                return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await send_problem(send, self._error(), path, close=True)

    def _error(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(f"request body over the limit of {self.max_bytes} bytes")


__all__ = [
    "CONSOLE_CSP",
    "BodySizeLimitMiddleware",
    "CredentialsFirstMiddleware",
    "RequestContextMiddleware",
    "path_pattern",
    "send_problem",
]
