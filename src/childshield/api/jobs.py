"""The role's periodic jobs, run by the server itself (``jobs_interval_s``; 0: off).

Every server process (each ``--workers`` process too) starts one daemon thread with the
app (FastAPI lifespan) that runs, every ``jobs_interval_s`` seconds:

* centre: one pass of the referral delivery worker
  (:class:`childshield.centre.referral_outbox.DeliveryWorker`, what ``childshield centre
  deliver`` runs): due outbox rows are retried with backoff until delivered;
* provider: the jobs of :func:`childshield.provider.jobs.run_round` (what ``childshield
  provider jobs`` runs): reconcile, answers, orders, victims' notices, notices, retention,
  purge, report delivery.

Several runners on one database never send anything twice: each outbox row (provider
reports and answers, centre referrals) is leased by compare-and-set before it is sent; the
pulls store what they read under unique constraints (orders, victims' notices), the report
of a case and a user notice are unique too, so a runner that loses a race gets an error
for that job (the round's other jobs still run) and the next round finds the row there;
the rest (cursor updates, retention, purges) gives the same result when run twice. A
failing job is logged (job and error type; counts of per-item errors, never their text,
which may name data) and the loop goes on. The thread stops when the app shuts down,
after the job in progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from childshield.auth.roles import Side
from childshield.errors import ConfigurationError
from childshield.store.db import Database

log = logging.getLogger(__name__)
THREAD_NAME = "childshield-jobs"


def _describe(exc: BaseException) -> str:
    """What a failed job logs: the error type; a configuration error's message names the
    setting (never its value), so it is kept."""
    if isinstance(exc, ConfigurationError):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return type(exc).__name__


class BackgroundJobs:
    """The jobs thread of one server process; :meth:`stop` ends it cleanly."""

    def __init__(self, app: FastAPI, interval: float) -> None:
        self.app, self.interval = app, interval
        self.database: Database = app.state.database
        self.sides: list[Side] = list(app.state.sides)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
        self._centre: Any = None
        self._provider: Any = None
        self.ticks = 0

    # --- the jobs -------------------------------------------------------------------------

    def _centre_worker(self) -> Any:
        if self._centre is None:
            from childshield.centre.config import CentreConfig
            from childshield.centre.delivery import default_sink
            from childshield.centre.referral_outbox import DeliveryWorker

            state = self.app.state
            config = getattr(state, "centre_config", None) or CentreConfig.from_settings(
                state.settings)
            sink = getattr(state, "centre_referral_sink", None) or default_sink(
                config.referral_dir, allow_http=config.allow_http)
            self._centre = DeliveryWorker(self.database, config, sink)
        return self._centre

    def centre_tick(self) -> None:
        result = self._centre_worker().run_once()
        if result.retried or result.failed:
            log.warning("referral delivery: %d delivered, %d to retry, %d given up "
                        "(each referral's deliveries show the errors)",
                        result.delivered, result.retried, result.failed)
        elif result.delivered:
            log.info("referral delivery: %d delivered", result.delivered)

    def provider_tick(self) -> None:
        """The ``provider jobs`` round, one job at a time: a job that fails (say, a pull
        that lost a race for a unique row) is logged and the next job still runs."""
        from childshield.provider.jobs import STEPS

        if self._provider is None:
            from childshield.provider.delivery import Worker
            from childshield.provider.ncmec import ncmec_sender

            self._provider = Worker(self.database, ncmec=ncmec_sender())
        errors: dict[str, int] = {}
        for name, step in STEPS:
            if self._stop.is_set():
                return
            try:
                value = step(self.database, self._provider)
            except Exception as exc:  # logged; the round goes on
                log.warning("provider jobs: %s failed (%s)", name, _describe(exc))
                continue
            if isinstance(value, dict) and value.get("errors"):
                errors[name] = len(value["errors"])
        if errors:
            log.warning("provider jobs: errors in %s (`childshield provider outbox` and "
                        "`childshield provider jobs --once` show them)",
                        ", ".join(f"{job} ({n})" for job, n in sorted(errors.items())))

    def tick(self) -> None:
        """One round of each side's jobs; a failure is logged and the others still run."""
        jobs: list[tuple[str, Callable[[], None]]] = []
        if Side.CENTRE in self.sides:
            jobs.append(("centre referral delivery", self.centre_tick))
        if Side.PROVIDER in self.sides:
            jobs.append(("provider jobs", self.provider_tick))
        for name, job in jobs:
            if self._stop.is_set():
                return
            try:
                job()
            except Exception as exc:  # a failed round must never end the loop
                log.warning("%s failed (%s); next round in %g s", name, _describe(exc),
                            self.interval)
        self.ticks += 1

    # --- the thread -----------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.tick()
        finally:
            if self._provider is not None:
                self._provider.close()

    def start(self) -> BackgroundJobs:
        self._thread.start()
        log.info("background jobs every %g s (%s)", self.interval,
                 ", ".join(str(side) for side in self.sides))
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 90.0) -> None:
        """Stop after the round in progress (its HTTP calls time out within a minute)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("background jobs still running after %g s at shutdown", timeout)


def start_jobs(app: FastAPI) -> BackgroundJobs | None:
    """Start the jobs thread for ``app`` unless ``jobs_interval_s`` is 0."""
    interval = float(app.state.settings.jobs_interval_s)
    if interval <= 0:
        return None
    jobs = BackgroundJobs(app, interval).start()
    app.state.background_jobs = jobs
    return jobs


__all__ = ["THREAD_NAME", "BackgroundJobs", "start_jobs"]
