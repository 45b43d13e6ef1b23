"""Cases and review in the domain layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from childshield.auth import service
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.errors import ConflictError, InputError, PermissionDeniedError
from childshield.provider import cases, review
from childshield.store.db import Database
from childshield.store.tenancy import TenantScope


def _user(db: Database, tenant: str, email: str, roles: list[str]) -> Principal:
    with db.session() as session:
        from childshield.store import auth as repo

        t = repo.tenant_by_name(session, tenant) or service.create_tenant(
            session, tenant, Side.PROVIDER, actor="test")
        user = service.create_user(session, t, email, "a-long-test-password", roles,
                                   actor="test")
        return Principal("user", user.id, t.id, t.name, Side.PROVIDER, frozenset(roles), email)


def _open(db: Database, who: Principal, key: str, **kw: Any) -> int:
    with db.session() as session:
        item = cases.NewItem(content_key=key, abuse_type=kw.get("abuse_type", "known"),
                             source=kw.get("source", "upload"), kind="image",
                             urgent=kw.get("urgent", False))
        hit = cases.Hit("bank", kw.get("bank", "test-indicators"), f"bank:{key}",
                        indicator_id=1, signal="pdq", distance=4)
        return cases.open_case(session, who.tenant_id, item, [hit], actor="test").case.id


def test_one_case_per_item_and_queue_order(database: Database) -> None:
    alice = _user(database, "acme", "alice@acme.example", ["reviewer"])
    first = _open(database, alice, "sha256:a")
    assert _open(database, alice, "sha256:a") == first  # same item: same case
    second = _open(database, alice, "sha256:b")
    urgent = _open(database, alice, "sha256:c", urgent=True)
    with database.session() as session:
        scope = TenantScope(session, alice.tenant_id)
        order = [c.id for c in review.queue(scope, alice)]
        assert order == [urgent, first, second]
        assert review.next_case(scope, alice).id == urgent  # type: ignore[union-attr]


def test_one_reviewer_per_case_and_confirm_runs_handlers(database: Database) -> None:
    alice = _user(database, "acme", "alice@acme.example", ["reviewer"])
    bob = _user(database, "acme", "bob@acme.example", ["reviewer"])
    case_id = _open(database, alice, "sha256:a")
    seen: list[int] = []
    handler = cases.on_confirmed(lambda session, c: seen.append(c.case_id))
    try:
        with database.session() as session:
            scope = TenantScope(session, alice.tenant_id)
            assert review.next_case(scope, alice).id == case_id  # type: ignore[union-attr]
        with database.session() as session:
            scope = TenantScope(session, alice.tenant_id)
            assert review.next_case(scope, bob) is None  # leased to alice
            with pytest.raises(ConflictError):
                review.claim(scope, bob, case_id)
            with pytest.raises(ConflictError):
                review.decide(scope, bob, case_id, "not_abuse")
        with database.session() as session:
            scope = TenantScope(session, alice.tenant_id)
            with pytest.raises(InputError):
                review.decide(scope, alice, case_id, "confirm")  # no abuse type
            review.decide(scope, alice, case_id, "confirm", abuse_type="known")
        assert seen == [case_id]
        with database.session() as session:
            scope = TenantScope(session, alice.tenant_id)
            case = cases.get_case(scope, case_id)
            assert case.status == "confirmed"
            detail = cases.case_detail(session, case)
            assert detail["decisions"][0]["reviewer"] == "alice@acme.example"
    finally:
        cases._CONFIRMED.remove(handler)


def test_escalation_and_error_rates(database: Database) -> None:
    alice = _user(database, "acme", "alice@acme.example", ["reviewer"])
    sue = _user(database, "acme", "sue@acme.example", ["supervisor"])
    a = _open(database, alice, "sha256:a", bank="bank-one")
    b = _open(database, alice, "sha256:b", bank="bank-one")
    c = _open(database, alice, "sha256:c", bank="bank-two")
    with database.session() as session:
        scope = TenantScope(session, alice.tenant_id)
        for case_id, decision in ((a, "not_abuse"), (b, "escalate"), (c, "not_abuse")):
            review.claim(scope, alice, case_id)
            review.decide(scope, alice, case_id, decision)
    with database.session() as session:
        scope = TenantScope(session, alice.tenant_id)
        with pytest.raises(PermissionDeniedError):
            review.claim(scope, alice, b)  # escalated: supervisors only
        assert review.next_case(scope, sue).id == b  # type: ignore[union-attr]
        review.decide(scope, sue, b, "confirm", abuse_type="known")
        review.decide(scope, sue, c, "confirm", abuse_type="known")  # reverses alice
        with pytest.raises(PermissionDeniedError):
            review.error_rates(scope, alice)
        rates = review.error_rates(scope, sue)
    banks = {r["detector"]: r for r in rates["banks"]}
    assert banks["bank-one"]["not_abuse"] == 1 and banks["bank-one"]["confirmed"] == 1
    assert banks["bank-one"]["false_positive_rate"] == 0.5
    assert banks["bank-two"]["false_positive_rate"] == 0.0
    people = {r["reviewer"]: r for r in rates["reviewers"]}
    assert people["alice@acme.example"]["reversed"] == 1
    assert people["alice@acme.example"]["escalate"] == 1
    assert people["alice@acme.example"]["error_rate"] == 0.5
