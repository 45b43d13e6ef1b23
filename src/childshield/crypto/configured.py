"""The keys this deployment is configured with (from ``CHILDSHIELD_*`` settings).

Each function raises ConfigurationError naming the variable when it is missing or bad, so
services can call them at start-up and fail with a clear message.
"""

from __future__ import annotations

from childshield.crypto.keyring import EvidenceKeyring
from childshield.crypto.sealing import SealingKey, SealingPublicKey
from childshield.crypto.signing import SigningKey, TrustedKey
from childshield.errors import ConfigurationError
from childshield.settings import get_settings


def _missing(variable: str, hint: str) -> ConfigurationError:
    return ConfigurationError(f"{variable} is not set; {hint}")


def signing_key() -> SigningKey:
    """This deployment's Ed25519 key (CHILDSHIELD_SIGNING_KEY)."""
    secret = get_settings().signing_key
    if secret is None:
        raise _missing(
            "CHILDSHIELD_SIGNING_KEY",
            "generate one with `childshield keys generate --kind signing`",
        )
    return SigningKey.from_base64(secret.get_secret_value(), "CHILDSHIELD_SIGNING_KEY")


def centre_sealing_key() -> SealingKey:
    """The centre's X25519 private key (CHILDSHIELD_CENTRE_PRIVATE_KEY)."""
    secret = get_settings().centre_private_key
    if secret is None:
        raise _missing(
            "CHILDSHIELD_CENTRE_PRIVATE_KEY",
            "generate one with `childshield keys generate --kind sealing`",
        )
    return SealingKey.from_base64(secret.get_secret_value(), "CHILDSHIELD_CENTRE_PRIVATE_KEY")


def centre_public_key() -> SealingPublicKey:
    """The centre's X25519 public key a provider seals for (CHILDSHIELD_CENTRE_PUBLIC_KEY)."""
    text = get_settings().centre_public_key
    if not text:
        raise _missing("CHILDSHIELD_CENTRE_PUBLIC_KEY", "ask the centre for its sealing key")
    return SealingPublicKey.from_base64(text, "CHILDSHIELD_CENTRE_PUBLIC_KEY")


def centre_signing_trust(owner: str) -> TrustedKey:
    """The centre's Ed25519 public key as a trusted key owned by ``owner`` (its id)."""
    text = get_settings().centre_signing_public_key
    if not text:
        raise _missing("CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY", "ask the centre for its key")
    try:
        return TrustedKey.from_base64(text, owner=owner)
    except ValueError as exc:
        raise ConfigurationError(f"CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY: {exc}") from exc


def evidence_keyring() -> EvidenceKeyring:
    """The evidence keys (CHILDSHIELD_EVIDENCE_KEYS)."""
    return EvidenceKeyring.from_settings()


__all__ = [
    "centre_public_key",
    "centre_sealing_key",
    "centre_signing_trust",
    "evidence_keyring",
    "signing_key",
]
