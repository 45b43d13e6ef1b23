"""Pydantic types shared by API models.

``ObjectId``: a path parameter naming a row (1 .. 2**63-1: larger numbers cannot be
stored by either database and would otherwise crash the driver).

``UtcDatetime``: SQLite gives back naive datetimes (stored as UTC); the API always answers
with an explicit offset (RFC 3339), so clients and the OpenAPI ``date-time`` format agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]

MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]

__all__ = ["MAX_ID", "ObjectId", "UtcDatetime", "as_utc"]
