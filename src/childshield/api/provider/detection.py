"""Detection API (role ``integration``): check content or signals; a match opens a case.

* ``POST /provider/v1/detection/content``: multipart upload, part ``file`` (the bytes of an
  image or video) and optional part ``metadata`` (JSON: ``external_id``, ``user``,
  ``location``, ``note``, ``urgent``, ``keep_content``).
* ``POST /provider/v1/detection/signals``: JSON with ``md5``, ``sha256``, ``pdq``
  (+ ``quality``) and/or ``vpdq`` frames.
* ``GET /provider/v1/detection/lookup?pdq=...&quality=...`` (or ``md5``/``sha256``): a
  read-only lookup that opens no case (for a service that checks before it accepts an
  upload and sends the content once it decides to keep it). Audited when it matches.

The answer lists the matches (DESIGN.md's ``match`` entries), classifier scores, and the
case opened (``case.created`` false when the item already had one). Bad files get 413
(too large, decompression bomb), 415 (not a media format) or 422 (corrupt) problem+json.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from childshield.api.auth import require
from childshield.api.deps import DbSession
from childshield.api.idempotency import idempotent
from childshield.api.provider._context import shared_detector
from childshield.api.ratelimit import key_limit
from childshield.auth.principal import Principal
from childshield.errors import InputError, MalformedRequestError, PayloadTooLargeError
from childshield.provider.detection import Detector, ItemMeta

router = APIRouter(prefix="/detection", tags=["detection"], dependencies=[key_limit])

MAX_UPLOAD_BYTES = 256 * 1024**2


class ItemContext(BaseModel):
    external_id: str | None = Field(None, max_length=200,
                                    description="Your id for the item; one case per id.")
    user: dict[str, Any] | None = Field(None, description="The uploading user: id, screen_name")
    location: dict[str, Any] | None = Field(None, description="ip, port, time, country")
    note: str | None = Field(None, max_length=2000)
    urgent: bool = Field(False, description="Imminent risk to a child: served first.")
    keep_content: bool = Field(True, description="Keep the content as encrypted evidence "
                               "if a case is opened.")

    def meta(self) -> ItemMeta:
        context = {k: v for k, v in (("user", self.user), ("location", self.location),
                                     ("note", self.note)) if v}
        if len(json.dumps(context, default=str)) > 20_000:
            raise InputError("metadata: user, location and note together over 20000 bytes")
        return ItemMeta(self.external_id, context, self.urgent, self.keep_content)


class VpdqFrame(BaseModel):
    frame: int = Field(ge=0)
    time: float = Field(ge=0)
    pdq: str = Field(min_length=64, max_length=64)
    quality: int = Field(100, ge=0, le=100)


class SignalsIn(ItemContext):
    md5: str | None = Field(None, max_length=64)
    sha256: str | None = Field(None, max_length=128)
    pdq: str | None = Field(None, max_length=128)
    quality: int | None = Field(None, ge=0, le=100)
    vpdq: list[VpdqFrame] | None = Field(None, max_length=100_000)


UPLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "The image or video"},
        "metadata": {"type": "string", "description": "JSON object: external_id, user, "
                     "location, note, urgent, keep_content (see ItemContext)"},
    },
}


@router.post("/content", summary="Check an uploaded image or video", dependencies=[idempotent],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": UPLOAD_SCHEMA}}}})
async def check_content(
    request: Request,
    session: DbSession,
    caller: Principal = require("integration"),
    det: Detector = Depends(shared_detector),
) -> dict[str, Any]:
    # The form is parsed here, after the idempotency check has read (and cached) the body.
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception as exc:  # malformed multipart
        raise MalformedRequestError(f"not a multipart/form-data upload: {exc}") from None
    file, metadata = form.get("file"), form.get("metadata")
    if not isinstance(file, UploadFile):
        raise InputError("the upload needs a 'file' part with the image or video")
    if metadata is not None and not isinstance(metadata, str):
        raise InputError("'metadata' must be a text part holding a JSON object")
    try:
        context = ItemContext.model_validate_json(metadata) if metadata else ItemContext()
    except ValueError as exc:
        raise InputError(f"metadata: not a valid JSON object of the documented fields "
                         f"({str(exc).splitlines()[0]})") from None
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
    return await run_in_threadpool(det.check_upload, session, caller, data,
                                   filename=file.filename, meta=context.meta())


@router.get("/lookup", summary="Look up a hash (read-only: no case is opened)")
def lookup(
    session: DbSession,
    pdq: str | None = Query(None, max_length=128),
    quality: int | None = Query(None, ge=0, le=100),
    md5: str | None = Query(None, max_length=64),
    sha256: str | None = Query(None, max_length=128),
    caller: Principal = require("integration"),
    det: Detector = Depends(shared_detector),
) -> dict[str, Any]:
    return det.lookup(session, caller, {"pdq": pdq, "md5": md5, "sha256": sha256},
                      quality=quality)


@router.post("/signals", summary="Check precomputed signals", dependencies=[idempotent])
def check_signals(
    body: SignalsIn,
    session: DbSession,
    caller: Principal = require("integration"),
    det: Detector = Depends(shared_detector),
) -> dict[str, Any]:
    signals: dict[str, Any] = body.model_dump(include={"md5", "sha256", "pdq", "quality"})
    if body.vpdq:
        signals["vpdq"] = [f.model_dump() for f in body.vpdq]
    return det.check_signals(session, caller, signals, meta=body.meta())
