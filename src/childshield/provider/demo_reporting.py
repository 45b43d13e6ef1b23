"""The demo's reporting profile (``childshield serve --role all --demo``): never for production.

With both roles in one process, the demo shows the whole reporting flow on benign demo
pictures (drawn shapes):

* keys: the centre's signing and sealing keys and the demo tenant's own report-signing
  key are made once in ``<data_dir>/demo/keys.env`` (0600; demo only) unless the
  environment already has them, and exported for this process;
* the centre registers the provider ``demo-host`` with the tenant's public key and issues
  it an API key (``CHILDSHIELD_DEMO_CENTRE_API_KEY`` in this process); the tenant
  ``demo-provider`` gets a reporting profile pointing at this server;
* the demo reviewer confirms three cases: their reports are signed and queued; a removal
  order for ``demo-host`` is registered at the centre; the user of the second case files a
  complaint;
* :func:`start_demo_jobs` (called by ``childshield serve --demo``) runs the provider's jobs
  every few seconds in a background thread: the reports are delivered to the centre over
  HTTP, a scripted "demo analyst" at the centre forwards the first and finds the second
  manifestly unfounded (the third waits in the analysts' queue), the answers come back onto
  the cases, the notice for the unfounded one is created and the order is pulled with its
  24-hour deadline. Whatever a newcomer confirms in the console flows the same way.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from childshield.auth.demo import register_seeder
from childshield.auth.principal import Principal, system_principal
from childshield.auth.roles import Side
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey
from childshield.provider.demo import demo_keyring, known_upload  # its seeder runs first
from childshield.settings import get_settings
from childshield.store.db import Database
from childshield.store.models.auth import Tenant

log = logging.getLogger(__name__)
PROVIDER_ID = "demo-host"
SIGNING_ENV = "CHILDSHIELD_DEMO_PROVIDER_SIGNING_KEY"
CENTRE_KEY_ENV = "CHILDSHIELD_DEMO_CENTRE_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8000"
ACTOR = "demo-seed"
FORWARDED, UNFOUNDED, WAITING = "demo-upload-2001", "demo-upload-2002", "demo-upload-2003"
UNFOUNDED_REASONS = ["Demo: the picture shows drawn shapes on a gradient; nothing in it is "
                     "abuse material."]


def demo_keys(data_dir: Path) -> None:
    """Make (once) and export the keys the demo needs, unless the environment has them."""
    path = data_dir / "demo" / "keys.env"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = {"CHILDSHIELD_SIGNING_KEY": SigningKey.generate().to_base64(),
                "CHILDSHIELD_CENTRE_PRIVATE_KEY": SealingKey.generate().to_base64(),
                SIGNING_ENV: SigningKey.generate().to_base64()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("# childshield demo keys: never use them for anything else\n")
            handle.writelines(f"{name}={value}\n" for name, value in made.items())
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        if value and not line.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())
    if "CHILDSHIELD_CENTRE_PUBLIC_KEY" not in os.environ:
        os.environ["CHILDSHIELD_CENTRE_PUBLIC_KEY"] = SealingKey.from_base64(
            os.environ["CHILDSHIELD_CENTRE_PRIVATE_KEY"]).public_key.to_base64()
    if "CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY" not in os.environ:
        os.environ["CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY"] = SigningKey.from_base64(
            os.environ["CHILDSHIELD_SIGNING_KEY"]).public_base64
    get_settings.cache_clear()


def _register_at_centre(session: Session, public_key: str) -> None:
    from childshield.centre import providers
    from childshield.store import centre as centre_repo

    row = centre_repo.provider_by_id(session, PROVIDER_ID)
    if row is None:
        row = providers.register_provider(
            session, PROVIDER_ID, provider_id=PROVIDER_ID, contact="abuse@demo-host.example",
            public_keys=[public_key], display_name="Demo Host (demo data)", country="BE",
            actor=ACTOR)
    elif all(k["public_key"] != public_key
             for k in providers.provider_view(session, row)["keys"]):
        providers.add_key(session, row, public_key, actor=ACTOR)
    os.environ[CENTRE_KEY_ENV] = providers.issue_api_key(session, row, actor=ACTOR)


def _reviewer(session: Session, tenant: Tenant) -> Principal:
    from childshield.store import auth as auth_repo

    user = auth_repo.user_by_email(session, f"reviewer@{tenant.name}.example")
    assert user is not None, "seed_demo creates the demo reviewer first"
    return Principal("user", user.id, tenant.id, tenant.name, Side.PROVIDER,
                     frozenset({"reviewer"}), user.email)


def _confirmed_cases(session: Session, tenant: Tenant) -> dict[str, int]:
    import childshield.provider.reports  # noqa: F401  (registers the report handler)
    from childshield.provider import review
    from childshield.store.tenancy import TenantScope

    ring = demo_keyring(get_settings().data_dir)
    reviewer, scope = _reviewer(session, tenant), TenantScope(session, tenant.id)
    made = {}
    for seed, external_id in ((21, FORWARDED), (22, UNFOUNDED), (23, WAITING)):
        case = known_upload(session, ring, tenant, seed, external_id, f"user-{seed}00")
        if case.status == "open":
            review.claim(scope, reviewer, case.id)
            review.decide(scope, reviewer, case.id, "confirm", abuse_type="known",
                          note="demo: a drawn demo picture from the demo bank")
        made[external_id] = case.id
    return made


def _complaint(session: Session, tenant: Tenant, case_id: int) -> None:
    from childshield.provider.complaints import complaints_of_case, file_complaint
    from childshield.store.tenancy import TenantScope

    scope = TenantScope(session, tenant.id)
    if complaints_of_case(scope, case_id):
        return
    integration = system_principal(tenant.id, tenant.name, Side.PROVIDER, "demo-integration")
    file_complaint(scope, integration, user_id="user-2200", case_id=case_id,
                   text="Demo complaint: this is a drawing I made myself; please put it back.")


def _removal_order(session: Session, centre_tenant: Tenant) -> None:
    from childshield.centre.config import CentreConfig
    from childshield.centre.removal import register_order
    from childshield.store import centre as centre_repo

    provider = centre_repo.provider_by_id(session, PROVIDER_ID)
    assert provider is not None
    if centre_repo.has_orders_for(session, provider.id):
        return
    authority = system_principal(centre_tenant.id, centre_tenant.name, Side.CENTRE,
                                 "demo-authority")
    register_order(session, CentreConfig.from_settings(get_settings()), authority, {
        "provider_id": PROVIDER_ID, "issuing_authority": "Demo Coordinating Authority",
        "member_state": "BE", "legal_basis": "COM(2022) 209 Art. 14 (demo data)",
        "reasons": "Demo: a drawn demo picture listed in the demo bank",
        "items": [{"url": "https://demo-host.example/u/user-2100/demo-upload-2001"}],
        "redress": "Demo: the provider may challenge the order before the courts of BE"})


def seed_reporting(session: Session, tenants: dict[Side, Tenant]) -> None:
    from childshield.provider.reports import set_profile
    from childshield.store import provider_reports as repo

    provider, centre = tenants.get(Side.PROVIDER), tenants.get(Side.CENTRE)
    if provider is None or centre is None:
        return  # the reporting demo needs both roles in one process
    demo_keyring(get_settings().data_dir)  # the evidence keys, shared with the centre here
    demo_keys(get_settings().data_dir)
    _register_at_centre(session, SigningKey.from_base64(os.environ[SIGNING_ENV]).public_base64)
    existing = repo.profile(session, provider.id)
    set_profile(session, provider.id, provider_id=PROVIDER_ID, name="Demo Host (demo data)",
                address="1 Example Street, Brussels", email="abuse@demo-host.example",
                country="BE", centre_url=existing.centre_url if existing else DEFAULT_URL,
                centre_key_env=CENTRE_KEY_ENV, allow_http=True, signing_key_env=SIGNING_ENV,
                actor=ACTOR)
    cases = _confirmed_cases(session, provider)
    _complaint(session, provider, cases[UNFOUNDED])
    _removal_order(session, centre)


def demo_centre_decisions(database: Database) -> int:
    """The scripted demo analyst: forward the first demo report, find the second manifestly
    unfounded, once each has reached the centre. Returns the number of decisions."""
    from childshield.centre import assessment, referrals
    from childshield.centre.config import CentreConfig
    from childshield.centre.delivery import default_sink
    from childshield.centre.referral_outbox import DeliveryWorker
    from childshield.errors import NotFoundError
    from childshield.store import auth as auth_repo
    from childshield.store import provider as provider_repo
    from childshield.store import provider_reports as repo

    decided = 0
    forwarded: list[int] = []
    with database.session() as session:
        centre = auth_repo.tenant_by_name(session, "demo-centre")
        provider = auth_repo.tenant_by_name(session, "demo-provider")
        if centre is None or provider is None:
            return 0
        analyst = replace(system_principal(centre.id, centre.name, Side.CENTRE,
                                           "demo-analyst"), roles=frozenset({"analyst"}))
        config = CentreConfig.from_settings(get_settings())
        for external_id in (FORWARDED, UNFOUNDED):
            case = provider_repo.case_by_key(session, provider.id, f"item:{external_id}")
            report = repo.report_of_case(session, case.tenant_id, case.id) if case else None
            if report is None or report.delivery != "delivered":
                continue
            try:
                row = assessment.case_by_provider_report(session, PROVIDER_ID, report.report_id)
            except NotFoundError:
                continue
            if row.status != "received":
                continue
            if external_id == FORWARDED:
                referral = referrals.forward(session, config, row.id, analyst,
                                             notes="demo: forwarded by the demo analyst")
                session.flush()
                forwarded.append(referral.id)
            else:
                assessment.mark_unfounded(session, row.id, UNFOUNDED_REASONS, analyst)
            decided += 1
    if forwarded:  # as the analysts' API does: one delivery attempt once the decision committed
        sink = default_sink(config.referral_dir, allow_http=config.allow_http)
        worker = DeliveryWorker(database, config, sink)
        for referral_pk in forwarded:
            worker.run_once(referral_pk=referral_pk)
    return decided


def _wait_for(url: str, stop: threading.Event, timeout: float = 60.0) -> bool:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
                return True
        except OSError:
            stop.wait(0.2)
    return False


def demo_jobs_round(database: Database, worker: Any) -> dict[str, Any]:
    from childshield.provider.jobs import run_round

    result = run_round(database, worker)
    result["demo_centre"] = demo_centre_decisions(database)
    return result


class DemoJobs:
    """The demo's background jobs thread; :meth:`stop` ends it (after the current round)."""

    def __init__(self, database: Database, base_url: str, interval: float) -> None:
        self.database, self.base_url, self.interval = database, base_url, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="childshield-demo-jobs",
                                        daemon=True)

    def _loop(self) -> None:
        from childshield.provider.delivery import Worker

        if not _wait_for(self.base_url, self._stop):
            return
        worker = Worker(self.database, timeout=10.0)
        try:
            while not self._stop.is_set():
                try:
                    demo_jobs_round(self.database, worker)
                except Exception:  # a demo round must never kill the thread
                    log.exception("demo jobs round failed")
                self._stop.wait(self.interval)
        finally:
            worker.close()

    def start(self) -> DemoJobs:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_demo_jobs(database: Database, base_url: str, *, interval: float = 5.0) -> DemoJobs:
    """Point the demo profile at ``base_url`` and run the jobs every ``interval`` seconds
    in a daemon thread."""
    from childshield.store import auth as auth_repo
    from childshield.store import provider_reports as repo

    with database.session() as session:
        tenant = auth_repo.tenant_by_name(session, "demo-provider")
        profile = repo.profile(session, tenant.id) if tenant else None
        if profile is not None:
            profile.centre_url = base_url.rstrip("/")
    return DemoJobs(database, base_url, interval).start()


register_seeder(seed_reporting)

__all__ = ["CENTRE_KEY_ENV", "PROVIDER_ID", "SIGNING_ENV", "DemoJobs", "demo_centre_decisions",
           "demo_jobs_round", "demo_keys", "seed_reporting", "start_demo_jobs"]
