"""Each provider tenant signs its reports with its own Ed25519 key.

A tenant's reporting profile names the environment variable that holds its key
(``signing_key_env``; secrets come from the environment only, never the database). A
profile without one signs with the deployment's ``CHILDSHIELD_SIGNING_KEY`` (a
deployment that serves one tenant). The centre trusts the public keys registered for
each provider (``childshield centre provider add-key``), so one tenant's key never
vouches for another tenant's reports.

Rotation (``childshield provider signing-key rotate TENANT --env VAR``): a new key is
made and printed once, the profile is switched to ``VAR``; put the key in the service's
environment and register the public half at the centre. Reports already signed wait in
the outbox with their bytes, so keep the old public key registered at the centre until
they are delivered (``childshield provider outbox``). Reports confirmed before ``VAR`` is
set wait (status ``waiting``) and are signed by the delivery worker once it is there.
"""

from __future__ import annotations

import os
import re
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.crypto import configured
from childshield.crypto.signing import SigningKey
from childshield.errors import ConfigurationError, InputError, NotFoundError
from childshield.store import provider_reports as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import ProviderReportProfile

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")


def check_env_name(name: str) -> str:
    if not ENV_NAME.match(name):
        raise InputError(f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
    return name


def tenant_signing_key(profile: ProviderReportProfile) -> SigningKey:
    """The key that signs this tenant's reports (ConfigurationError when it is not set)."""
    if not profile.signing_key_env:
        return configured.signing_key()
    secret = os.environ.get(profile.signing_key_env)
    if not secret:
        raise ConfigurationError(
            f"{profile.signing_key_env} is not set (this tenant's report-signing key; make "
            "one with `childshield provider signing-key rotate`)")
    return SigningKey.from_base64(secret, profile.signing_key_env)


def _profile(session: Session, tenant_id: int) -> ProviderReportProfile:
    profile = repo.profile(session, tenant_id)
    if profile is None:
        raise NotFoundError("this tenant has no reporting profile; set one with "
                            "`childshield provider profile set`")
    return profile


def key_view(profile: ProviderReportProfile) -> dict[str, Any]:
    """The public half of a tenant's key and where it comes from (never the secret)."""
    key = tenant_signing_key(profile)
    return {"provider_id": profile.provider_id,
            "env": profile.signing_key_env or "CHILDSHIELD_SIGNING_KEY",
            "scope": "tenant" if profile.signing_key_env else "deployment",
            "kid": key.kid, "public_key": key.public_base64}


def show_key(session: Session, tenant_id: int) -> dict[str, Any]:
    return key_view(_profile(session, tenant_id))


def rotate_key(session: Session, tenant_id: int, env: str, *, actor: str
               ) -> tuple[SigningKey, dict[str, Any]]:
    """Make a new key for the tenant and switch its profile to ``env``; the caller shows
    the private key once (it is stored nowhere)."""
    profile = _profile(session, tenant_id)
    check_env_name(env)
    key = SigningKey.generate()
    previous = profile.signing_key_env
    profile.signing_key_env, profile.updated_at = env, utcnow()
    audit.record(session, actor, "report_profile.signing_key_rotate", "tenant", tenant_id,
                 tenant_id=tenant_id, details={"kid": key.kid, "env": env,
                                               "previous_env": previous})
    return key, {"provider_id": profile.provider_id, "env": env, "scope": "tenant",
                 "kid": key.kid, "public_key": key.public_base64}


__all__ = ["check_env_name", "key_view", "rotate_key", "show_key", "tenant_signing_key"]
