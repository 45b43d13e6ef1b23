"""Every API route refuses missing credentials (401) and wrong roles or sides (403).

The test walks the OpenAPI schema, so a route a later part adds is checked without
editing this file. A route that should be public must be added to PUBLIC on purpose.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from childshield.api.idempotency import EXEMPT, HEADER
from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.auth import secrets as sec
from childshield.auth.roles import ROLES, Side
from childshield.store.models.auth import ApiKey

PUBLIC = {
    ("GET", "/provider/v1/health"),
    ("GET", "/centre/v1/health"),
    ("POST", "/centre/v1/victims/requests"),  # a person's hashes (rate-limited, tests/victims)
    ("GET", "/centre/v1/victims/requests/mine"),  # by the person's reference code
}
WRITES = {"post", "put", "patch", "delete"}


def _roleless_key(server: LiveServer, tenant: str, side: str) -> str:
    """A valid key holding no role at all (made behind the domain's back)."""
    add_tenant_with_key(server.database, tenant, side, [ROLES[Side(side)][0]])
    new = sec.new_api_key()
    with server.database.session() as session:
        from childshield.store import auth as repo

        t = repo.tenant_by_name(session, tenant)
        assert t is not None
        session.add(ApiKey(tenant_id=t.id, prefix=new.prefix, secret_sha256=new.sha256,
                           roles=[], label="roleless"))
    return new.secret


def _operations(server: LiveServer) -> list[tuple[str, str, dict[str, object]]]:
    schema = httpx.get(server.url + "/openapi.json").json()  # once per test
    out = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            out.append((method, path, op))
    return out


def _call(http: httpx.Client, server: LiveServer, method: str, path: str,
          headers: dict[str, str]) -> httpx.Response:
    concrete = path.replace("{", "").replace("}", "")
    concrete = "/".join("1" if part.endswith("_id") or part == "id" else part
                        for part in concrete.split("/"))
    kwargs: dict[str, object] = {"headers": {**headers, HEADER: uuid.uuid4().hex}}
    if method in WRITES:
        kwargs["json"] = {}
    return http.request(method.upper(), server.url + concrete, **kwargs)  # type: ignore[arg-type]


def test_every_operation_declares_its_access_rule(server: LiveServer) -> None:
    for method, path, op in _operations(server):
        assert path.startswith(("/provider/v1/", "/centre/v1/")), path
        assert op.get("x-public") or op.get("x-roles"), f"{method} {path}: no access rule"
        if op.get("x-public"):
            assert (method.upper(), path) in PUBLIC, f"{method} {path} is public by accident"


def test_every_write_takes_an_idempotency_key(server: LiveServer) -> None:
    for method, path, op in _operations(server):
        if method not in WRITES or op.get(EXEMPT):
            continue
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert HEADER in names, f"{method.upper()} {path} does not take an {HEADER}"


def test_missing_or_bad_credentials_get_401(server: LiveServer, http: httpx.Client) -> None:
    checked = 0
    for method, path, op in _operations(server):
        if op.get("x-public"):
            continue
        for headers in ({}, bearer("csk_000000000000_" + "A" * 43), {"Cookie": "cs_session=x"}):
            r = _call(http, server, method, path, headers)
            assert r.status_code == 401, f"{method.upper()} {path} with {headers}: {r.text}"
            assert r.headers["content-type"] == "application/problem+json"
        checked += 1
    assert checked >= 8


def test_wrong_role_or_side_gets_403(server: LiveServer, http: httpx.Client) -> None:
    roleless = {side: _roleless_key(server, f"t-{side}", side) for side in ("provider", "centre")}
    checked = 0
    for method, path, op in _operations(server):
        if op.get("x-public"):
            continue
        side = path.split("/")[1]
        other = "centre" if side == "provider" else "provider"
        r = _call(http, server, method, path, bearer(roleless[other]))
        assert r.status_code == 403, f"{method.upper()} {path} with a {other} key: {r.text}"
        if op["x-roles"] != ["*"]:
            r = _call(http, server, method, path, bearer(roleless[side]))
            assert r.status_code == 403, f"{method.upper()} {path} without a role: {r.text}"
            checked += 1
    assert checked >= 6


def test_denied_access_is_audited(server: LiveServer) -> None:
    key = add_tenant_with_key(server.database, "acme", "provider", ["reviewer"])
    assert httpx.get(server.url + "/provider/v1/keys", headers=bearer(key)).status_code == 403
    auditor = add_tenant_with_key(server.database, "acme", "provider", ["auditor"])
    entries = httpx.get(server.url + "/provider/v1/audit/entries", headers=bearer(auditor,),
                        params={"limit": 1000}).json()
    denied = [e for e in entries if e["action"] == "access.denied"]
    assert denied and denied[-1]["object_id"] == "/provider/v1/keys"
    assert denied[-1]["outcome"] == "denied"


@pytest.mark.parametrize("path", ["/provider/console/", "/centre/console/ui-kit"])
def test_console_pages_send_browsers_to_login(server: LiveServer, path: str) -> None:
    r = httpx.get(server.url + path, headers={"Accept": "text/html"})
    assert r.status_code == 303
    side = path.split("/")[1]
    assert r.headers["location"] == f"/{side}/console/login?next={path}"
    r = httpx.get(server.url + path, headers={"Accept": "application/json"})
    assert r.status_code == 401


def test_roles_run_apart_serve_only_their_side(live_server) -> None:  # type: ignore[no-untyped-def]
    provider = live_server("provider")
    assert httpx.get(provider.url + "/provider/v1/health").status_code == 200
    assert httpx.get(provider.url + "/centre/v1/health").status_code == 404
    assert httpx.get(provider.url + "/centre/victims/").status_code == 404
    paths = httpx.get(provider.url + "/openapi.json").json()["paths"]
    assert paths and all(p.startswith("/provider/v1/") for p in paths)
