"""The victims' public page at /centre/victims/ (Arts. 20-21).

Public: no login. The page (``templates/victims.html``, ``static/victims.js``) hashes the
person's pictures and videos in their browser with ``static/pdq.js`` (PDQ, a frame a second
for videos) and Web Crypto (SHA-256); the files never leave the device. Only the hashes, a
reference code made in the browser and an optional e-mail address are sent, to
``POST /centre/v1/victims/requests`` (see ``childshield.api.centre.victims``).
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
