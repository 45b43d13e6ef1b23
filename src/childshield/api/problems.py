"""Every error as RFC 9457 problem+json, with the stable type URIs of ``childshield.errors``.

Shape (pinned by tests/api/test_problem_shape.py)::

    {"type": "https://childshield.dev/problems/not-found", "title": "Not found",
     "status": 404, "detail": "case 7 not found", "instance": "/provider/v1/cases/7"}

Validation errors add ``"errors": [{"loc": [...], "msg": ..., "type": ...}]`` (never the
rejected input: it may be a hash). Only errors with ``safe = True`` show their message;
anything else becomes a 500 ``internal-error`` with no detail, and is logged with the
request id (``X-Request-ID``) so an operator can find it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from childshield.errors import (
    AuthenticationError,
    ChildshieldError,
    InputError,
    InvalidRequestError,
    MalformedRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedMediaError,
)

log = logging.getLogger("childshield.api")

PROBLEM_JSON = "application/problem+json"

_BY_STATUS: dict[int, type[ChildshieldError]] = {
    400: MalformedRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaError,
    422: InvalidRequestError,
}


def problem_body(error: ChildshieldError, instance: str) -> dict[str, Any]:
    """The problem document for ``error`` (its message only when the error is safe)."""
    body: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.message if error.safe else "",
        "instance": instance,
    }
    if error.safe and isinstance(error, InvalidRequestError) and error.errors:
        body["errors"] = error.errors
    return body


def problem_response(
    error: ChildshieldError, instance: str, headers: dict[str, str] | None = None
) -> Response:
    body = problem_body(error, instance)
    if not error.safe:
        body["status"] = 500
        body["type"] = ChildshieldError().type_uri
        body["title"] = ChildshieldError.title
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status_code=body["status"],
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _instance(request: Request) -> str:
    return request.url.path


def _wants_login_page(request: Request) -> bool:
    path = request.url.path
    return (
        request.method == "GET"
        and "/console/" in path
        and not path.rstrip("/").endswith("/login")
        and "text/html" in request.headers.get("accept", "")
    )


async def _childshield_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChildshieldError)
    if isinstance(exc, AuthenticationError) and _wants_login_page(request):
        side = request.url.path.strip("/").split("/", 1)[0]
        from urllib.parse import quote

        return RedirectResponse(
            f"/{side}/console/login?next={quote(request.url.path)}", status_code=303
        )
    if not exc.safe:
        log.error("unsafe error on %s %s (request %s): %r", request.method,
                  request.url.path, getattr(request.state, "request_id", "-"), exc)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationError) else {}
    if exc.extra.get("retry_after") is not None:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return problem_response(exc, _instance(request), headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = _BY_STATUS.get(exc.status_code)
    if kind is None:
        error: ChildshieldError = InputError(str(exc.detail)) if exc.status_code < 500 \
            else ChildshieldError()
        if exc.status_code < 500:
            error.status = exc.status_code
    else:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        defaults = {404: "no such resource", 405: f"{request.method} is not allowed here",
                    413: "request body too large"}
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the request body could not be parsed"
        error = kind(defaults.get(exc.status_code, detail) if kind in (
            NotFoundError, MethodNotAllowedError, PayloadTooLargeError) else detail)
    headers = dict(exc.headers or {})
    return problem_response(error, _instance(request), headers or None)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    content_type = request.headers.get("content-type", "")
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (first.get("ctx") or {}).get("error", "invalid JSON")
        return problem_response(
            MalformedRequestError(f"malformed JSON in the request body: {reason}"),
            _instance(request),
        )
    body_errors = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
    if body_errors and content_type and not _is_json(content_type) \
            and "form" not in content_type:
        return problem_response(
            UnsupportedMediaError(
                f"unsupported Content-Type {content_type.split(';')[0]!r}; "
                "send application/json"
            ),
            _instance(request),
        )
    cleaned: list[dict[str, object]] = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in errors
    ]
    summary = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:5]
    )
    return problem_response(
        InvalidRequestError(f"request validation failed: {summary}", errors=cleaned),
        _instance(request),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception(
        "internal error on %s %s (request %s)",
        request.method, request.url.path, getattr(request.state, "request_id", "-"),
        exc_info=exc,
    )
    return problem_response(ChildshieldError(), _instance(request))


async def _junk_reached_the_driver(request: Request, exc: Exception) -> Response:
    """Client junk that no schema caught and a database driver or encoder refused: a
    number too large for a 64-bit column, text with unpaired surrogates. A 400, not a
    500 (the route should still validate its input; this is the safety net)."""
    log.warning("%s on %s %s (request %s): %s", type(exc).__name__, request.method,
                request.url.path, getattr(request.state, "request_id", "-"), exc)
    message = ("a number in the request is out of range" if isinstance(exc, OverflowError)
               else "text in the request is not valid Unicode")
    return problem_response(MalformedRequestError(message), _instance(request))


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(OverflowError, _junk_reached_the_driver)
    app.add_exception_handler(UnicodeEncodeError, _junk_reached_the_driver)
    app.add_exception_handler(ChildshieldError, _childshield_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["PROBLEM_JSON", "install", "problem_body", "problem_response"]
