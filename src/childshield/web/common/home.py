"""Console home page and the UI kit (the components later console pages use)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from childshield.api.auth import authenticated
from childshield.auth.principal import Principal
from childshield.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, caller: Principal = authenticated) -> HTMLResponse:
    return render(request, "home.html", principal=caller)


@router.get("/ui-kit")
def ui_kit(request: Request, caller: Principal = authenticated) -> HTMLResponse:
    return render(request, "ui_kit.html", principal=caller)
