"""Engine, sessions and migrations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from childshield.errors import ConfigurationError
from childshield.settings import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FINGERPRINT_TABLE = "childshield_schema_fingerprint"


def _normalise_url(url: str) -> str:
    # Plain postgresql:// would pick psycopg2; we ship psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _version_locations() -> list[str]:
    versions = MIGRATIONS_DIR / "versions"
    return sorted(str(p) for p in versions.iterdir() if p.is_dir() and not p.name.startswith("_"))


class Database:
    """One database: an engine, a session factory and its migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = _normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except Exception as exc:  # unknown dialect, missing driver
            raise ConfigurationError(f"cannot open database {self.url!r}: {exc}") from exc
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def alembic_config(self) -> Config:
        from alembic.config import Config


        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("version_locations", " ".join(_version_locations()))
        cfg.set_main_option("path_separator", "space")
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["engine"] = self.engine
        return cfg

    def _recorded_fingerprint(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                row = connection.execute(
                    text(f"SELECT fingerprint FROM {_FINGERPRINT_TABLE}")
                ).first()
                return str(row[0]) if row else None
        except Exception:  # no such table yet
            return None

    def _record_fingerprint(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text(f"CREATE TABLE IF NOT EXISTS {_FINGERPRINT_TABLE} (fingerprint VARCHAR(64))")
            )
            connection.execute(text(f"DELETE FROM {_FINGERPRINT_TABLE}"))
            connection.execute(
                text(f"INSERT INTO {_FINGERPRINT_TABLE} (fingerprint) VALUES (:f)"),
                {"f": schema_fingerprint()},
            )

    def migrate(self) -> None:
        """Bring the schema up to date (all domain branches).

        Every CLI process opens the database, and importing Alembic costs about a third of a
        second: when the database was last migrated with exactly these migration files
        (recorded as a fingerprint), Alembic is not imported at all.
        """
        if self._recorded_fingerprint() == schema_fingerprint():
            return
        from alembic import command

        command.upgrade(self.alembic_config(), "heads")
        self._record_fingerprint()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


@lru_cache(maxsize=1)
def schema_fingerprint() -> str:
    """SHA-256 over every migration file (path and text): changes whenever a migration is
    added or edited."""
    digest = hashlib.sha256()
    for location in _version_locations():
        for path in sorted(Path(location).glob("*.py")):
            digest.update(f"{Path(location).name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open (and by default migrate) the database at ``url`` or the configured one."""
    db = Database(url or get_settings().resolved_database_url())
    if migrate:
        db.migrate()
    return db


__all__ = ["MIGRATIONS_DIR", "Database", "open_database", "schema_fingerprint"]
