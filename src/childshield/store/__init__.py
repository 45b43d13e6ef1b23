"""Persistence: SQLAlchemy 2 models and Alembic migrations. Nothing outside store/ talks SQL.

SQLite (the default, one file) and PostgreSQL run the same code. Each domain keeps its
own migration branch under ``migrations/versions/<domain>/`` (branch label = domain), so
parts can grow their schema independently; ``Database.migrate()`` upgrades all heads.
"""

from childshield.store.db import Database, open_database

__all__ = ["Database", "open_database"]
