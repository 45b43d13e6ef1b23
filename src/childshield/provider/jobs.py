"""One round of the provider's periodic jobs (``childshield provider jobs``; the demo).

Each round reports any confirmed case still without a report, pulls the centre's answers,
removal orders (deadline alerts) and victims' removal notices, creates due notices, runs
retention, purges old Idempotency-Key answers and dead console sessions, and makes a
delivery pass; it returns what each job did (one JSON object).
"""

from __future__ import annotations

from collections.abc import Callable
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

Step = Callable[[Database, Worker], Any]


def _reconcile(database: Database, worker: Worker) -> int:
    with database.session() as session:
        return reconcile(session)


STEPS: tuple[tuple[str, Step], ...] = (
    ("reconciled", _reconcile),
    ("answers", lambda database, worker: pull_answers(database).to_json()),
    ("orders", lambda database, worker: pull_orders(database)),
    ("victim_notices", lambda database, worker: pull_notices(database)),
    ("notices", lambda database, worker: schedule_notices(database)),
    ("retention", lambda database, worker: run_retention(database)),
    ("purged", lambda database, worker: purge_expired(database)),
    ("delivery", lambda database, worker: worker.run_once().to_json()),
)
"""The round's jobs in order, each ``(name in the round's result, job)``; the server's
background thread (:mod:`childshield.api.jobs`) runs them one by one so that one failing
job does not hold the others."""


def run_round(database: Database, worker: Worker) -> dict[str, Any]:
    return {name: step(database, worker) for name, step in STEPS}


__all__ = ["STEPS", "Step", "run_round"]
