"""Tenant scoping: the only way domain code should read or write a tenant's rows.

Every table holding one tenant's data uses ``TenantOwned`` (a ``tenant_id`` column).
:class:`TenantScope` binds a session to one tenant, so a query cannot forget the filter:

    scope = TenantScope(session, principal.tenant_id)
    case = scope.get(Case, case_id)            # NotFoundError if absent *or* another tenant's
    rows = scope.scalars(scope.select(Case).where(Case.status == "open"))
    scope.add(Case(...))                       # tenant_id is filled in

Another tenant's object is reported exactly like a missing one (404), so ids of other
tenants cannot be probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from childshield.errors import NotFoundError

T = TypeVar("T")


class TenantScope:
    """A database session restricted to one tenant's rows."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self, model: type[T]) -> Select[T]:
        """``select(model)`` already filtered to this tenant."""
        column = getattr(model, "tenant_id", None)
        if column is None:
            raise TypeError(f"{model.__name__} is not TenantOwned")
        return select(model).where(column == self.tenant_id)

    def get(self, model: type[T], ident: Any, *, what: str | None = None) -> T:
        """The row with primary key ``ident`` if this tenant owns it, else NotFoundError."""
        if isinstance(ident, int) and not 0 <= ident < 2**63:  # not storable: cannot exist
            raise NotFoundError(f"{what or model.__name__.lower()} {ident} not found")
        obj = self.session.get(model, ident)
        if obj is None or getattr(obj, "tenant_id", None) != self.tenant_id:
            raise NotFoundError(f"{what or model.__name__.lower()} {ident} not found")
        return obj

    def scalars(self, statement: Select[T]) -> Sequence[T]:
        return self.session.scalars(statement).all()

    def add(self, obj: T) -> T:
        """Add ``obj`` to the session as this tenant's (sets or checks ``tenant_id``)."""
        current = getattr(obj, "tenant_id", None)
        if current is None:
            obj.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        elif current != self.tenant_id:
            raise ValueError("object belongs to another tenant")
        self.session.add(obj)
        return obj


__all__ = ["TenantScope"]
