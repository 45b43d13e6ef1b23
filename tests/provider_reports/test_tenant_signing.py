"""Each provider tenant signs its reports with its own key; the centre trusts each
provider's registered key only; ``childshield provider signing-key show|rotate``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from childshield.api.testing import LiveServer
from childshield.auth import service
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.centre import providers
from childshield.crypto.signing import SigningKey
from childshield.provider.delivery import Worker
from childshield.provider.reports import set_profile
from childshield.store.db import Database
from childshield.store.models.provider import ProviderCase
from childshield.store.models.provider_reports import ProviderOutbox, ProviderReport

from .harness import Keys, Provider, centre_reports
from .test_cli import _cli

BETA_KEY_ENV = "CHILDSHIELD_TEST_BETA_CENTRE_API_KEY"


def _signature_kid(database: Database, case_id: int) -> str:
    with database.session() as session:
        report = session.scalars(select(ProviderReport).where(
            ProviderReport.case_id == case_id)).one()
        row = session.scalars(select(ProviderOutbox).where(
            ProviderOutbox.report_pk == report.id)).one()
        assert row.body is not None, row.last_error
        return str(json.loads(row.body)["signature"]["kid"])


def test_each_tenant_signs_with_its_own_key_and_the_centre_checks_whose(
    keys: Keys, database: Database, centre: LiveServer, centre_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acme_key, beta_key = SigningKey.generate(), SigningKey.generate()
    monkeypatch.setenv("ACME_SIGNING_KEY", acme_key.to_base64())
    monkeypatch.setenv("BETA_SIGNING_KEY", beta_key.to_base64())
    acme = Provider(database, centre.url)
    with database.session() as session:
        set_profile(session, acme.reviewer.tenant_id, provider_id="demo-host", name="Demo Host",
                    address="1 Example Street", email="abuse@demo-host.example", country="BE",
                    centre_url=centre.url, centre_key_env="CHILDSHIELD_TEST_CENTRE_API_KEY",
                    allow_http=True, signing_key_env="ACME_SIGNING_KEY", actor="test")
        beta = service.create_tenant(session, "beta", Side.PROVIDER, actor="test")
        set_profile(session, beta.id, provider_id="beta-host", name="Beta Host",
                    address="2 Example Street", email="abuse@beta.example", country="NL",
                    centre_url=centre.url, centre_key_env=BETA_KEY_ENV, allow_http=True,
                    signing_key_env="BETA_SIGNING_KEY", actor="test")
        beta_id = beta.id
    with centre_db.session() as session:
        # the centre knows demo-host by the deployment key (harness) and acme's own key
        demo_host = providers.get_provider(session, "demo-host")
        providers.add_key(session, demo_host, acme_key.public_base64, actor="test")
        row = providers.register_provider(session, "beta-host", provider_id="beta-host",
                                          contact="abuse@beta.example",
                                          public_keys=[beta_key.public_base64], actor="test")
        monkeypatch.setenv(BETA_KEY_ENV, providers.issue_api_key(session, row, actor="test"))

    acme_case = acme.confirmed_case("signing-acme")
    with database.session() as session:
        beta_reviewer = service.create_user(session, service.get_tenant(session, "beta"),
                                            "bo@beta.example", "a-long-test-password",
                                            ["reviewer"], actor="test")
    beta_principal = Principal(
        "user", beta_reviewer.id, beta_id, "beta", Side.PROVIDER, frozenset({"reviewer"}),
        "bo@beta.example")
    beta_case = acme.open_case("signing-beta-item")
    with database.session() as session:  # move the case to beta before it is decided
        case = session.get(ProviderCase, beta_case)
        assert case is not None
        case.tenant_id = beta_id
    acme.confirm(beta_case, who=beta_principal)

    assert _signature_kid(database, acme_case) == acme_key.kid
    assert _signature_kid(database, beta_case) == beta_key.kid
    assert keys.provider_signer.kid not in {acme_key.kid, beta_key.kid}
    assert Worker(database).run_once().delivered == 2
    assert centre_reports(centre_db) == (2, 2)

    # a tenant whose key is not registered for its provider id is refused by the centre
    with database.session() as session:
        set_profile(session, beta_id, provider_id="beta-host", name="Beta Host",
                    address="2 Example Street", email="abuse@beta.example", country="NL",
                    centre_url=centre.url, centre_key_env=BETA_KEY_ENV, allow_http=True,
                    signing_key_env="ACME_SIGNING_KEY", actor="test")
    stray = acme.open_case("signing-beta-stray")
    with database.session() as session:
        case = session.get(ProviderCase, stray)
        assert case is not None
        case.tenant_id = beta_id
    acme.confirm(stray, who=beta_principal)
    result = Worker(database).run_once()
    assert result.delivered == 0 and result.failed + result.retried == 1
    assert centre_reports(centre_db) == (2, 2)


def test_signing_key_cli_show_rotate_and_waiting_reports(
    keys: Keys, database: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = Provider(database, "http://127.0.0.1:9")
    shown = json.loads(_cli("signing-key", "show", "acme", db_url=db_url).stdout)
    assert shown["scope"] == "deployment" and shown["env"] == "CHILDSHIELD_SIGNING_KEY"
    assert shown["public_key"] == keys.provider_signer.public_base64
    assert "private_key" not in shown

    r = _cli("signing-key", "rotate", "acme", "--env", "bad name", db_url=db_url)
    assert r.returncode != 0 and "environment variable name" in r.stdout
    r = _cli("signing-key", "rotate", "acme", "--env", "ACME_SIGNING_KEY_2", db_url=db_url)
    assert r.returncode == 0, r.stderr
    rotated = json.loads(r.stdout)
    assert rotated["scope"] == "tenant" and rotated["env"] == "ACME_SIGNING_KEY_2"
    assert any("add-key demo-host --public-key " + rotated["public_key"] in step
               for step in rotated["next"])
    new_key = SigningKey.from_base64(rotated["private_key"])
    assert new_key.public_base64 == rotated["public_key"] != keys.provider_signer.public_base64

    # the variable is not set yet: show names it, a confirmed case's report waits for it
    r = _cli("signing-key", "show", "acme", db_url=db_url)
    assert r.returncode != 0 and "ACME_SIGNING_KEY_2 is not set" in r.stdout
    waiting = provider.confirmed_case("rotate-1")
    with database.session() as session:
        row = session.scalars(select(ProviderOutbox)).one()
        assert row.status == "waiting" and "ACME_SIGNING_KEY_2" in (row.last_error or "")
    monkeypatch.setenv("ACME_SIGNING_KEY_2", rotated["private_key"])
    shown = json.loads(_cli("signing-key", "show", "acme", db_url=db_url).stdout)
    assert (shown["scope"], shown["kid"]) == ("tenant", new_key.kid)
    Worker(database).run_once()  # builds the waiting report (the centre is not there)
    assert _signature_kid(database, waiting) == new_key.kid
    # setting the profile again without --signing-key-env keeps the tenant's key
    with database.session() as session:
        set_profile(session, provider.reviewer.tenant_id, provider_id="demo-host",
                    name="Demo Host", address="1 Example Street", email="a@b.example",
                    country="BE", centre_url="http://127.0.0.1:9", centre_key_env="X",
                    allow_http=True, actor="test")
    assert json.loads(_cli("signing-key", "show", "acme", db_url=db_url).stdout)[
        "env"] == "ACME_SIGNING_KEY_2"
