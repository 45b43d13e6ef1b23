"""A provider and a centre with their own databases and keys, for the reporting tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from childshield.auth import service
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.centre import providers
from childshield.crypto.keyring import EvidenceKey
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey
from childshield.provider import cases, review
from childshield.provider.evidence import keep_content, keyring_for
from childshield.provider.reports import set_profile
from childshield.settings import Settings, get_settings
from childshield.store import auth as auth_repo
from childshield.store.db import Database
from childshield.store.models.centre import CentreReport
from childshield.store.tenancy import TenantScope

CENTRE_KEY_ENV = "CHILDSHIELD_TEST_CENTRE_API_KEY"


@dataclass
class Keys:
    provider_signer: SigningKey = field(default_factory=SigningKey.generate)
    centre_signer: SigningKey = field(default_factory=SigningKey.generate)
    sealing: SealingKey = field(default_factory=SealingKey.generate)
    provider_evidence: str = field(default_factory=lambda: EvidenceKey.generate("pk1").to_spec())
    centre_evidence: str = field(default_factory=lambda: EvidenceKey.generate("ck1").to_spec())

    def provider_env(self) -> dict[str, str]:
        return {
            "CHILDSHIELD_SIGNING_KEY": self.provider_signer.to_base64(),
            "CHILDSHIELD_CENTRE_PUBLIC_KEY": self.sealing.public_key.to_base64(),
            "CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY": self.centre_signer.public_base64,
            "CHILDSHIELD_EVIDENCE_KEYS": self.provider_evidence,
        }

    def centre_env(self) -> dict[str, str]:
        return {
            "CHILDSHIELD_SIGNING_KEY": self.centre_signer.to_base64(),
            "CHILDSHIELD_EVIDENCE_KEYS": self.centre_evidence,
            "CHILDSHIELD_CENTRE_PRIVATE_KEY": self.sealing.to_base64(),
        }

    def centre_settings(self) -> Settings:
        return Settings(signing_key=SecretStr(self.centre_signer.to_base64()),
                        evidence_keys=SecretStr(self.centre_evidence),
                        centre_private_key=SecretStr(self.sealing.to_base64()),
                        centre_referral_allow_http=True)


def register_at_centre(centre_db: Database, keys: Keys, provider_id: str = "demo-host") -> str:
    """Register the provider at the centre; returns the centre API key it was given."""
    with centre_db.session() as session:
        row = providers.register_provider(
            session, provider_id, provider_id=provider_id, contact="abuse@demo-host.example",
            public_keys=[keys.provider_signer.public_base64], actor="test")
        return providers.issue_api_key(session, row, actor="test")


def centre_reports(centre_db: Database) -> tuple[int, int]:
    """(rows, distinct report ids) the centre holds."""
    with centre_db.session() as session:
        rows = session.scalar(select(func.count()).select_from(CentreReport)) or 0
        distinct = session.scalar(select(func.count(func.distinct(CentreReport.report_id))))
        return int(rows), int(distinct or 0)


class Provider:
    """The provider side: tenant ``acme``, a reviewer, a supervisor, a reporting profile."""

    def __init__(self, database: Database, centre_url: str, *, ncmec: bool = False) -> None:
        self.database = database
        self.reviewer = self._user("alice@acme.example", ["reviewer"])
        self.supervisor = self._user("sam@acme.example", ["supervisor"])
        with database.session() as session:
            set_profile(session, self.reviewer.tenant_id, provider_id="demo-host",
                        name="Demo Host", address="1 Example Street, Brussels",
                        email="abuse@demo-host.example", country="BE", centre_url=centre_url,
                        centre_key_env=CENTRE_KEY_ENV, allow_http=True, ncmec=ncmec,
                        actor="test")

    def _user(self, email: str, roles: list[str]) -> Principal:
        with self.database.session() as session:
            tenant = auth_repo.tenant_by_name(session, "acme") or service.create_tenant(
                session, "acme", Side.PROVIDER, actor="test")
            user = service.create_user(session, tenant, email, "a-long-test-password", roles,
                                       actor="test")
            return Principal("user", user.id, tenant.id, tenant.name, Side.PROVIDER,
                             frozenset(roles), email)

    def open_case(self, key: str, *, content: bytes | None = b"benign-test-image-bytes",
                  context: dict[str, Any] | None = None, abuse_type: str = "known",
                  signals: dict[str, Any] | None = None) -> int:
        with self.database.session() as session:
            item = cases.NewItem(
                content_key=key, abuse_type=abuse_type, source="upload", kind="image",
                media_type="image/png", external_id=f"upload-{key}",
                context=context if context is not None else {
                    "user": {"id": f"user-{key}", "screen_name": "test-user"},
                    "location": {"ip": "192.0.2.7", "country": "BE"}},
                signals=signals or {"md5": "0" * 32, "sha256": "1" * 64})
            hit = cases.Hit("bank", "test-indicators", f"bank:{key}", indicator_id=7,
                            signal="md5", distance=0)
            case = cases.open_case(session, self.reviewer.tenant_id, item, [hit],
                                   actor="test").case
            if content is not None:
                keep_content(session, keyring_for(get_settings()), case, kind="image",
                             media_type="image/png", data=content, name=f"{key}.png")
            return case.id

    def confirm(self, case_id: int, who: Principal | None = None) -> None:
        who = who or self.reviewer
        with self.database.session() as session:
            scope = TenantScope(session, who.tenant_id)
            review.claim(scope, who, case_id)
            review.decide(scope, who, case_id, "confirm", abuse_type="known")

    def confirmed_case(self, key: str, **kwargs: Any) -> int:
        case_id = self.open_case(key, **kwargs)
        self.confirm(case_id)
        return case_id
