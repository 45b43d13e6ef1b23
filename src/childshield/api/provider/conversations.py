"""Chat messages to the solicitation scorer (role ``integration``).

``POST /provider/v1/conversations/messages`` takes newline-delimited JSON, one message a
line (``{"conversation", "author", "text", "time"}``, optional ``user`` and ``location``
objects for the case) and streams newline-delimited JSON back as it goes: one line per
alert (``{"line", "conversation", "alert", "case"}``: a ``solicitation`` case was opened)
and one per bad line (``{"line", "error"}``; the rest go on), then ``{"done": true,
"messages": N, "alerts": N, "errors": N}``. Conversations continue across requests (the
scorer keeps their state), so a service can send messages as they are written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from childshield.api.auth import require
from childshield.api.deps import get_database
from childshield.api.idempotency import idempotent
from childshield.api.provider._context import keyring, registry
from childshield.api.ratelimit import key_limit
from childshield.auth.principal import Principal
from childshield.crypto.keyring import EvidenceKeyring
from childshield.errors import ChildshieldError, InputError
from childshield.provider.conversations import BankPatterns, ConversationHub

router = APIRouter(prefix="/conversations", tags=["conversations"], dependencies=[key_limit])
MAX_LINES = 100_000
NDJSON = "application/x-ndjson"


def hub(request: Request, ring: EvidenceKeyring | None = Depends(keyring)) -> ConversationHub:
    value = registry(request, "provider_conversations", lambda: ConversationHub(
        ring, patterns=BankPatterns(get_database(request))))
    assert isinstance(value, ConversationHub)
    return value


@router.post(
    "/messages", summary="Score chat messages; alerts stream back",
    dependencies=[idempotent], response_class=StreamingResponse,
    openapi_extra={"requestBody": {"required": True, "content": {NDJSON: {"schema": {
        "type": "string", "description": "One JSON message a line"}}}}},
    responses={200: {"content": {NDJSON: {}}}},
)
async def messages(
    request: Request,
    caller: Principal = require("integration"),
    conversations: ConversationHub = Depends(hub),
) -> StreamingResponse:
    body = await request.body()
    lines = body.splitlines()
    if len(lines) > MAX_LINES:
        raise InputError(f"at most {MAX_LINES} messages a request")
    database = get_database(request)

    def run() -> Iterator[bytes]:
        counts = {"messages": 0, "alerts": 0, "errors": 0}
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            out: dict[str, Any] | None
            try:
                line = json.loads(raw)
                if not isinstance(line, dict):
                    raise InputError("not a JSON object")
                counts["messages"] += 1
                out = conversations.feed(database.session, caller, line)
            except (ValueError, ChildshieldError) as exc:
                message = exc.message if isinstance(exc, ChildshieldError) else \
                    f"not JSON: {exc}"
                counts["errors"] += 1
                out = {"error": message}
            if out is not None:
                if "alert" in out:
                    counts["alerts"] += 1
                yield (json.dumps({"line": number, **out}) + "\n").encode()
        yield (json.dumps({"done": True, **counts}) + "\n").encode()

    return StreamingResponse(run(), media_type=NDJSON)
