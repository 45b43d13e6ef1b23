"""What the centre's domain functions need from the deployment: keys, limits, recipients.

Built once from :class:`~childshield.settings.Settings` (``CentreConfig.from_settings``);
a missing key is a ConfigurationError naming the variable, raised only when an operation
needs that key (so a centre without a signing key still takes reports in, and says why it
cannot answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from childshield.crypto.keyring import EvidenceKeyring
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey
from childshield.errors import ConfigurationError
from childshield.exchange.referral import AuthorityDirectory
from childshield.settings import Settings

CENTRE_ID = "eu-centre"


@dataclass(frozen=True)
class CentreConfig:
    signing_key: SigningKey | None = None
    keyring: EvidenceKeyring | None = None
    sealing_key: SealingKey | None = None
    directory: AuthorityDirectory = field(default_factory=AuthorityDirectory)
    referral_dir: Path = Path("referrals")
    allow_http: bool = False
    max_report_bytes: int = 32 * 1024**2
    bank: str = "centre-indicators"

    @classmethod
    def from_settings(cls, settings: Settings) -> CentreConfig:
        signing = settings.signing_key
        evidence = settings.evidence_keys
        sealing = settings.centre_private_key
        directory = AuthorityDirectory()
        if settings.centre_authority_directory is not None:
            path = settings.centre_authority_directory
            try:
                directory = AuthorityDirectory.from_json(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"CHILDSHIELD_CENTRE_AUTHORITY_DIRECTORY {path}: {exc}"
                ) from exc
        return cls(
            signing_key=SigningKey.from_base64(
                signing.get_secret_value(), "CHILDSHIELD_SIGNING_KEY") if signing else None,
            keyring=EvidenceKeyring.parse(evidence.get_secret_value()) if evidence else None,
            sealing_key=SealingKey.from_base64(
                sealing.get_secret_value(), "CHILDSHIELD_CENTRE_PRIVATE_KEY") if sealing else None,
            directory=directory,
            referral_dir=settings.centre_referral_dir or settings.data_dir / "referrals",
            allow_http=settings.centre_referral_allow_http,
            max_report_bytes=settings.centre_max_report_bytes,
            bank=settings.centre_bank,
        )

    def signer(self) -> SigningKey:
        if self.signing_key is None:
            raise ConfigurationError(
                "CHILDSHIELD_SIGNING_KEY is not set: the centre cannot sign answers, referrals "
                "or orders (`childshield keys generate --kind signing`)"
            )
        return self.signing_key

    def evidence(self) -> EvidenceKeyring:
        if self.keyring is None:
            raise ConfigurationError(
                "CHILDSHIELD_EVIDENCE_KEYS is not set: the centre stores reports only "
                "encrypted (`childshield keys generate --kind evidence`)"
            )
        return self.keyring

    def opener(self) -> SealingKey:
        if self.sealing_key is None:
            raise ConfigurationError(
                "CHILDSHIELD_CENTRE_PRIVATE_KEY is not set: sealed report content cannot be "
                "opened"
            )
        return self.sealing_key


__all__ = ["CENTRE_ID", "CentreConfig"]
