"""Engine, sessions and migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from childshield.errors import ConfigurationError
from childshield.settings import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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

    def current_revisions(self) -> set[str]:
        """The revisions recorded in alembic_version (empty for a new database)."""
        from sqlalchemy import text

        try:
            with self.engine.connect() as connection:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                return {str(row[0]) for row in rows}
        except Exception:
            return set()

    def migrate(self) -> None:
        """Bring the schema up to date (all domain branches).

        Every CLI process opens the database, and importing Alembic costs about a third of a
        second: when the database already stands at every head, Alembic is not imported.
        """
        if self.current_revisions() == expected_heads():
            return
        from alembic import command

        command.upgrade(self.alembic_config(), "heads")

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


_ASSIGNMENT = re.compile(r"^(revision|down_revision|depends_on)\s*(?::[^=]*)?=\s*(.*)$", re.M)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@lru_cache(maxsize=1)
def expected_heads() -> frozenset[str]:
    """Head revisions of all migration branches, read from the version files as text (the
    same files Alembic reads), without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for location in _version_locations():
        for path in Path(location).glob("*.py"):
            for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8")):
                found = set(_QUOTED.findall(value))
                (revisions if name == "revision" else parents).update(found)
    return frozenset(revisions - parents)


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


__all__ = ["MIGRATIONS_DIR", "Database", "expected_heads", "open_database"]
