"""Helpers for tests over real HTTP on loopback (used by tests/api/conftest.py).

    server = LiveServer.start("all", db_url)          # uvicorn in a thread, free port
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    r = httpx.get(server.url + "/provider/v1/whoami", headers=bearer(key))
    server.stop()

``ServerProcess`` runs ``childshield serve`` in a subprocess instead, for tests that kill
the server mid-flight.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from childshield.auth import service
from childshield.auth.roles import Side
from childshield.settings import Settings
from childshield.store import auth as repo
from childshield.store.db import Database, open_database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A uvicorn server running ``app`` in a background thread on 127.0.0.1."""

    url: str
    app: FastAPI
    database: Database
    _server: Any
    _thread: threading.Thread

    @classmethod
    def start(
        cls,
        role: str = "all",
        db_url: str | None = None,
        *,
        settings: Settings | None = None,
        app: FastAPI | None = None,
        database: Database | None = None,
    ) -> LiveServer:
        import uvicorn

        from childshield.api.app import create_app

        if app is None:
            database = database or open_database(db_url)
            app = create_app(role, database, settings or Settings())
        database = app.state.database
        assert database is not None
        # Port 0: uvicorn binds a free port itself. (Handing it a pre-bound socket costs
        # ~40 ms a request here: Nagle meets delayed ACK.)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        return cls(f"http://127.0.0.1:{port}", app, database, server, thread)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)


class ServerProcess:
    """``childshield serve`` in a subprocess (so a test can kill it). Its background jobs
    are off (``CHILDSHIELD_JOBS_INTERVAL_S=0``) unless ``env`` sets an interval, so a test
    that runs the jobs itself is not raced by the server."""

    def __init__(self, role: str, db_url: str, *, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = (), up_timeout: float = 30.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # a file, not a pipe: a full pipe would block the server once it logged enough
        self.log = tempfile.NamedTemporaryFile(prefix="childshield-serve-", suffix=".log")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "childshield", "serve", "--role", role, "--port",
             str(self.port), "--db", db_url, *args],
            env={**os.environ, "CHILDSHIELD_JOBS_INTERVAL_S": "0", **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        health = "/provider/v1/health" if role != "centre" else "/centre/v1/health"
        self.wait_until_up(health, up_timeout)

    def wait_until_up(self, path: str, timeout: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"childshield serve exited early:\n{self.output()}")
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("childshield serve did not come up")

    def output(self) -> str:
        """What the server printed so far."""
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self) -> None:
        """SIGKILL: no clean shutdown (for crash tests)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def add_tenant_with_key(
    database: Database, name: str, side: str | Side, roles: list[str]
) -> str:
    """Create tenant ``name`` (if new) and an API key with ``roles``; return the key."""
    with database.session() as session:
        tenant = repo.tenant_by_name(session, name) or service.create_tenant(
            session, name, side, actor="test")
        return service.create_api_key(session, tenant, roles, actor="test").secret


def add_user(
    database: Database, tenant: str, email: str, roles: list[str],
    password: str = "a-long-test-password",
) -> str:
    """Create a console user in an existing tenant; return the password."""
    with database.session() as session:
        service.create_user(session, service.get_tenant(session, tenant), email, password,
                            roles, actor="test")
    return password


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


__all__ = [
    "LiveServer",
    "ServerProcess",
    "add_tenant_with_key",
    "add_user",
    "bearer",
    "free_port",
]
