"""Evidence kept for a case: encrypted at rest, shown only to the case's assigned reviewer.

Content is encrypted with the evidence keyring (``CHILDSHIELD_EVIDENCE_KEYS``, AES-256-GCM,
``childshield.crypto.keyring``); the associated data binds each blob to its case and row,
so a blob copied onto another case does not decrypt. Without configured keys no content is
kept (the case still has its signals and hits; the console says so).

Reading content (:func:`read_content`) requires the caller to hold the case's lease
(:func:`childshield.provider.review.holds_lease`) and writes ``content.view`` to the audit log.
"""

from __future__ import annotations

import os

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.crypto.keyring import ENV_VAR, EvidenceKeyring
from childshield.errors import NotFoundError, PermissionDeniedError
from childshield.provider.review import holds_lease
from childshield.settings import Settings
from childshield.store.models.provider import ProviderCase, ProviderCaseContent
from childshield.store.tenancy import TenantScope

MAX_KEPT_BYTES = 64 * 1024**2
"""Larger content is not kept as evidence (its signals and hits are)."""


def keyring_for(settings: Settings) -> EvidenceKeyring | None:
    """The configured evidence keyring, or None when no keys are set."""
    secret = settings.evidence_keys
    spec = secret.get_secret_value() if secret is not None else os.environ.get(ENV_VAR)
    return EvidenceKeyring.parse(spec) if spec else None


def _aad(case_id: int, content_id: int) -> bytes:
    return f"childshield.provider.case:{case_id}:content:{content_id}".encode()


def keep_content(
    session: Session, keyring: EvidenceKeyring | None, case: ProviderCase, *, kind: str,
    media_type: str, data: bytes, name: str | None = None,
) -> ProviderCaseContent | None:
    """Store ``data`` for ``case`` encrypted; None when no keyring or too large."""
    if keyring is None or len(data) > MAX_KEPT_BYTES:
        return None
    row = ProviderCaseContent(tenant_id=case.tenant_id, case_id=case.id, kind=kind,
                              media_type=media_type, name=(name or "")[:300] or None,
                              size_bytes=len(data), key_id=keyring.current_kid,
                              ciphertext=b"")
    session.add(row)
    session.flush()
    row.ciphertext = keyring.encrypt(data, _aad(case.id, row.id))
    return row


def read_content(
    scope: TenantScope, principal: Principal, keyring: EvidenceKeyring | None, case_id: int,
    content_id: int,
) -> tuple[ProviderCaseContent, bytes]:
    """Decrypt one content item for the reviewer holding the case (audited)."""
    case = scope.get(ProviderCase, case_id, what="case")
    row = scope.get(ProviderCaseContent, content_id, what="content")
    if row.case_id != case.id:
        raise NotFoundError(f"content {content_id} not found")
    if not holds_lease(principal, case):
        audit.record(scope.session, principal, "content.view", "case_content", row.id,
                     outcome="denied", details={"case": case.id})
        raise PermissionDeniedError("content is shown only to the reviewer the case is "
                                    "assigned to; take the case first")
    if row.ciphertext is None or row.deleted_at is not None:
        raise NotFoundError(f"content {content_id} was deleted")
    if keyring is None:
        raise NotFoundError("no evidence keys are configured; content cannot be opened")
    data = keyring.decrypt(row.ciphertext, _aad(case.id, row.id))
    audit.record(scope.session, principal, "content.view", "case_content", row.id,
                 details={"case": case.id})
    return row, data


def open_content(keyring: EvidenceKeyring, row: ProviderCaseContent) -> bytes:
    """Decrypt a content row for a system job (the report builder sealing it for the
    centre); callers audit their own access."""
    if row.ciphertext is None or row.deleted_at is not None:
        raise NotFoundError(f"content {row.id} was deleted")
    return keyring.decrypt(row.ciphertext, _aad(row.case_id, row.id))


__all__ = ["MAX_KEPT_BYTES", "keep_content", "keyring_for", "open_content", "read_content"]
