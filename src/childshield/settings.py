"""All settings in one typed object, read from ``CHILDSHIELD_*`` environment variables.

Every field is documented in docs/settings.md; a test fails when one is not. Secrets
(keys, passwords) come from the environment only, never from files in the repository.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("childshield", appauthor=False))


class Settings(BaseSettings):
    """childshield settings. Environment variable = ``CHILDSHIELD_`` + field name, upper case."""

    model_config = SettingsConfigDict(env_prefix="CHILDSHIELD_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder for the default SQLite database, index snapshots and scan state.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/db. "
            "Default: a SQLite file childshield.db under data_dir."
        ),
    )
    max_image_pixels: int = Field(
        default=100_000_000,
        description="Largest image (width x height) that is decoded; larger ones are refused "
        "as possible decompression bombs.",
    )
    max_file_bytes: int = Field(
        default=2 * 1024**3,
        description="Largest file that is hashed, in bytes.",
    )

    api_max_body_bytes: int = Field(
        default=64 * 1024**2,
        description="Largest HTTP request body the service accepts, in bytes (counted as it "
        "streams in); larger ones get 413. Routes that take uploads may set their own limit.",
    )
    api_key_cache_seconds: float = Field(10.0, ge=0, description=(
        "Seconds a verified API key is cached per process (0: off); see docs/settings.md."))
    idempotency_retention_hours: int = Field(72, ge=1, description=(
        "Hours stored Idempotency-Key answers are kept before `provider jobs` purges them."))
    jobs_interval_s: float = Field(30.0, ge=0, description=(
        "Seconds between the rounds of the role's periodic jobs that `serve` runs in the "
        "background (centre: referral delivery; provider: the `provider jobs` round); "
        "0: off (run `centre deliver` / `provider jobs` yourself)."))
    rate_limit_public_per_minute: int = Field(30, ge=0, description=(
        "Requests a minute per client IP on unauthenticated endpoints (login); 0: no limit."))
    rate_limit_key_per_second: float = Field(200.0, ge=0, description=(
        "Sustained requests a second per API key on the detection API; 0: no limit."))
    rate_limit_key_burst: int = Field(400, ge=1, description=(
        "Requests per API key allowed at once above rate_limit_key_per_second."))
    session_ttl_minutes: int = Field(
        default=480,
        description="How long a console login session lasts, in minutes.",
    )
    session_cookie_secure: bool | None = Field(
        default=None,
        description="Mark session cookies Secure. Default (unset): Secure when the request "
        "arrived over HTTPS. Set true behind a TLS-terminating proxy.",
    )
    # --- keys (secrets from the environment only; `childshield keys generate` makes them) ---
    evidence_keys: SecretStr | None = Field(
        default=None,
        description="Evidence encryption keys, 'kid:base64key,...' (32-byte AES-256-GCM keys, "
        "oldest first; the last one encrypts new evidence, the others still decrypt).",
    )
    signing_key: SecretStr | None = Field(
        default=None,
        description="This deployment's Ed25519 private key (base64 of 32 raw bytes): signs "
        "reports (provider) and indicator lists and referrals (centre).",
    )
    centre_private_key: SecretStr | None = Field(
        default=None,
        description="The centre's X25519 private key (base64 of 32 raw bytes) that opens "
        "content providers sealed for it.",
    )
    centre_public_key: str | None = Field(
        default=None,
        description="The centre's X25519 public key (base64): providers seal report content "
        "for it.",
    )
    centre_signing_public_key: str | None = Field(
        default=None,
        description="The centre's Ed25519 public key (base64): providers verify indicator "
        "lists and centre answers with it.",
    )
    ncmec_environment: Literal["sandbox", "production", "test"] = Field(
        default="sandbox",
        description="Which NCMEC CyberTipline API reports go to: 'sandbox' "
        "(exttest.cybertip.org), 'production' (report.cybertip.org), or 'test' (a local fake "
        "at ncmec_base_url; plain HTTP allowed).",
    )
    ncmec_base_url: str | None = Field(
        default=None,
        description="Override of the CyberTipline API base URL (sandbox/test only; "
        "production always uses https://report.cybertip.org/ispws).",
    )
    ncmec_username: str | None = Field(
        default=None, description="CyberTipline API user name (issued by NCMEC)."
    )
    ncmec_password: SecretStr | None = Field(
        default=None, description="CyberTipline API password (issued by NCMEC)."
    )

    # --- EU Centre ---
    centre_max_report_bytes: int = Field(
        default=32 * 1024**2,
        description="Largest signed report the centre's intake accepts, in bytes (413 above).",
    )
    centre_bank: str = Field(
        default="centre-indicators",
        description="The bank holding the centre's indicators that known-material reports "
        "are pre-assessed against.",
    )
    centre_referral_dir: Path | None = Field(
        default=None,
        description="Folder where the file delivery adapter writes referral packages for "
        "recipients without an HTTPS endpoint. Default: <data_dir>/referrals.",
    )
    centre_authority_directory: Path | None = Field(
        default=None,
        description="JSON file listing the competent national authorities (id, name, country, "
        "endpoint). Default: one placeholder authority per Member State, file delivery.",
    )
    centre_referral_allow_http: bool = Field(
        default=False,
        description="Allow plain-HTTP referral endpoints (tests and sandboxes only; "
        "production delivery is HTTPS only).",
    )
    centre_smtp_host: str | None = Field(
        default=None,
        description="SMTP server for e-mails to people who asked the victims' page; none: "
        "no e-mail is sent (the default).",
    )
    centre_smtp_port: int = Field(default=587, ge=1, le=65535,
                                  description="Port of the SMTP server.")
    centre_smtp_from: str = Field(default="no-reply@eu-centre.invalid",
                                  description="Sender address of those e-mails.")
    centre_smtp_user: str | None = Field(default=None, description="SMTP user name, if any.")
    centre_smtp_password: SecretStr | None = Field(default=None,
                                                   description="SMTP password, if any.")
    centre_smtp_allow_plain: bool = Field(
        default=False,
        description="Send without STARTTLS (a test or sandbox server on loopback only; "
        "otherwise the connection must be upgraded to TLS or nothing is sent).",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'childshield.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()


__all__ = ["Settings", "default_data_dir", "get_settings"]
