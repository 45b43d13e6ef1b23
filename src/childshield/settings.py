"""All settings in one typed object, read from ``CHILDSHIELD_*`` environment variables.

Every field is documented in docs/settings.md; a test fails when one is not. Secrets
(keys, passwords) come from the environment only, never from files in the repository.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
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
    session_ttl_minutes: int = Field(
        default=480,
        description="How long a console login session lasts, in minutes.",
    )
    session_cookie_secure: bool | None = Field(
        default=None,
        description="Mark session cookies Secure. Default (unset): Secure when the request "
        "arrived over HTTPS. Set true behind a TLS-terminating proxy.",
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
