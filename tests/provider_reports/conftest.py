"""Fixtures: keys in the environment, a provider database, a centre on its own database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from childshield.api.testing import LiveServer
from childshield.settings import get_settings
from childshield.store.db import Database, open_database

from .harness import CENTRE_KEY_ENV, Keys, Provider, register_at_centre


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Keys:
    keys = Keys()
    for name, value in keys.provider_env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return keys


@pytest.fixture
def centre_db(tmp_path: Path) -> Iterator[Database]:
    """The centre's own database (a second SQLite file, whatever the provider runs on)."""
    db = open_database(f"sqlite:///{tmp_path / 'centre.db'}")
    yield db
    db.dispose()


@pytest.fixture
def centre(keys: Keys, centre_db: Database, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[LiveServer]:
    """The centre API over loopback HTTP, the provider registered, its key in the env."""
    server = LiveServer.start("centre", settings=keys.centre_settings(), database=centre_db)
    monkeypatch.setenv(CENTRE_KEY_ENV, register_at_centre(centre_db, keys))
    yield server
    server.stop()


@pytest.fixture
def provider(keys: Keys, database: Database, centre: LiveServer) -> Provider:
    return Provider(database, centre.url)


@pytest.fixture
def make_provider(keys: Keys, database: Database) -> Callable[..., Provider]:
    return lambda url, **kw: Provider(database, url, **kw)
