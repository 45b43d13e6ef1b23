"""Console login and logout (server-side sessions; see childshield.auth.service).

The session cookie ``cs_session`` is HttpOnly, SameSite=Lax, path-scoped to the side
(``/provider/`` or ``/centre/``), Secure over HTTPS (or always, with
``CHILDSHIELD_SESSION_COOKIE_SECURE=true``). The login form itself is protected by a
double-submit CSRF cookie; forms inside the console post the session's CSRF token.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from childshield.api.auth import SESSION_COOKIE, authenticated
from childshield.api.deps import DbSession, get_app_settings
from childshield.api.ratelimit import public_limit
from childshield.auth import service
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.auth.secrets import new_token
from childshield.errors import AuthenticationError
from childshield.web.templating import render, side_of

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "cs_login_csrf"


def _secure(request: Request) -> bool:
    configured = get_app_settings(request).session_cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def _safe_next(side: str, target: str) -> str:
    home = f"/{side}/console/"
    if target.startswith(home) and "//" not in target and "\\" not in target \
            and "/login" not in target:
        return target
    return home


def _login_page(request: Request, *, next_: str, error: str | None = None,
                email: str = "", status_code: int = 200) -> HTMLResponse:
    side = side_of(request)
    token = new_token()
    response = render(request, "login.html",
                      {"login_csrf": token, "next": _safe_next(side, next_), "error": error,
                       "email": email}, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path=f"/{side}/console/", httponly=True,
                        samesite="strict", secure=_secure(request), max_age=3600)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, next_=next)


@router.post("/login", dependencies=[public_limit])
def login_submit(
    request: Request,
    session: DbSession,
    email: str = Form(max_length=320),
    password: str = Form(max_length=1024),
    csrf_token: str = Form(default="", max_length=100),
    next: str = Form(default="", max_length=2000),
) -> Response:
    side = side_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, next_=next, email=email, status_code=403,
                           error="The login form expired. Please try again.")
    ttl = timedelta(minutes=get_app_settings(request).session_ttl_minutes)
    try:
        result = service.login(session, email, password, Side(side), ttl=ttl)
    except AuthenticationError:
        return _login_page(request, next_=next, email=email, status_code=401,
                           error="Wrong e-mail or password. (After 10 failed attempts an "
                           "account is locked for 15 minutes.)")
    response = RedirectResponse(_safe_next(side, next), status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, path=f"/{side}/", httponly=True,
                        samesite="lax", secure=_secure(request),
                        max_age=int(ttl.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=f"/{side}/console/")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession,
           caller: Principal = authenticated) -> Response:
    side = side_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.logout(session, token)
    response = RedirectResponse(f"/{side}/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"/{side}/", httponly=True, samesite="lax")
    return response
