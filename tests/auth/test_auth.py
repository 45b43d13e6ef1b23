"""Tenants, roles, API keys and console users: the domain and the CLI verbs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from childshield.auth import service
from childshield.auth.roles import Side, resolve_qualified, validate_roles
from childshield.errors import AuthenticationError, ConflictError, InputError
from childshield.store.db import Database
from childshield.store.models.auth import ApiKey, User


def test_roles_are_checked_against_the_side() -> None:
    assert validate_roles(Side.PROVIDER, ["Reviewer", "admin"]) == ("reviewer", "admin")
    with pytest.raises(InputError, match="analyst"):
        validate_roles(Side.PROVIDER, ["analyst"])
    with pytest.raises(InputError):
        validate_roles(Side.CENTRE, [])
    assert resolve_qualified(["reviewer"]) == (Side.PROVIDER, frozenset({"reviewer"}))
    with pytest.raises(ValueError, match="both sides"):
        resolve_qualified(["admin"])


def test_require_refuses_unknown_roles_at_import_time() -> None:
    from childshield.api.auth import require

    with pytest.raises(ValueError, match="unknown role"):
        require("reviewr")
    require("provider:admin", "reviewer")


def test_api_keys_are_stored_hashed_and_revocable(database: Database) -> None:
    with database.session() as session:
        tenant = service.create_tenant(session, "acme", "provider", actor="test")
        issued = service.create_api_key(session, tenant, ["integration"], actor="test")
    secret = issued.secret
    assert secret.startswith("csk_") and len(secret) > 50
    with database.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM auth_api_keys")))
    secret_part = secret.split("_", 2)[2]
    assert secret_part not in dump  # only the SHA-256 and the prefix are kept
    with database.session() as session:
        principal = service.authenticate_key(session, secret)
        assert principal.roles == {"integration"} and principal.side is Side.PROVIDER
        with pytest.raises(AuthenticationError):
            service.authenticate_key(session, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
        key = session.scalars(select(ApiKey)).one()
        service.revoke_api_key(session, key, actor="test")
    with database.session() as session, pytest.raises(AuthenticationError, match="revoked"):
        service.authenticate_key(session, secret)


def test_passwords_are_argon2_and_sessions_expire(database: Database) -> None:
    with database.session() as session:
        tenant = service.create_tenant(session, "acme", "provider", actor="test")
        service.create_user(session, tenant, "R@Acme.example", "a-long-password!", ["reviewer"],
                            actor="test")
        with pytest.raises(ConflictError):
            service.create_user(session, tenant, "r@acme.example", "another-long-one",
                                ["reviewer"], actor="test")
        with pytest.raises(InputError, match="too short"):
            service.create_user(session, tenant, "s@acme.example", "short", ["reviewer"],
                                actor="test")
    with database.session() as session:
        user = session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        login = service.login(session, "r@acme.example", "a-long-password!", Side.PROVIDER,
                              ttl=timedelta(minutes=5))
        assert service.resolve_session(session, login.token, Side.PROVIDER).label == \
            "r@acme.example"
        with pytest.raises(AuthenticationError):
            service.resolve_session(session, login.token, Side.CENTRE)
        expired = service.login(session, "r@acme.example", "a-long-password!", Side.PROVIDER,
                                ttl=timedelta(seconds=-1))
        with pytest.raises(AuthenticationError):
            service.resolve_session(session, expired.token, Side.PROVIDER)
        service.disable_user(session, user, actor="test")
        with pytest.raises(AuthenticationError):
            service.resolve_session(session, login.token, Side.PROVIDER)


def _cli(db_url: str, *args: str,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "childshield", *args, "--db", db_url, "--json"],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_cli_tenant_key_user(sqlite_url: str) -> None:
    db_url = sqlite_url  # the CLI is a thin layer: one backend is enough (and ~2 s a call)
    r = _cli(db_url, "tenant", "create", "acme")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["side"] == "provider"
    assert _cli(db_url, "tenant", "create", "acme").returncode == 5  # conflict
    r = _cli(db_url, "key", "create", "--tenant", "acme", "--role", "integration")
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["key"]
    r = _cli(db_url, "key", "create", "--tenant", "acme", "--role", "analyst")
    assert r.returncode == 3 and "analyst" in r.stdout + r.stderr
    assert _cli(db_url, "key", "create", "--tenant", "nope", "--role", "admin").returncode == 4
    r = _cli(db_url, "user", "create", "--tenant", "acme", "--role", "reviewer", "--email",
             "r@acme.example", env={"CHILDSHIELD_NEW_USER_PASSWORD": "a-long-password!"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["roles"] == ["reviewer"]
    listed = [json.loads(line) for line in _cli(db_url, "key", "list", "--tenant", "acme")
              .stdout.splitlines()]
    assert [k["prefix"] for k in listed] == ["_".join(key.split("_")[:2])]
    assert _cli(db_url, "key", "revoke", listed[0]["prefix"]).returncode == 0
    listed = [json.loads(line) for line in _cli(db_url, "key", "list", "--tenant", "acme")
              .stdout.splitlines()]
    assert listed[0]["revoked"] is True
    r = _cli(db_url, "tenant", "create", "eu-centre", "--side", "centre")
    assert r.returncode == 0
    assert _cli(db_url, "audit", "verify").returncode == 0


def test_demo_seed_prints_working_credentials(sqlite_url: str) -> None:
    from childshield.auth.demo import seed_demo
    from childshield.store import open_database

    database = open_database(sqlite_url)  # argon2 dominates: one backend is enough

    with database.session() as session:
        first = seed_demo(session)
    with database.session() as session:
        second = seed_demo(session)  # a second run resets passwords: the new ones work
    assert {u["role"] for u in second.users} == {"reviewer", "supervisor", "admin", "auditor",
                                                  "analyst", "authority"}
    with database.session() as session:
        for user in second.users:
            side = Side(user["side"])
            service.login(session, user["email"], user["password"], side,
                          ttl=timedelta(minutes=1))
        for key in second.api_keys:
            assert service.authenticate_key(session, key["key"]).side == Side(key["side"])
    assert first.users[0]["password"] != second.users[0]["password"]


def test_repeated_failed_logins_lock_the_account(sqlite_url: str) -> None:
    from childshield import audit
    from childshield.store import open_database

    database = open_database(sqlite_url)
    with database.session() as session:
        tenant = service.create_tenant(session, "acme", "provider", actor="test")
        user = service.create_user(session, tenant, "r@acme.example", "a-long-password!",
                                   ["reviewer"], actor="test")
        with pytest.raises(AuthenticationError):
            service.login(session, "r@acme.example", "wrong-password!", Side.PROVIDER,
                          ttl=timedelta(minutes=5))
    with database.session() as session:  # nine more failures (as the login form records them)
        for _ in range(service.MAX_FAILED_LOGINS - 1):
            audit.record(session, f"user:{user.id}", "session.login", "user", user.id,
                         outcome="denied", tenant_id=tenant.id)
    with database.session() as session, pytest.raises(AuthenticationError):
        service.login(session, "r@acme.example", "a-long-password!", Side.PROVIDER,
                      ttl=timedelta(minutes=5))
    with database.session() as session:  # another account is not affected
        service.create_user(session, tenant, "s@acme.example", "a-long-password!",
                            ["reviewer"], actor="test")
        service.login(session, "s@acme.example", "a-long-password!", Side.PROVIDER,
                      ttl=timedelta(minutes=5))
    database.dispose()
