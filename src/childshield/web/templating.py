"""Rendering console pages: one Jinja2 environment, a navigation registry.

    from childshield.web.templating import render, register_nav
    register_nav("provider", "Review", "/provider/console/review/", roles={"reviewer"})

    @router.get("/review/")
    def queue(request: Request, caller: Principal = require("reviewer")) -> HTMLResponse:
        return render(request, "provider/queue.html", {"cases": ...}, principal=caller)

Templates extend ``base.html``; autoescaping is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from childshield import __version__
from childshield.auth.principal import Principal

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[str] | None


_NAV: dict[str, list[NavItem]] = {"provider": [], "centre": []}


def register_nav(side: str, label: str, path: str, roles: set[str] | None = None) -> None:
    """Add a link to a console's navigation (shown to holders of ``roles``, or everyone)."""
    items = _NAV[side]
    if all(item.path != path for item in items):
        items.append(NavItem(label, path, frozenset(roles) if roles else None))


def nav_for(side: str, principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [i for i in _NAV[side] if i.roles is None or principal.has_any(set(i.roles))]


def side_of(request: Request) -> str:
    return request.url.path.strip("/").split("/", 1)[0]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    side = side_of(request)
    base = {
        "side": side,
        "console": f"/{side}/console",
        "static": f"/{side}/console/static",
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "nav": nav_for(side, principal),
        "version": __version__,
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)


register_nav("provider", "Home", "/provider/console/")
register_nav("centre", "Home", "/centre/console/")
register_nav("provider", "UI kit", "/provider/console/ui-kit")
register_nav("centre", "UI kit", "/centre/console/ui-kit")

__all__ = ["TEMPLATES_DIR", "NavItem", "nav_for", "register_nav", "render", "templates"]
