"""Shared fixtures: databases (SQLite and PostgreSQL), reference test data, a CLI runner.

PostgreSQL: tests marked or parametrised with it use 127.0.0.1:5432 (database ``test``,
trust auth). Each test gets a fresh database of its own. Outside CI an unreachable server
skips those tests; in CI (``CI=true``) it fails them, so a missing server cannot hide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from childshield.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "CHILDSHIELD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def shared_dir() -> Path:
    """../shared beside the checkout (CI lays a copy there too)."""
    for candidate in (REPO.parent / "shared", REPO.parent.parent / "shared", Path("/work/shared")):
        if (candidate / "testdata").is_dir():
            return candidate
    pytest.fail("../shared/testdata not found beside the checkout")


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Path to ../shared/testdata (reference images and videos; never copied into the repo)."""
    return shared_dir() / "testdata"


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=2
        ):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    ok = _pg_reachable()
    if not ok and os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 in CI")
    return ok


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    if not pg_available:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"cs_test_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'childshield.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL: runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def database(db_url: str):  # type: ignore[no-untyped-def]
    """A migrated Database on SQLite and on PostgreSQL."""
    from childshield.store import open_database

    db = open_database(db_url)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own data dir, so nothing touches the user's real database."""
    saved = dict(os.environ)  # code under test (the demo seeder) may set variables itself
    data_dir = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("CHILDSHIELD_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CHILDSHIELD_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)
    get_settings.cache_clear()


# Subprocesses (the CLI under test) must import this checkout's src, not another install.
_src = str(REPO / "src")
if os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] != _src:
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_src, os.environ.get("PYTHONPATH", "")) if p
    )


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """After the summary and the cache are written: name any thread the run leaked and leave
    with pytest's own exit status, so a leaked non-daemon thread (once, a process pool's
    manager waiting on a stray worker) cannot hang the CI job at interpreter exit."""
    import sys
    import threading

    leaked = [t for t in threading.enumerate()
              if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if not leaked:
        return
    names = ", ".join(sorted(t.name for t in leaked))
    print(f"\nconftest: {len(leaked)} non-daemon thread(s) still running after the session "
          f"({names}); exiting without joining them", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    status = getattr(config, "_childshield_exitstatus", 0)
    os._exit(int(status))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._childshield_exitstatus = exitstatus  # type: ignore[attr-defined]
