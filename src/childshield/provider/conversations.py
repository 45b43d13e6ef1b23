"""Chat messages in, solicitation alerts out: one ConversationMonitor per tenant.

:class:`ConversationHub` keeps, per tenant, a
:class:`~childshield.conversations.ConversationMonitor` (the shipped scorer) and the last
:data:`KEEP_MESSAGES` messages of each live conversation (bounded: at most
:data:`MAX_CONVERSATIONS` conversations per tenant, least recently active dropped first).
When the monitor raises an alert, :meth:`ConversationHub.feed` opens a ``solicitation``
case (content key ``conversation:<id>``) whose hit records the risk, the suspect and the
indicator categories with the indexes of the messages that raised them, and keeps the
recent messages as encrypted evidence for the reviewer. The alert is a lead, not a
decision.

Centre patterns (a hook beside the scorer, not inside it): the hub also asks a
:class:`~childshield.conversations.patterns.PatternSet` about each message: the phrases
``bank sync`` stored in ``solicitation`` banks (:class:`BankPatterns`, reloaded at most
every :data:`PATTERN_REFRESH_S` seconds). A message containing one raises the alert (once
per conversation) with a ``centre_pattern`` indicator naming the local indicator id, even
when the scorer's risk is below its threshold: a pattern confirmed by an authority is worth
a reviewer's look.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from childshield.auth.principal import Principal
from childshield.conversations.monitor import Alert, ConversationMonitor
from childshield.conversations.patterns import EMPTY, PatternHit, PatternSet
from childshield.crypto.keyring import EvidenceKeyring
from childshield.errors import InputError
from childshield.provider import evidence
from childshield.provider.cases import Hit, NewItem, case_summary, open_case
from childshield.store import banks as bank_repo
from childshield.store.db import Database

KEEP_MESSAGES = 200
MAX_CONVERSATIONS = 50_000
MAX_TEXT = 10_000
PATTERN_REFRESH_S = 30.0
PATTERN_CATEGORY = "centre_pattern"


class BankPatterns:
    """The active patterns of the ``solicitation`` banks, reloaded every ``refresh_s``."""

    def __init__(self, database: Database, refresh_s: float = PATTERN_REFRESH_S) -> None:
        self.database, self.refresh_s = database, refresh_s
        self._patterns, self._loaded = EMPTY, -float("inf")
        self._lock = threading.Lock()

    def __call__(self) -> PatternSet:
        with self._lock:
            if time.monotonic() - self._loaded >= self.refresh_s:
                with self.database.session() as session:
                    rows = bank_repo.active_patterns(session)
                self._patterns = PatternSet((str(i), value) for i, _, value in rows)
                self._loaded = time.monotonic()
            return self._patterns


@dataclass
class _Tenant:
    monitor: ConversationMonitor
    recent: OrderedDict[str, deque[dict[str, Any]]]
    lock: threading.Lock
    pattern_alerted: OrderedDict[str, None]


def _with_patterns(monitor: ConversationMonitor, conversation: str, index: int, author: str,
                   alert: Alert | None, hits: list[PatternHit]) -> Alert:
    """The alert with a ``centre_pattern`` indicator per hit (a new alert when the scorer
    raised none: its current risk, this message, this author)."""
    extra: list[dict[str, object]] = [
        {"category": PATTERN_CATEGORY, "message": index, "indicator": h.pattern_id}
        for h in hits]
    if alert is not None:
        alert.indicators = [*alert.indicators, *extra]
        return alert
    result = monitor.result(conversation)
    return Alert(conversation, index, author, result.risk, [*result.indicators, *extra],
                 monitor.model.version)


class ConversationHub:
    def __init__(self, keyring: EvidenceKeyring | None,
                 monitor_factory: Callable[[], ConversationMonitor] = ConversationMonitor,
                 patterns: Callable[[], PatternSet] = lambda: EMPTY):
        self.keyring = keyring
        self._factory = monitor_factory
        self._patterns = patterns
        self._tenants: dict[int, _Tenant] = {}
        self._lock = threading.Lock()

    def _tenant(self, tenant_id: int) -> _Tenant:
        with self._lock:
            found = self._tenants.get(tenant_id)
            if found is None:
                found = _Tenant(self._factory(), OrderedDict(), threading.Lock(),
                                OrderedDict())
                self._tenants[tenant_id] = found
            return found

    def feed(self, sessions: Callable[[], AbstractContextManager[Session]],
             principal: Principal, line: Mapping[str, Any]) -> dict[str, Any] | None:
        """One message (``conversation``, ``author``, ``text``, ``time``; optional ``user``
        and ``location`` for the case) -> an alert with its case, or None."""
        conversation = line.get("conversation")
        if not isinstance(conversation, str | int) or not str(conversation).strip():
            raise InputError("each message needs a 'conversation' id")
        conversation = str(conversation)[:200]
        text = line.get("text")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
        message = {"author": line.get("author"), "text": text, "time": line.get("time")}
        tenant = self._tenant(principal.tenant_id)
        # matched before taking the tenant's lock: the pattern set may reload from the database
        hits = self._patterns().match(text) if isinstance(text, str) else []
        with tenant.lock:
            alert = tenant.monitor.feed(conversation, message)
            recent = tenant.recent.get(conversation)
            if recent is None:
                recent = tenant.recent[conversation] = deque(maxlen=KEEP_MESSAGES)
                while len(tenant.recent) > MAX_CONVERSATIONS:
                    tenant.recent.popitem(last=False)
            else:
                tenant.recent.move_to_end(conversation)
            index = tenant.monitor.result(conversation).messages - 1
            if hits and conversation not in tenant.pattern_alerted:
                tenant.pattern_alerted[conversation] = None
                while len(tenant.pattern_alerted) > MAX_CONVERSATIONS:
                    tenant.pattern_alerted.popitem(last=False)
                alert = _with_patterns(tenant.monitor, conversation, index,
                                       str(message["author"])[:200], alert, hits)
            recent.append({"index": index, "author": str(message["author"])[:200],
                           "text": text if isinstance(text, str) else "",
                           "time": message["time"]})
            kept = list(recent)
        if alert is None:
            return None
        context = {k: line[k] for k in ("user", "location") if isinstance(line.get(k), dict)}
        with sessions() as session:
            case_info = self._open(session, principal, alert, kept, context)
        return {"conversation": conversation, "alert": alert.to_dict(), "case": case_info}

    def _open(self, session: Session, principal: Principal, alert: Alert,
              messages: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
        indicators = [{k: i[k] for k in ("category", "message", "indicator") if k in i}
                      for i in alert.indicators]
        hit = Hit("conversation", f"conversation-model {alert.model_version}",
                  f"conversation:{alert.message}", score=round(alert.risk, 4),
                  details={"risk": round(alert.risk, 4), "alert_message": alert.message,
                           "suspect": alert.suspect, "indicators": indicators})
        opened = open_case(session, principal.tenant_id, NewItem(
            content_key=f"conversation:{alert.conversation_id}"[:200],
            abuse_type="solicitation", source="conversation", kind="conversation",
            media_type="application/json", external_id=alert.conversation_id,
            context=context), [hit], actor=principal)
        if opened.created:
            data = json.dumps({"conversation": alert.conversation_id, "messages": messages},
                              ensure_ascii=False, default=str).encode()
            evidence.keep_content(session, self.keyring, opened.case, kind="conversation",
                                  media_type="application/json", data=data)
        return {**case_summary(opened.case), "created": opened.created}


__all__ = ["KEEP_MESSAGES", "PATTERN_CATEGORY", "BankPatterns", "ConversationHub"]
