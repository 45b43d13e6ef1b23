"""Who is calling: the authenticated principal handed to domain code and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from childshield.auth.roles import Side


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user (console session) or API key, within one tenant."""

    kind: Literal["user", "key", "system"]
    id: int
    tenant_id: int
    tenant_name: str
    side: Side
    roles: frozenset[str]
    label: str
    """E-mail of a user, key prefix of an API key; shown in logs and the audit trail."""
    session_id: int | None = None
    csrf_token: str | None = None
    """Set for console sessions: unsafe requests must echo it (form field or header)."""

    @property
    def actor(self) -> str:
        """How the audit log names this principal, e.g. ``user:3`` or ``key:csk_1a2b``."""
        if self.kind == "key":
            return f"key:{self.label}"
        return f"{self.kind}:{self.id}"

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.roles & roles)


def system_principal(tenant_id: int, tenant_name: str, side: Side, label: str) -> Principal:
    """A principal for the command line and background jobs acting on a tenant."""
    return Principal("system", 0, tenant_id, tenant_name, side, frozenset(), label)


__all__ = ["Principal", "system_principal"]
