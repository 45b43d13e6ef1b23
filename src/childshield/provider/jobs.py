"""One round of the provider's periodic jobs (``childshield provider jobs``; the demo).

Each round reports any confirmed case still without a report, pulls the centre's answers,
removal orders (deadline alerts) and victims' removal notices, creates due notices, runs
retention, purges old Idempotency-Key answers and dead console sessions, and makes a
delivery pass; it returns what each job did (one JSON object).
"""

from __future__ import annotations

from typing import Any

from childshield.provider.answers import pull_answers
from childshield.provider.delivery import Worker
from childshield.provider.housekeeping import purge_expired
from childshield.provider.notices import schedule_notices
from childshield.provider.orders import pull_orders
from childshield.provider.reports import reconcile
from childshield.provider.retention import run_retention
from childshield.provider.victim_notices import pull_notices
from childshield.store.db import Database


def run_round(database: Database, worker: Worker) -> dict[str, Any]:
    with database.session() as session:
        reconciled = reconcile(session)
    return {"reconciled": reconciled,
            "answers": pull_answers(database).to_json(),
            "orders": pull_orders(database),
            "victim_notices": pull_notices(database),
            "notices": schedule_notices(database),
            "retention": run_retention(database),
            "purged": purge_expired(database),
            "delivery": worker.run_once().to_json()}


__all__ = ["run_round"]
