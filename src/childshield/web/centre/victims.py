"""The victims' public page at /centre/victims/ (Arts. 20-21).

PLACEHOLDER, to be built by the EU Centre work: in-browser hashing (files never leave the
device), submission of hashes and a contact route. Public: no login.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from childshield.web.templating import render

PREFIX = "/victims"
router = APIRouter(include_in_schema=False)


@router.get("/")
def victims_page(request: Request) -> HTMLResponse:
    return render(request, "victims.html")
