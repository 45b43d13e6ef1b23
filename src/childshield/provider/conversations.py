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
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from childshield.auth.principal import Principal
from childshield.conversations.monitor import Alert, ConversationMonitor
from childshield.crypto.keyring import EvidenceKeyring
from childshield.errors import InputError
from childshield.provider import evidence
from childshield.provider.cases import Hit, NewItem, case_summary, open_case

KEEP_MESSAGES = 200
MAX_CONVERSATIONS = 50_000
MAX_TEXT = 10_000


@dataclass
class _Tenant:
    monitor: ConversationMonitor
    recent: OrderedDict[str, deque[dict[str, Any]]]
    lock: threading.Lock


class ConversationHub:
    def __init__(self, keyring: EvidenceKeyring | None,
                 monitor_factory: Callable[[], ConversationMonitor] = ConversationMonitor):
        self.keyring = keyring
        self._factory = monitor_factory
        self._tenants: dict[int, _Tenant] = {}
        self._lock = threading.Lock()

    def _tenant(self, tenant_id: int) -> _Tenant:
        with self._lock:
            found = self._tenants.get(tenant_id)
            if found is None:
                found = _Tenant(self._factory(), OrderedDict(), threading.Lock())
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
        indicators = [{"category": i.get("category"), "message": i.get("message")}
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


__all__ = ["KEEP_MESSAGES", "ConversationHub"]
