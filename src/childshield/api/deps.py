"""Request-scoped dependencies: the database, a unit of work, settings, tenant scope.

    @router.get("/cases/{case_id}")
    def get_case(case_id: int, scope: TenantScope = tenant_scope,
                 caller: Principal = require("reviewer")) -> CaseOut:
        case = scope.get(Case, case_id)     # 404 for another tenant's case
        audit.record(scope.session, caller, "case.view", "case", case.id)
        ...

(``require`` and ``tenant_scope`` live in ``childshield.api.auth``.) ``db_session``
commits when the endpoint returns and rolls back when it raises, before the
response is sent (``scope="function"``), so a client never sees success for a write that
did not commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from childshield.settings import Settings
from childshield.store.db import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _db_session(request: Request) -> Iterator[Session]:
    with get_database(request).session() as session:
        yield session


db_session = Depends(_db_session, scope="function")
"""A SQLAlchemy session for this request: commit on success, rollback on error."""

DbSession = Annotated[Session, db_session]


__all__ = ["DbSession", "db_session", "get_app_settings", "get_database"]
