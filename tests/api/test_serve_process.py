"""`childshield serve` as a real process (the ServerProcess fixture others use to kill it)."""

from __future__ import annotations

import httpx
import pytest

from childshield.api.testing import ServerProcess


@pytest.mark.slow
def test_serve_centre_role_then_kill(sqlite_url: str) -> None:
    proc = ServerProcess("centre", sqlite_url)
    try:
        health = httpx.get(proc.url + "/centre/v1/health").json()
        assert health == {"status": "ok", "side": "centre", "version": health["version"],
                          "database": "sqlite"}
        assert httpx.get(proc.url + "/provider/v1/health").status_code == 404
        assert httpx.get(proc.url + "/centre/victims/").status_code == 200
        proc.kill()
        with pytest.raises(httpx.ConnectError):
            httpx.get(proc.url + "/centre/v1/health", timeout=2)
    finally:
        proc.stop()
