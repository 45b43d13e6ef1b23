"""Demo data for a first start (``childshield serve --demo``): never for production.

Creates (once; a second run reuses them) a provider tenant ``demo-provider`` and a centre
tenant ``demo-centre``, one console user per role with a random password, and an
integration API key for the provider. Passwords and the key are returned so the command
can print them: every run sets new demo passwords and issues a new demo key, so what was
printed last always works.

Other parts add their demo data (a demo bank, demo cases...) by registering a seeder::

    from childshield.auth.demo import register_seeder
    register_seeder(lambda session, tenants: ...)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from childshield.auth import service
from childshield.auth.roles import ROLES, Side
from childshield.store import auth as repo
from childshield.store.models.auth import Tenant

DEMO_TENANTS = {Side.PROVIDER: "demo-provider", Side.CENTRE: "demo-centre"}
ACTOR = "demo-seed"

Seeder = Callable[[Session, dict[Side, Tenant]], None]
_SEEDERS: list[Seeder] = []
SEEDER_MODULES = ("childshield.provider.demo", "childshield.provider.demo_reporting")
"""Modules imported by :func:`seed_demo` so their ``register_seeder`` calls run."""


def register_seeder(seeder: Seeder) -> None:
    """Run ``seeder(session, tenants)`` after the demo tenants and users exist."""
    if seeder not in _SEEDERS:
        _SEEDERS.append(seeder)


@dataclass
class DemoCredentials:
    users: list[dict[str, str]] = field(default_factory=list)
    """``{"side", "tenant", "email", "role", "password"}``."""
    api_keys: list[dict[str, str]] = field(default_factory=list)


def seed_demo(session: Session, sides: list[Side] | None = None) -> DemoCredentials:
    creds = DemoCredentials()
    tenants: dict[Side, Tenant] = {}
    for side in sides or list(Side):
        name = DEMO_TENANTS[side]
        tenant = repo.tenant_by_name(session, name) or service.create_tenant(
            session, name, side, actor=ACTOR)
        tenants[side] = tenant
        for role in ROLES[side]:
            if role in ("integration", "provider"):
                continue  # machine roles: API keys, not console users
            email = f"{role}@{name}.example"
            password = "demo-" + secrets.token_urlsafe(9)
            existing = repo.user_by_email(session, email)
            if existing is not None:
                service.set_password(session, existing, password, actor=ACTOR)
            else:
                service.create_user(session, tenant, email, password, [role], actor=ACTOR)
            creds.users.append({"side": str(side), "tenant": name, "email": email,
                                "role": role, "password": password})
        key_role = "integration" if side is Side.PROVIDER else "provider"
        issued = service.create_api_key(session, tenant, [key_role], actor=ACTOR,
                                        label="demo key")
        creds.api_keys.append({"side": str(side), "tenant": name, "role": key_role,
                               "key": issued.secret})
    import importlib

    for module in SEEDER_MODULES:
        importlib.import_module(module)
    for seeder in _SEEDERS:
        seeder(session, tenants)
    return creds


__all__ = ["DEMO_TENANTS", "DemoCredentials", "register_seeder", "seed_demo"]
