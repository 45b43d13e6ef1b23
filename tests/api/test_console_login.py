"""Console login over HTTP: cookie flags, CSRF on forms and API writes, logout."""

from __future__ import annotations

import re

import httpx
import pytest

from childshield.api.testing import LiveServer, add_tenant_with_key, add_user

EMAIL = "rev@acme.example"


def _login(server: LiveServer, client: httpx.Client, side: str = "provider",
           email: str = EMAIL, password: str = "a-long-test-password") -> httpx.Response:
    page = client.get(f"{server.url}/{side}/console/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(f"{server.url}/{side}/console/login", data={
        "email": email, "password": password, "csrf_token": token.group(1),
        "next": f"/{side}/console/ui-kit"})


@pytest.fixture
def user(server: LiveServer) -> str:
    add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    return add_user(server.database, "acme", EMAIL, ["reviewer", "admin"])


def test_login_sets_a_safe_session_cookie(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        r = _login(server, client)
        assert r.status_code == 303
        assert r.headers["location"] == "/provider/console/ui-kit"
        cookie = next(v for k, v in r.headers.multi_items()
                      if k == "set-cookie" and v.startswith("cs_session="))
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/provider/" in flags
        assert "secure" not in flags  # plain HTTP on loopback; Secure over HTTPS
        home = client.get(server.url + "/provider/console/")
        assert home.status_code == 200 and EMAIL in home.text
        assert "default-src 'self'" in home.headers["content-security-policy"]
        who = client.get(server.url + "/provider/v1/whoami").json()
        assert who["label"] == EMAIL and who["roles"] == ["admin", "reviewer"]


def test_cookie_is_secure_when_configured(live_server) -> None:  # type: ignore[no-untyped-def]
    from childshield.settings import Settings

    server = live_server("provider", settings=Settings(session_cookie_secure=True))
    add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    add_user(server.database, "acme", EMAIL, ["reviewer"])
    page = httpx.get(f"{server.url}/provider/console/login")
    assert "secure" in page.headers["set-cookie"].lower()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    # a browser would only send the Secure cookie over HTTPS; send it by hand here
    r = httpx.post(f"{server.url}/provider/console/login",
                   data={"email": EMAIL, "password": "a-long-test-password",
                         "csrf_token": token.group(1)},
                   headers={"Cookie": f"cs_login_csrf={token.group(1)}"})
    assert r.status_code == 303
    cookie = next(v for k, v in r.headers.multi_items()
                  if k == "set-cookie" and v.startswith("cs_session="))
    assert "secure" in cookie.lower()


def test_wrong_password_and_unknown_user_look_the_same(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        wrong = _login(server, client, password="not-the-password")
        unknown = _login(server, client, email="nobody@acme.example")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.text and "Wrong e-mail or password." in unknown.text
    assert "cs_session" not in wrong.headers.get("set-cookie", "")


def test_login_form_needs_its_csrf_token(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        client.get(f"{server.url}/provider/console/login")
        r = client.post(f"{server.url}/provider/console/login",
                        data={"email": EMAIL, "password": user, "csrf_token": "forged"})
    assert r.status_code == 403 and "cs_session=" not in r.headers.get("set-cookie", "")


def test_provider_user_cannot_log_in_to_the_centre(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        assert _login(server, client, side="centre").status_code == 401


def test_cookie_writes_need_the_csrf_token(server: LiveServer, user: str) -> None:
    target = add_tenant_with_key(server.database, "acme", "provider", ["auditor"])
    with httpx.Client() as client:
        _login(server, client)
        keys = client.get(server.url + "/provider/v1/keys").json()
        key_id = next(k["id"] for k in keys if k["prefix"] == "_".join(target.split("_")[:2]))
        url = f"{server.url}/provider/v1/keys/{key_id}"
        r = client.delete(url, headers={"Idempotency-Key": "c1"})
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
        page = client.get(server.url + "/provider/console/").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token
        r = client.delete(url, headers={"Idempotency-Key": "c2", "X-CSRF-Token": token.group(1)})
        assert r.status_code == 200


def test_logout_ends_the_session(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        _login(server, client)
        page = client.get(server.url + "/provider/console/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        stolen = client.cookies.get("cs_session")
        assert client.post(server.url + "/provider/console/logout",
                           data={"csrf_token": "wrong"}).status_code == 403
        r = client.post(server.url + "/provider/console/logout",
                        data={"csrf_token": token.group(1)})
        assert r.status_code == 303 and r.headers["location"] == "/provider/console/login"
    # the server-side session is gone: replaying the old cookie does not work
    r = httpx.get(server.url + "/provider/v1/whoami", cookies={"cs_session": str(stolen)})
    assert r.status_code == 401


def test_open_redirect_is_refused(server: LiveServer, user: str) -> None:
    with httpx.Client() as client:
        page = client.get(f"{server.url}/provider/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        r = client.post(f"{server.url}/provider/console/login", data={
            "email": EMAIL, "password": user, "csrf_token": token.group(1),
            "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/provider/console/"


def test_victims_page_is_public(server: LiveServer) -> None:
    r = httpx.get(server.url + "/centre/victims/")  # built and tested in tests/victims
    assert r.status_code == 200 and "the files never leave your device" in r.text
