"""Authentication domain: tenants, roles, console users, API keys and sessions.

No web code here: the API (``childshield.api.auth``), the consoles and the CLI call
:mod:`childshield.auth.service`. See docs/service.md for the model.
"""

from childshield.auth.principal import Principal, system_principal
from childshield.auth.roles import ROLES, Side, resolve_qualified, validate_roles

__all__ = ["ROLES", "Principal", "Side", "resolve_qualified", "system_principal",
           "validate_roles"]
