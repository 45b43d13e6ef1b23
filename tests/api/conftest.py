"""Fixtures for tests over real HTTP on loopback (SQLite and PostgreSQL).

Reuse them from any test under tests/api/ (put provider/centre API tests in
tests/api/provider/ and tests/api/centre/ to inherit them)::

    def test_something(live_server):                   # runs on SQLite and PostgreSQL
        server = live_server("provider")               # -> LiveServer (.url, .database)
        key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
        r = httpx.get(server.url + "/provider/v1/whoami", headers=bearer(key))

``live_server(role="all", db_url=None, settings=None, app=None)``: the db_url defaults to
this test's ``db_url`` (parametrised over both databases); call it twice with two URLs
for a provider and a centre with separate databases. ``server`` is the common case:
role ``all`` on this test's database. ``server_process(role, db_url)`` runs
``childshield serve`` as a subprocess you can kill.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from childshield.api.testing import LiveServer, ServerProcess


@pytest.fixture
def live_server(db_url: str) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(role: str = "all", url: str | None = None, **kwargs: Any) -> LiveServer:
        server = LiveServer.start(role, url or db_url, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        server.database.dispose()


@pytest.fixture
def server(live_server: Callable[..., LiveServer]) -> LiveServer:
    """Provider and centre together (``--role all``) on this test's database."""
    return live_server("all")


@pytest.fixture
def server_process(db_url: str) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(role: str = "all", url: str | None = None, **kwargs: Any) -> ServerProcess:
        proc = ServerProcess(role, url or db_url, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def http() -> Iterator[Any]:
    """One httpx.Client for the test (creating a client per request costs ~50 ms)."""
    import httpx

    with httpx.Client(timeout=30) as client:
        yield client
