"""The append-only, hash-chained audit log.

Every access to cases, content, reports and indicators calls :func:`record` inside the
same unit of work as the access, so the entry commits (or rolls back) with it::

    from childshield import audit
    audit.record(session, principal, "case.view", "case", case.id)

Entries form one chain: entry *n* stores the hash of entry *n-1* and its own hash over
its fields (``childshield.audit.chain``). Appends lock the chain head, so concurrent
writers never fork it. :func:`verify` (``childshield audit verify``) recomputes the chain
and names the first entry that was edited, deleted or moved.

Never put content, hashes of content or personal data in ``details``: the log says *who
did what to which object*, not what the object contains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from childshield.audit.chain import GENESIS, entry_fields, entry_hash
from childshield.auth.principal import Principal
from childshield.store import audit as repo
from childshield.store.models.audit import AuditEntry
from childshield.store.models.base import utcnow

Outcome = Literal["success", "denied", "failure"]


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    *,
    outcome: Outcome = "success",
    tenant_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain in ``session``'s transaction and return it.

    ``actor`` is a :class:`Principal` (its tenant is used unless ``tenant_id`` is given)
    or a plain label such as ``"cli:alice"`` for the command line and jobs.
    """
    tenant: int | None = tenant_id
    if isinstance(actor, Principal):
        actor_label = actor.actor
        if tenant is None:
            tenant = actor.tenant_id
    else:
        actor_label = actor
    head = repo.lock_head(session)
    now = utcnow()
    fields = entry_fields(
        seq=head.seq + 1,
        time=now,
        tenant_id=tenant,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        details=dict(details or {}),
        prev_hash=head.hash,
    )
    digest = entry_hash(fields)
    entry = AuditEntry(
        seq=fields["seq"],
        time=now,
        tenant_id=tenant,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=fields["object_id"],
        outcome=outcome,
        details=fields["details"],
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq = entry.seq
    head.hash = digest
    session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify(session: Session) -> VerifyResult:
    """Recompute the whole chain; report the first entry that does not verify.

    Detects an edited entry (its hash no longer matches its fields), a deleted one (a gap
    in ``seq`` or a ``prev_hash`` that does not match), a reordered one (``prev_hash``
    mismatch) and deleted newest entries (the head no longer matches the tail).
    """
    head = repo.head(session)
    head_seq, head_hash = head.seq, head.hash
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in repo.iter_entries(session):
        count += 1
        problem = None
        fields = entry_fields(
            seq=entry.seq,
            time=entry.time,
            tenant_id=entry.tenant_id,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            outcome=entry.outcome,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if entry.seq != expected_seq:
            problem = f"entry {entry.seq}: expected sequence number {expected_seq} " \
                "(an entry before it was deleted or renumbered)"
        elif entry.prev_hash != expected_prev:
            problem = f"entry {entry.seq}: prev_hash does not match the entry before it " \
                "(an entry was deleted, inserted or moved)"
        elif entry_hash(fields) != entry.hash:
            problem = f"entry {entry.seq}: hash does not match its contents (edited)"
        if problem:
            return VerifyResult(False, count, head_seq, head_hash, entry.seq, problem)
        expected_prev = entry.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq != last_seq or head_hash != expected_prev:
        return VerifyResult(
            False, count, head_seq, head_hash, last_seq + 1,
            f"the chain head says {head_seq} entries but the log ends at {last_seq} "
            "(the newest entries were deleted, or the head was edited)",
        )
    return VerifyResult(True, count, head_seq, head_hash)


__all__ = ["Outcome", "VerifyResult", "record", "verify"]
